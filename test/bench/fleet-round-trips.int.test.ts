/**
 * What `schemaguard migrate --fleet-schemas` costs on the wire, counted
 * through the benchmark's latency proxy: a fleet of 4 tenants and one of 12,
 * 5 files each, 2 at a time. The connections are the rollout's concurrency
 * (each tenant's reset and handed to the next), not one or two a tenant;
 * each more tenant adds what a single-tenant run waits for, and no handshake.
 */
import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI } from '../../bench/apply';
import { generateMigrations } from '../../bench/lib/generate';
import { startLatencyProxy, type LatencyProxy } from '../../bench/lib/latency-proxy';
import { NODE, timeProcess } from '../../bench/lib/proc';
import type { WireCounts } from '../../bench/lib/wire-count';
import { dropDatabases, freshDatabase, targets, withClient } from '../support/db';

afterAll(dropDatabases);

const target = targets[0]!;
const CONCURRENCY = 2;
let proxy: LatencyProxy;

beforeAll(async () => {
  proxy = await startLatencyProxy(target.adminUrl, 1);
});
afterAll(() => proxy.close());

/** One fleet migrate of `files` generated migrations over `tenants` new tenant schemas, through the proxy: what crossed it. */
async function fleetOnTheWire(tenants: number, files: number): Promise<WireCounts & { applied: number }> {
  const url = await freshDatabase(target, 'fleet_wire');
  await withClient(url, (c) => c.query(Array.from({ length: tenants }, (_, k) => `CREATE SCHEMA tenant_${k}`).join(';')));
  const { dir } = generateMigrations(files);
  try {
    const before = proxy.counts();
    const args = [
      'migrate',
      '--database-url',
      proxy.url(url),
      '--dir',
      dir,
      '--fleet-schemas',
      'tenant\\_%',
      '--fleet-concurrency',
      String(CONCURRENCY),
      '--json',
    ];
    const r = await timeProcess(NODE, [CLI, ...args]);
    const after = proxy.counts();
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout) as { tenants: { state: string; version: number }[] };
    return {
      connections: after.connections - before.connections,
      roundTrips: after.roundTrips - before.roundTrips,
      handshakeRoundTrips: after.handshakeRoundTrips - before.handshakeRoundTrips,
      requests: after.requests - before.requests,
      applied: out.tenants.filter((t) => t.state === 'applied' && t.version === files).length,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe(`schemaguard migrate over a fleet on the wire (${target.name})`, () => {
  it(`opens at most 2 connections per tenant at work (${CONCURRENCY} at once) and the target's, however many tenants; each more tenant adds at most 13 round trips`, async () => {
    const few = await fleetOnTheWire(4, 5);
    const many = await fleetOnTheWire(12, 5);

    expect([few.applied, many.applied]).toEqual([4, 12]);
    // The target's connection (it reads the tenants) and a runner lock's and a migration's for each tenant at work.
    expect(many.connections).toBeLessThanOrEqual(1 + 2 * CONCURRENCY);
    expect(many.handshakeRoundTrips).toBe(few.handshakeRoundTrips);
    // 13 a tenant when measured (5 connections, 73 and 177 round trips); the proxy may see one answer in two reads under load.
    expect(many.roundTrips - few.roundTrips).toBeLessThanOrEqual(8 * 13 + 1);
  });
});
