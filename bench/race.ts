/**
 * Race: N `schemaguard migrate` processes started together on one database,
 * on a set whose last file builds an index with CREATE INDEX CONCURRENTLY —
 * the shape where a waiting runner used to stall the running one until
 * lock_timeout and --lock-wait broke the cycle (one success after 61 s, the
 * others exiting 1). Measures the wall time from the first spawn to the last
 * exit and how many processes exited 0, next to one process alone on an
 * identical database; checks that every file ran exactly once and that no
 * INVALID index was left.
 */
import { CLI } from './apply';
import { createDatabase, dropDatabase, withClient } from './lib/server';
import { NODE, timeProcess, type ProcResult } from './lib/proc';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * `files` migrations: a table of `rows` rows, small transactional changes,
 * and last a no-transaction CREATE INDEX CONCURRENTLY on the big table. Every
 * file records its own execution in `runs`, so exactly once is countable.
 */
export function raceFiles(files: number, rows: number): Record<string, string> {
  const out: Record<string, string> = {
    '1_table.sql': `CREATE TABLE runs (version int NOT NULL, at timestamptz NOT NULL DEFAULT clock_timestamp());
CREATE TABLE t1 (id bigint PRIMARY KEY, v int NOT NULL);
INSERT INTO t1 SELECT g, (g::bigint * 7919) % 100003 FROM generate_series(1, ${rows}) g;
INSERT INTO runs (version) VALUES (1);\n`,
  };
  for (let k = 2; k < files; k++) {
    out[`${k}_step${k}.sql`] = `CREATE TABLE s${k} (id int PRIMARY KEY, note text);\nINSERT INTO runs (version) VALUES (${k});\n`;
  }
  out[`${files}_index_concurrently.sql`] = `-- schemaguard:no-transaction
CREATE INDEX CONCURRENTLY t1_v ON t1 (v);
INSERT INTO runs (version) VALUES (${files});\n`;
  return out;
}

export interface RaceRun {
  /** Every process, in spawn order. */
  processes: ProcResult[];
  /** First spawn to last exit. */
  wallMs: number;
}

/** Start `n` processes at once and wait for all of them. */
export async function raceProcesses(n: number, start: () => Promise<ProcResult>): Promise<RaceRun> {
  const started = performance.now();
  const processes = await Promise.all(Array.from({ length: n }, start));
  return { processes, wallMs: performance.now() - started };
}

/** What the database says after a race: executions per file, INVALID indexes. */
export async function raceOutcome(url: string): Promise<{ executions: Map<number, number>; invalidIndexes: number }> {
  return withClient(url, async (c) => {
    const runs = await c.query<{ version: number; n: number }>('SELECT version, count(*)::int AS n FROM runs GROUP BY version');
    const invalid = await c.query<{ n: number }>('SELECT count(*)::int AS n FROM pg_index WHERE NOT indisvalid');
    return { executions: new Map(runs.rows.map((r) => [r.version, r.n])), invalidIndexes: invalid.rows[0]!.n };
  });
}

export interface RaceOptions {
  adminUrl: string;
  runners: number;
  files: number;
  rows: number;
  onProgress?: (line: string) => void;
}

export interface RaceResult {
  runners: number;
  files: number;
  rows: number;
  /** Processes that exited 0. */
  ok: number;
  /** First spawn to last exit, all runners. */
  wall_ms: number;
  /** One process alone on an identical database. */
  single_ms: number;
  /** Every file executed exactly once. */
  exactly_once: boolean;
  invalid_indexes: number;
  /** "lock timeout, retry" lines the runners printed (the stall showed as these). */
  lock_timeout_retries: number;
}

function migrateCli(url: string, dir: string): Promise<ProcResult> {
  return timeProcess(NODE, [CLI, 'migrate', '--dir', dir, '--database-url', url], { timeoutMs: 300_000 });
}

export async function benchRace(o: RaceOptions): Promise<RaceResult> {
  const dir = mkdtempSync(join(tmpdir(), 'schemaguard-bench-race-'));
  for (const [name, text] of Object.entries(raceFiles(o.files, o.rows))) writeFileSync(join(dir, name), text);
  const alone = await createDatabase(o.adminUrl, 'race_single');
  const raced = await createDatabase(o.adminUrl, 'race');
  try {
    const single = await migrateCli(alone.url, dir);
    if (single.code !== 0) throw new Error(`race: a single runner failed: ${single.stderr.slice(-2000)}`);
    o.onProgress?.(`race: one runner alone ${Math.round(single.ms)} ms`);
    const race = await raceProcesses(o.runners, () => migrateCli(raced.url, dir));
    const { executions, invalidIndexes } = await raceOutcome(raced.url);
    const ok = race.processes.filter((p) => p.code === 0).length;
    o.onProgress?.(`race: ${o.runners} runners ${Math.round(race.wallMs)} ms, ${ok} exited 0`);
    return {
      runners: o.runners,
      files: o.files,
      rows: o.rows,
      ok,
      wall_ms: Math.round(race.wallMs),
      single_ms: Math.round(single.ms),
      exactly_once: executions.size === o.files && [...executions.values()].every((n) => n === 1),
      invalid_indexes: invalidIndexes,
      lock_timeout_retries: race.processes.reduce((a, p) => a + (p.stderr.match(/lock timeout, retry/g)?.length ?? 0), 0),
    };
  } finally {
    await dropDatabase(o.adminUrl, alone.name);
    await dropDatabase(o.adminUrl, raced.name);
    rmSync(dir, { recursive: true, force: true });
  }
}
