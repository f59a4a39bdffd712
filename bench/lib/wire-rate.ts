/**
 * What one whole `schemaguard migrate` costs on the wire, counted by the
 * latency proxy (wire-count.ts): connections, and the round trips per run
 * and per file, from two runs of different sizes on fresh databases
 * (round trips = per run + per file × files). Over a network each round
 * trip costs its latency, so these counts, not a time, are what
 * test/bench/round-trips.int.test.ts bounds.
 */
import { CLI } from '../apply';
import { generateMigrations } from './generate';
import type { LatencyProxy } from './latency-proxy';
import { mustSucceed, NODE, timeProcess } from './proc';
import type { WireCounts } from './wire-count';
import { rmSync } from 'node:fs';

export interface WireRate {
  /** Connections one run opens. */
  connections: number;
  /** Round trips of one run that do not grow with the files (the handshakes' among them). */
  round_trips_per_run: number;
  /** Of those, the handshakes' (the server's authentication method decides them). */
  handshake_round_trips: number;
  /** Round trips each more file adds. */
  round_trips_per_file: number;
  /** The runs it was read from: files, and round trips counted. */
  runs: { files: number; round_trips: number }[];
}

/** A fresh database's URL, and its removal. */
export interface FreshDatabase {
  url: string;
  drop(): Promise<void>;
}

/** One schemaguard migrate of `files` generated migrations into a fresh database, through `proxy`: what crossed it. */
export async function migrateOnTheWire(proxy: LatencyProxy, fresh: () => Promise<FreshDatabase>, files: number): Promise<WireCounts> {
  const { dir } = generateMigrations(files);
  const db = await fresh();
  try {
    const before = proxy.counts();
    mustSucceed('schemaguard migrate', await timeProcess(NODE, [CLI, 'migrate', '--database-url', proxy.url(db.url), '--dir', dir, '--quiet']));
    const after = proxy.counts();
    return {
      connections: after.connections - before.connections,
      roundTrips: after.roundTrips - before.roundTrips,
      handshakeRoundTrips: after.handshakeRoundTrips - before.handshakeRoundTrips,
      requests: after.requests - before.requests,
    };
  } finally {
    await db.drop();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Per run and per file, from a run of `small` files and one of `large`. */
export async function schemaguardWireRate(proxy: LatencyProxy, fresh: () => Promise<FreshDatabase>, small: number, large: number): Promise<WireRate> {
  const a = await migrateOnTheWire(proxy, fresh, small);
  const b = await migrateOnTheWire(proxy, fresh, large);
  const perFile = (b.roundTrips - a.roundTrips) / (large - small);
  return {
    connections: b.connections,
    round_trips_per_run: Math.round((b.roundTrips - perFile * large) * 100) / 100,
    handshake_round_trips: b.handshakeRoundTrips,
    round_trips_per_file: Math.round(perFile * 1000) / 1000,
    runs: [
      { files: small, round_trips: a.roundTrips },
      { files: large, round_trips: b.roundTrips },
    ],
  };
}
