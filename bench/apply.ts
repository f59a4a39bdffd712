/**
 * Apply overhead: the same small migrations applied to an empty database by
 *   - schemaguard: the CLI as a whole process (`node bin/schemaguard.cjs migrate`, what `npx schemaguard` runs);
 *   - the floor: psql running every file in ONE session, each in its own
 *     BEGIN/COMMIT — the least any tool can do that keeps one transaction per file;
 *   - node-pg-migrate: its CLI with the same .sql files, one transaction per
 *     migration (`--no-single-transaction`, its default lock kept).
 * Wall time of each whole process; runs are interleaved so noise hits all
 * three, in an order that turns from run to run.
 *
 * schemaguard's time is also cut in three by its own state rows (`applied_at`,
 * the server's clock at each row; the server runs on this machine): from the
 * spawn to the first file's row (start-up: Node.js, the bundle, connecting,
 * the runner lock, the state, reading and parsing the files, then the first
 * file), the first row to the last (the files), the last row to the exit.
 */
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createDatabase, dropDatabase, withClient } from './lib/server';
import { generateMigrations, tablesFor } from './lib/generate';
import { NODE, mustSucceed, timeProcess } from './lib/proc';
import { median, round } from './lib/stats';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const CLI = join(ROOT, 'bin', 'schemaguard.cjs');
export const NODE_PG_MIGRATE = join(ROOT, 'node_modules', 'node-pg-migrate', 'bin', 'node-pg-migrate.js');
export const PSQL = process.env.BENCH_PSQL ?? '/usr/bin/psql';

export interface ApplyOptions {
  adminUrl: string;
  migrations: number;
  runs: number;
  /** Called after each measured run. */
  onRun?: (line: string) => void;
  /** The URL the three tools connect to for a database's URL (`--latency-ms`: the proxy's); the checks between runs connect directly. */
  via?: (url: string) => string;
}

export interface ApplyResult {
  migrations: number;
  runs: number;
  schemaguard_ms: number;
  floor_ms: number | null;
  node_pg_migrate_ms: number;
  ratio_vs_floor: number | null;
  ratio_vs_node_pg_migrate: number;
  /** Median of the per-run ratios (each run's three tools ran back to back, so they saw similar load). */
  paired_ratio_vs_floor: number | null;
  paired_ratio_vs_node_pg_migrate: number;
  /** Why the floor is missing, when it is. */
  floor_note?: string;
  /** Medians of schemaguard's run cut by its first and last state rows (null: the server's clock is not this machine's). */
  schemaguard_phases: Phases | null;
  samples: { schemaguard: number[]; floor: number[]; node_pg_migrate: number[] };
  /** A database where schemaguard applied every migration, and the migrations' directory (for the no-op benchmark); the caller drops and removes both. */
  applied: { url: string; name: string; dir: string };
}

export interface Phases {
  /** Spawn to the first file's state row. */
  to_first_file_ms: number;
  /** The first file's state row to the last's. */
  files_ms: number;
  /** The last file's state row to the exit. */
  after_last_file_ms: number;
}

export async function benchApply(o: ApplyOptions): Promise<ApplyResult> {
  const { dir, files } = generateMigrations(o.migrations);
  const floorDir = mkdtempSync(join(tmpdir(), 'schemaguard-bench-floor-'));
  try {
    return await measure(o, dir, files, floorDir);
  } catch (e) {
    rmSync(dir, { recursive: true, force: true });
    throw e;
  } finally {
    rmSync(floorDir, { recursive: true, force: true });
  }
}

async function measure(o: ApplyOptions, dir: string, files: string[], floorDir: string): Promise<ApplyResult> {
  const floorScript = join(floorDir, 'floor.sql');
  writeFileSync(floorScript, files.map((f) => `BEGIN;\n\\i ${join(dir, f)}\nCOMMIT;\n`).join(''));
  const hasPsql = existsSync(PSQL);
  const samples = { schemaguard: [] as number[], floor: [] as number[], node_pg_migrate: [] as number[] };
  const phases: Phases[] = [];
  let clockNote = false;
  let applied: ApplyResult['applied'] | undefined;
  const tables = tablesFor(o.migrations);
  const via = o.via ?? ((url: string) => url);

  const tools: Record<'floor' | 'schemaguard' | 'npm', () => Promise<void>> = {
    floor: async () => {
      if (!hasPsql) return;
      const db = await createDatabase(o.adminUrl, 'floor');
      const r = mustSucceed('psql', await timeProcess(PSQL, ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '-d', via(db.url), '-f', floorScript]));
      await expectTables(db.url, tables, 'psql');
      samples.floor.push(r.ms);
      await dropDatabase(o.adminUrl, db.name);
    },
    schemaguard: async () => {
      const db = await createDatabase(o.adminUrl, 'schemaguard');
      const spawned = Date.now();
      const r = mustSucceed('schemaguard migrate', await timeProcess(NODE, [CLI, 'migrate', '--database-url', via(db.url), '--dir', dir, '--quiet'], {
        env: { ...process.env, SCHEMAGUARD_APPLIED_BY: 'bench' },
      }));
      await expectTables(db.url, tables, 'schemaguard');
      const rows = await withClient(db.url, async (c) => (await c.query<{ n: string; first: string; last: string }>(
        'SELECT count(*) AS n, extract(epoch FROM min(applied_at)) * 1000 AS first, extract(epoch FROM max(applied_at)) * 1000 AS last FROM schemaguard.applied_migrations',
      )).rows[0]!);
      const recorded = Number(rows.n);
      if (recorded !== o.migrations) throw new Error(`schemaguard recorded ${recorded} migrations, expected ${o.migrations}`);
      const p = { to_first_file_ms: Number(rows.first) - spawned, files_ms: Number(rows.last) - Number(rows.first), after_last_file_ms: spawned + r.ms - Number(rows.last) };
      if (p.to_first_file_ms < 0 || p.after_last_file_ms < 0) clockNote = true;
      else phases.push(p);
      samples.schemaguard.push(r.ms);
      if (applied) await dropDatabase(o.adminUrl, applied.name);
      applied = { ...db, dir };
    },
    npm: async () => {
      const db = await createDatabase(o.adminUrl, 'npm');
      const r = mustSucceed('node-pg-migrate up', await timeProcess(NODE, [
        NODE_PG_MIGRATE, 'up', '-m', dir, '--no-single-transaction', '--no-verbose',
      ], { env: { ...process.env, DATABASE_URL: via(db.url) } }));
      await expectTables(db.url, tables, 'node-pg-migrate');
      samples.node_pg_migrate.push(r.ms);
      await dropDatabase(o.adminUrl, db.name);
    },
  };
  // The order turns each run, so a machine that slows down (or speeds up) over a run favours no tool.
  const orders = [['floor', 'schemaguard', 'npm'], ['schemaguard', 'npm', 'floor'], ['npm', 'floor', 'schemaguard']] as const;

  for (let run = 1; run <= o.runs; run++) {
    for (const tool of orders[(run - 1) % orders.length]!) await tools[tool]();
    const p = phases.at(-1);
    const cut = p ? ` (${Math.round(p.to_first_file_ms)} to the first file, ${Math.round(p.files_ms)} the files)` : '';
    o.onRun?.(`apply run ${run}/${o.runs}: schemaguard ${Math.round(samples.schemaguard.at(-1)!)} ms${cut}, floor ${hasPsql ? `${Math.round(samples.floor.at(-1)!)} ms` : 'n/a'}, node-pg-migrate ${Math.round(samples.node_pg_migrate.at(-1)!)} ms`);
  }

  const sg = median(samples.schemaguard);
  const floor = hasPsql ? median(samples.floor) : null;
  const npm = median(samples.node_pg_migrate);
  return {
    migrations: o.migrations,
    runs: o.runs,
    schemaguard_ms: round(sg),
    floor_ms: floor === null ? null : round(floor),
    node_pg_migrate_ms: round(npm),
    ratio_vs_floor: floor === null ? null : round(sg / floor, 3),
    ratio_vs_node_pg_migrate: round(sg / npm, 3),
    paired_ratio_vs_floor: hasPsql ? round(median(samples.schemaguard.map((x, k) => x / samples.floor[k]!)), 3) : null,
    paired_ratio_vs_node_pg_migrate: round(median(samples.schemaguard.map((x, k) => x / samples.node_pg_migrate[k]!)), 3),
    ...(hasPsql ? {} : { floor_note: `${PSQL} not found: floor not measured` }),
    schemaguard_phases: clockNote || !phases.length ? null : {
      to_first_file_ms: round(median(phases.map((p) => p.to_first_file_ms))),
      files_ms: round(median(phases.map((p) => p.files_ms))),
      after_last_file_ms: round(median(phases.map((p) => p.after_last_file_ms))),
    },
    samples: { schemaguard: samples.schemaguard.map((x) => round(x)), floor: samples.floor.map((x) => round(x)), node_pg_migrate: samples.node_pg_migrate.map((x) => round(x)) },
    applied: applied!,
  };
}

async function expectTables(url: string, expected: number, tool: string): Promise<void> {
  const n = await withClient(url, async (c) => Number((await c.query("SELECT count(*) AS n FROM pg_tables WHERE tablename LIKE 'bench_t%'")).rows[0].n));
  if (n !== expected) throw new Error(`${tool} left ${n} benchmark tables, expected ${expected}`);
}
