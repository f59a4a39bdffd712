/**
 * Apply overhead: the same small migrations applied to an empty database by
 *   - schemaguard: the CLI as a whole process (`node bin/schemaguard.cjs migrate`, what `npx schemaguard` runs);
 *   - the floor: psql running every file in ONE session, each in its own
 *     BEGIN/COMMIT — the least any tool can do that keeps one transaction per file;
 *   - node-pg-migrate: its CLI with the same .sql files, one transaction per
 *     migration (`--no-single-transaction`, its default lock kept);
 *   - dbmate: its npm package's executable (a Node.js launcher that runs the
 *     package's Go binary) with the same SQL, each file headed
 *     `-- migrate:up` as dbmate requires, one transaction per migration (its
 *     default), no schema dump (`--no-dump-schema`: the dump runs pg_dump).
 * Wall time of each whole process; runs are interleaved so noise hits every
 * tool, in an order that turns from run to run.
 *
 * schemaguard's time is also cut in three by its own state rows (`applied_at`,
 * the server's clock at each row; the server runs on this machine): from the
 * spawn to the first file's row (start-up: Node.js, the bundle, connecting,
 * the runner lock, the state, reading and parsing the files, then the first
 * file), the first row to the last (the files), the last row to the exit.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createDatabase, dropDatabase, withClient } from './lib/server';
import { generateMigrations, tablesFor } from './lib/generate';
import { NODE, mustSucceed, timeProcess } from './lib/proc';
import { median, round } from './lib/stats';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const CLI = join(ROOT, 'bin', 'schemaguard.cjs');
export const NODE_PG_MIGRATE = join(ROOT, 'node_modules', 'node-pg-migrate', 'bin', 'node-pg-migrate.js');
export const PSQL = process.env.BENCH_PSQL ?? '/usr/bin/psql';
export const DBMATE = join(ROOT, 'node_modules', 'dbmate', 'dist', 'cli.js');

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
  dbmate_ms: number | null;
  ratio_vs_floor: number | null;
  ratio_vs_node_pg_migrate: number;
  ratio_vs_dbmate: number | null;
  /** Median of the per-run ratios (each run's three tools ran back to back, so they saw similar load). */
  paired_ratio_vs_floor: number | null;
  paired_ratio_vs_node_pg_migrate: number;
  paired_ratio_vs_dbmate: number | null;
  /** Why the floor is missing, when it is. */
  floor_note?: string;
  /** Why dbmate is missing, when it is (its package's binary for this platform not installed). */
  dbmate_note?: string;
  /** Medians of schemaguard's run cut by its first and last state rows (null: the server's clock is not this machine's). */
  schemaguard_phases: Phases | null;
  samples: { schemaguard: number[]; floor: number[]; node_pg_migrate: number[]; dbmate: number[] };
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
  const dbmateDir = dbmateMigrations(dir, files, join(floorDir, 'dbmate'));
  const hasPsql = existsSync(PSQL);
  const dbmateNote = dbmateMissing();
  const samples: ApplyResult['samples'] = { schemaguard: [], floor: [], node_pg_migrate: [], dbmate: [] };
  const phases: Phases[] = [];
  let clockNote = false;
  let applied: ApplyResult['applied'] | undefined;
  const tables = tablesFor(o.migrations);
  const via = o.via ?? ((url: string) => url);

  const tools: Record<Tool, () => Promise<void>> = {
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
      const r = mustSucceed(
        'schemaguard migrate',
        await timeProcess(NODE, [CLI, 'migrate', '--database-url', via(db.url), '--dir', dir, '--quiet'], {
          env: { ...process.env, SCHEMAGUARD_APPLIED_BY: 'bench' },
        }),
      );
      await expectTables(db.url, tables, 'schemaguard');
      const p = await phasesOf(db.url, o.migrations, spawned, r.ms);
      if (p.to_first_file_ms < 0 || p.after_last_file_ms < 0) clockNote = true;
      else phases.push(p);
      samples.schemaguard.push(r.ms);
      if (applied) await dropDatabase(o.adminUrl, applied.name);
      applied = { ...db, dir };
    },
    npm: async () => {
      const db = await createDatabase(o.adminUrl, 'npm');
      const r = mustSucceed(
        'node-pg-migrate up',
        await timeProcess(NODE, [NODE_PG_MIGRATE, 'up', '-m', dir, '--no-single-transaction', '--no-verbose'], {
          env: { ...process.env, DATABASE_URL: via(db.url) },
        }),
      );
      await expectTables(db.url, tables, 'node-pg-migrate');
      samples.node_pg_migrate.push(r.ms);
      await dropDatabase(o.adminUrl, db.name);
    },
    dbmate: async () => {
      if (dbmateNote) return;
      const db = await createDatabase(o.adminUrl, 'dbmate');
      const r = mustSucceed(
        'dbmate migrate',
        await timeProcess(NODE, [DBMATE, '--url', withoutTls(via(db.url)), '--migrations-dir', dbmateDir, '--no-dump-schema', 'migrate']),
      );
      await expectTables(db.url, tables, 'dbmate');
      samples.dbmate.push(r.ms);
      await dropDatabase(o.adminUrl, db.name);
    },
  };

  for (let run = 1; run <= o.runs; run++) {
    for (const tool of orderOf(run)) await tools[tool]();
    const p = phases.at(-1);
    const cut = p ? ` (${Math.round(p.to_first_file_ms)} to the first file, ${Math.round(p.files_ms)} the files)` : '';
    const last = (xs: number[]) => (xs.length ? `${Math.round(xs.at(-1)!)} ms` : 'n/a');
    o.onRun?.(
      `apply run ${run}/${o.runs}: schemaguard ${last(samples.schemaguard)}${cut}, floor ${last(samples.floor)}, node-pg-migrate ${last(samples.node_pg_migrate)}, dbmate ${last(samples.dbmate)}`,
    );
  }
  return {
    ...summarise(o, samples, clockNote ? [] : phases),
    ...(hasPsql ? {} : { floor_note: `${PSQL} not found: floor not measured` }),
    ...(dbmateNote ? { dbmate_note: dbmateNote } : {}),
    applied: applied!,
  };
}

type Tool = 'floor' | 'schemaguard' | 'npm' | 'dbmate';
const TOOLS: readonly Tool[] = ['floor', 'schemaguard', 'npm', 'dbmate'];

/** The order turns each run, so a machine that slows down (or speeds up) over a run favours no tool. */
function orderOf(run: number): Tool[] {
  const k = (run - 1) % TOOLS.length;
  return [...TOOLS.slice(k), ...TOOLS.slice(0, k)];
}

/** schemaguard's run cut by its first and last state rows (the server's clock, on this machine). */
async function phasesOf(url: string, migrations: number, spawned: number, ms: number): Promise<Phases> {
  const rows = await withClient(
    url,
    async (c) =>
      (
        await c.query<{ n: string; first: string; last: string }>(
          'SELECT count(*) AS n, extract(epoch FROM min(applied_at)) * 1000 AS first, extract(epoch FROM max(applied_at)) * 1000 AS last FROM schemaguard.applied_migrations',
        )
      ).rows[0]!,
  );
  const recorded = Number(rows.n);
  if (recorded !== migrations) throw new Error(`schemaguard recorded ${recorded} migrations, expected ${migrations}`);
  return {
    to_first_file_ms: Number(rows.first) - spawned,
    files_ms: Number(rows.last) - Number(rows.first),
    after_last_file_ms: spawned + ms - Number(rows.last),
  };
}

function summarise(o: ApplyOptions, samples: ApplyResult['samples'], phases: Phases[]): Omit<ApplyResult, 'applied' | 'floor_note' | 'dbmate_note'> {
  const sg = median(samples.schemaguard);
  const ratios = (xs: number[]) =>
    xs.length
      ? {
          ms: round(median(xs)),
          ratio: round(sg / median(xs), 3),
          paired: round(median(samples.schemaguard.map((x, k) => x / xs[k]!)), 3),
        }
      : { ms: null, ratio: null, paired: null };
  const floor = ratios(samples.floor);
  const npm = ratios(samples.node_pg_migrate);
  const dbmate = ratios(samples.dbmate);
  const rounded = (xs: number[]) => xs.map((x) => round(x));
  return {
    migrations: o.migrations,
    runs: o.runs,
    schemaguard_ms: round(sg),
    floor_ms: floor.ms,
    node_pg_migrate_ms: npm.ms!,
    dbmate_ms: dbmate.ms,
    ratio_vs_floor: floor.ratio,
    ratio_vs_node_pg_migrate: npm.ratio!,
    ratio_vs_dbmate: dbmate.ratio,
    paired_ratio_vs_floor: floor.paired,
    paired_ratio_vs_node_pg_migrate: npm.paired!,
    paired_ratio_vs_dbmate: dbmate.paired,
    schemaguard_phases: !phases.length
      ? null
      : {
          to_first_file_ms: round(median(phases.map((p) => p.to_first_file_ms))),
          files_ms: round(median(phases.map((p) => p.files_ms))),
          after_last_file_ms: round(median(phases.map((p) => p.after_last_file_ms))),
        },
    samples: {
      schemaguard: rounded(samples.schemaguard),
      floor: rounded(samples.floor),
      node_pg_migrate: rounded(samples.node_pg_migrate),
      dbmate: rounded(samples.dbmate),
    },
  };
}

/** The same migrations as dbmate reads them: each file's SQL under `-- migrate:up`, and an empty `-- migrate:down` (dbmate refuses a file without either). */
function dbmateMigrations(dir: string, files: string[], into: string): string {
  mkdirSync(into, { recursive: true });
  for (const f of files) writeFileSync(join(into, f), `-- migrate:up\n${readFileSync(join(dir, f), 'utf8')}-- migrate:down\n`);
  return into;
}

/** Why dbmate cannot run here (its binary comes in an optional package per platform), or undefined. */
function dbmateMissing(): string | undefined {
  if (!existsSync(DBMATE)) return `${DBMATE} not found: dbmate not measured (npm install)`;
  const r = spawnSync(NODE, [DBMATE, '--version'], { encoding: 'utf8' });
  return r.status === 0 ? undefined : `dbmate --version failed (${(r.stderr || r.stdout).trim().slice(0, 200)}): dbmate not measured`;
}

/** dbmate's driver asks for TLS unless the URL says otherwise; the bench server (and its proxy) has none, as schemaguard and psql find for 127.0.0.1. */
function withoutTls(url: string): string {
  const u = new URL(url);
  u.searchParams.set('sslmode', 'disable');
  return u.toString();
}

async function expectTables(url: string, expected: number, tool: string): Promise<void> {
  const n = await withClient(url, async (c) => Number((await c.query("SELECT count(*) AS n FROM pg_tables WHERE tablename LIKE 'bench_t%'")).rows[0].n));
  if (n !== expected) throw new Error(`${tool} left ${n} benchmark tables, expected ${expected}`);
}
