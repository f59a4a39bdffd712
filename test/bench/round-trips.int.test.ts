/**
 * What `schemaguard migrate` costs on the wire, counted, not timed: through
 * the benchmark's latency proxy (which reads the PostgreSQL protocol and
 * counts the round trips a client waits for), a run of 5 files and one of
 * 25 on fresh databases. Over a network each round trip costs its latency
 * (BENCHMARKS.md: the apply over 1 ms each way); a change that adds one to
 * every run, or to every file, fails here rather than in a slower deploy.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLatencyProxy, type LatencyProxy } from '../../bench/lib/latency-proxy';
import { schemaguardWireRate } from '../../bench/lib/wire-rate';
import { dropDatabases, freshDatabase, targets } from '../support/db';

afterAll(dropDatabases);

const target = targets[0]!;
let proxy: LatencyProxy;

beforeAll(async () => {
  proxy = await startLatencyProxy(target.adminUrl, 1);
});
afterAll(() => proxy.close());

describe(`schemaguard migrate on the wire (${target.name})`, () => {
  // Regression: 22 round trips a run at c0c9ae4 became 27 on 3 connections (the replication check's two catalog reads, the
  // server version asked again, and the standby wait's own connection: its handshake and three reads); the apply over 1 ms slowed.
  it("makes at most 13 round trips a run besides its 2 connections' handshakes (19 with SCRAM's), and none more per file (pipelined)", async () => {
    const rate = await schemaguardWireRate(proxy, async () => ({ url: await freshDatabase(target, 'wire'), drop: async () => undefined }), 5, 25);

    const [few, many] = rate.runs.map((r) => r.round_trips) as [number, number];

    expect(rate.connections).toBe(2);
    // None per file: 20 more files would add 20 round trips at least. The proxy may now and then see one answer arrive in
    // two reads on a loaded machine (19 and 20 in one run of the suite; the two runs 2 apart in another), so the runs may
    // differ by a few, never by 20.
    expect(Math.abs(many - few)).toBeLessThanOrEqual(4);
    expect(Math.min(few, many) - rate.handshake_round_trips).toBeLessThanOrEqual(13);
  });
});
