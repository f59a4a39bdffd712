/**
 * What the session reset between migrations costs (pg driver). It adds no
 * round trip: it travels with the state row and COMMIT. So the question is
 * the server's work on it, measured two ways on migration-shaped transactions
 * (`BEGIN` + a `CREATE TABLE`, then the state row + `COMMIT`):
 *
 * - server: `clock_timestamp()` just before and just after the reset, in the
 *   same round trip — the reset's own time, free of network and client noise;
 * - round trip: the COMMIT round trip timed by the client with and without
 *   the reset, alternating migration by migration so that load hits both alike.
 *
 *   npx tsx bench/session-reset.ts [--migrations 2000] [--database-url URL]
 *
 * The last line is one JSON object.
 */
import pg from 'pg';
import { PgDriver } from '../lambda/driver/pg/pg-driver';
import type { TransactionSettings } from '../lambda/engine/ports';
import { createDatabase, dropDatabase, startBenchServer } from './lib/server';
import { median, percentile, round } from './lib/stats';

const SETTINGS: TransactionSettings = { lockTimeoutMs: 5000, statementTimeoutMs: 0 };

function option(argv: string[], name: string): string | undefined {
  const k = argv.indexOf(name);
  return k >= 0 ? argv[k + 1] : undefined;
}

/** The reset exactly as the pg driver sends it inside a migration's transaction. */
async function driverResetSql(url: string): Promise<string> {
  const session = await new PgDriver({ connectionString: url }).connect();
  try {
    const sql = session.resetSql?.(SETTINGS);
    if (!sql) throw new Error('the pg driver has no session reset');
    return sql;
  } finally {
    await session.close();
  }
}

interface RoundTrips {
  withMs: number[];
  withoutMs: number[];
}

/** One migration-shaped transaction; returns its COMMIT round trip in ms. */
async function oneMigration(c: pg.Client, k: number, reset: string | undefined): Promise<number> {
  await c.query(`BEGIN; SET LOCAL lock_timeout = 5000; SET LOCAL statement_timeout = 0; CREATE TABLE t${k} (id int)`);
  const insert = `INSERT INTO state (version) VALUES (${k})`;
  const started = performance.now();
  await c.query(reset ? `${reset}; ${insert}; COMMIT` : `${insert}; COMMIT`);
  return performance.now() - started;
}

/** Odd migrations with the reset, even ones without. */
async function roundTrips(url: string, count: number, reset: string): Promise<RoundTrips> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  const out: RoundTrips = { withMs: [], withoutMs: [] };
  try {
    await c.query('CREATE TABLE state (version int PRIMARY KEY)');
    for (let k = 1; k <= count; k++) {
      const withReset = k % 2 === 1;
      (withReset ? out.withMs : out.withoutMs).push(await oneMigration(c, k, withReset ? reset : undefined));
    }
  } finally {
    await c.end();
  }
  return out;
}

/** The reset's own time on the server: clock_timestamp() on either side of it, in one round trip. */
async function serverMicros(url: string, count: number, reset: string): Promise<number[]> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  const out: number[] = [];
  try {
    for (let k = 1; k <= count; k++) {
      await c.query('BEGIN; SET LOCAL lock_timeout = 5000');
      const r = (await c.query(`SELECT clock_timestamp()::text AS at; ${reset}; SELECT clock_timestamp()::text AS at; COMMIT`)) as unknown as pg.QueryResult[];
      const [a, b] = r.filter((x) => x.fields?.[0]?.name === 'at').map((x) => micros((x.rows[0] as { at: string }).at));
      out.push(b! - a!);
    }
  } finally {
    await c.end();
  }
  return out;
}

/** `2025-01-01 12:00:00.123456+00` → microseconds within the day (enough for differences under a second). */
function micros(text: string): number {
  const m = /(\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?/.exec(text)!;
  return ((Number(m[1]) * 60 + Number(m[2])) * 60 + Number(m[3])) * 1e6 + Number((m[4] ?? '0').padEnd(6, '0').slice(0, 6));
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const count = Number(option(argv, '--migrations') ?? 2000);
  const server = await startBenchServer(option(argv, '--database-url') ?? process.env.BENCH_DATABASE_URL);
  const db = await createDatabase(server.adminUrl, 'session_reset');
  try {
    const reset = await driverResetSql(db.url);
    const trips = await roundTrips(db.url, count, reset);
    const serverUs = await serverMicros(db.url, count, reset);
    const withMs = median(trips.withMs);
    const withoutMs = median(trips.withoutMs);
    process.stdout.write(
      `${JSON.stringify({
        server: server.version,
        migrations: count,
        reset_sql: reset,
        reset_server_us: { median: round(median(serverUs)), p90: round(percentile(serverUs, 90)) },
        commit_round_trip_ms: { with_reset: round(withMs, 3), without_reset: round(withoutMs, 3), difference: round(withMs - withoutMs, 3) },
      })}\n`,
    );
  } finally {
    await dropDatabase(server.adminUrl, db.name);
    await server.stop();
  }
}

await main();
