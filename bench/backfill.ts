/**
 * A backfill (`-- schemaguard:backfill`) against its floor: the same rows
 * filled by one plain UPDATE on an idle copy of the table (rows/s), and by
 * the batched backfill while application writers insert and update
 * throughout (rows/s, writer failures, writer latency). Both copies come
 * from one loaded template.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { PgDriver } from '../lambda/driver/pg/pg-driver';
import type { BackfillProgress } from '../lambda/engine/backfill/run';
import { DEFAULT_BACKFILL, type AutovacuumBound } from '../lambda/engine/defaults';
import { loadMigrations } from '../lambda/engine/files/source';
import { migrate } from '../lambda/engine/runner';
import { processCpuMs } from './lib/server-cpu';
import { createDatabase, dropDatabase, withClient } from './lib/server';
import { percentile, round } from './lib/stats';

export interface BackfillBenchOptions {
  adminUrl: string;
  rows: number;
  /** Application connections writing throughout. @default 4 */
  writers?: number;
  /** Which autovacuum on the table pauses the backfill. @default the engine's own (`DEFAULT_BACKFILL.autovacuum`) */
  autovacuum?: AutovacuumBound;
  onProgress?: (line: string) => void;
}

export interface BackfillBenchResult {
  rows: number;
  writers: number;
  autovacuum: AutovacuumBound;
  load_ms: number;
  /** One plain UPDATE of every row, nothing else running: the median of `floor_runs_ms`. */
  floor_ms: number;
  /** Each run of the floor, on its own copy of the table. */
  floor_runs_ms: number[];
  floor_rows_per_s: number;
  /** The backfill, from its first batch to proven done. */
  backfill_ms: number;
  rows_per_s: number;
  ratio_vs_floor: number;
  /** The engine's own rate, its pauses left out (`BackfillProgress.rowsPerSecond`): how fast the batches ran. */
  running_rows_per_s: number;
  /** The rest of backfill_ms: paused while the database was not healthy (autovacuum, lock waiters), and between batches. */
  paused_ms: number;
  batches: number;
  sweeps: number;
  /** Times the backfill paused (and each reason, once). */
  pauses: number;
  pause_reasons: string[];
  writer_ops: number;
  failed_writes: number;
  writer_p50_ms: number;
  writer_p99_ms: number;
  writer_max_ms: number;
  /**
   * CPU per row of the backend doing the work, in µs: the floor's UPDATE
   * (median run) and the backfill's sessions; read from /proc (undefined
   * for a server on another machine).
   */
  floor_cpu_us_per_row?: number;
  backfill_cpu_us_per_row?: number;
  /** Cores each part had while the backfill ran (CPU ms over wall ms; the machine has `machine.cores`); absent when it ended before its sessions were found. */
  cores_used?: { backfill_sessions: number; writer_sessions: number; bench_process: number };
}

/**
 * The floor is one UPDATE, and one run of it varied by half (178,000 to
 * 278,891 rows/s in five quiet runs of 2,000,000 rows): each run is on its own
 * copy, and the ratio is against their median.
 */
const FLOOR_RUNS = 3;

const EXPAND = 'ALTER TABLE orders ADD COLUMN region text';
const FILL = 'UPDATE orders SET region = lower(country) WHERE region IS NULL';

export async function benchBackfill(o: BackfillBenchOptions): Promise<BackfillBenchResult> {
  const writers = o.writers ?? 4;
  const started = performance.now();
  const template = await createDatabase(o.adminUrl, 'backfill_template');
  try {
    await load(template.url, o.rows);
    const loadMs = performance.now() - started;
    o.onProgress?.(`backfill: loaded ${o.rows} rows in ${Math.round(loadMs)} ms`);
    const floors: Floor[] = [];
    for (let k = 0; k < FLOOR_RUNS; k++) floors.push(await floor(o.adminUrl, template.name));
    const floorRuns = floors.map((f) => f.ms);
    const floorMs = percentile(floorRuns, 50);
    const floorCpuMs = floors.find((f) => f.ms === floorMs)?.cpuMs;
    o.onProgress?.(`backfill: floor, one UPDATE of ${o.rows} rows: ${Math.round(floorMs)} ms (median of ${floorRuns.map(Math.round).join(', ')})`);
    const run = await underLoad(o.adminUrl, template.name, o.rows, writers, o.autovacuum ?? DEFAULT_BACKFILL.autovacuum);
    const rowsPerS = (run.rowsDone / run.ms) * 1000;
    const floorRowsPerS = (o.rows / floorMs) * 1000;
    const result: BackfillBenchResult = {
      rows: o.rows,
      writers,
      autovacuum: o.autovacuum ?? DEFAULT_BACKFILL.autovacuum,
      load_ms: Math.round(loadMs),
      floor_ms: Math.round(floorMs),
      floor_runs_ms: floorRuns.map(Math.round),
      floor_rows_per_s: Math.round(floorRowsPerS),
      backfill_ms: Math.round(run.ms),
      rows_per_s: Math.round(rowsPerS),
      ratio_vs_floor: round(rowsPerS / floorRowsPerS, 2),
      running_rows_per_s: run.runningRowsPerS,
      paused_ms: Math.max(0, Math.round(run.ms - (run.rowsDone / Math.max(1, run.runningRowsPerS)) * 1000)),
      batches: run.batches,
      sweeps: run.sweeps,
      pauses: run.pauses.length,
      pause_reasons: [...new Set(run.pauses.map((r) => r.replace(/\d+/g, 'N')))],
      writer_ops: run.latencies.length + run.failed,
      failed_writes: run.failed,
      writer_p50_ms: round(percentile(run.latencies, 50)),
      writer_p99_ms: round(percentile(run.latencies, 99)),
      // Not Math.max(...latencies): a spread of a few hundred thousand arguments overflows the stack.
      writer_max_ms: round(run.latencies.reduce((a, b) => Math.max(a, b), 0)),
      ...cpuOf(floorCpuMs === undefined ? undefined : floorCpuMs / o.rows, run.cpu),
    };
    o.onProgress?.(
      `backfill: ${result.rows_per_s} rows/s (${result.ratio_vs_floor}x the floor's ${result.floor_rows_per_s}; ${result.running_rows_per_s} rows/s while it ran, ${Math.round(result.paused_ms / 1000)} s paused), ${writers} writers: ${result.failed_writes} failed, p99 ${writers ? `${result.writer_p99_ms} ms` : '—'}${cpuLine(result)}`,
    );
    return result;
  } finally {
    await dropDatabase(o.adminUrl, template.name);
  }
}

async function load(url: string, rows: number): Promise<void> {
  await withClient(url, async (c) => {
    await c.query('CREATE TABLE orders (id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, country text NOT NULL, touched int NOT NULL DEFAULT 0)');
    await c.query("INSERT INTO orders (id, country) SELECT g, CASE WHEN g % 3 = 0 THEN 'DE' ELSE 'FR' END FROM generate_series(1, $1::bigint) g", [rows]);
    await c.query("SELECT setval(pg_get_serial_sequence('orders', 'id'), $1::bigint)", [rows]);
    await c.query('VACUUM ANALYZE orders');
  });
}

interface Floor {
  ms: number;
  /** Its backend's CPU, when /proc can read it. */
  cpuMs?: number;
}

/** One plain UPDATE of every row on an idle copy: the rows/s a backfill is measured against. */
async function floor(adminUrl: string, template: string): Promise<Floor> {
  const db = await createDatabase(adminUrl, 'backfill_floor', template);
  try {
    return await withClient(db.url, async (c) => {
      await c.query(EXPAND);
      const pid = await backendPid(c);
      const cpu0 = processCpuMs(pid);
      const t0 = performance.now();
      await c.query(FILL);
      const ms = performance.now() - t0;
      const cpu1 = processCpuMs(pid);
      return { ms, cpuMs: cpu0 === undefined || cpu1 === undefined ? undefined : cpu1 - cpu0 };
    });
  } finally {
    await dropDatabase(adminUrl, db.name);
  }
}

const backendPid = async (c: pg.Client): Promise<number> => (await c.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;

/** CPU ms of processes so far, summed; undefined when one cannot be read. */
function cpuOfAll(pids: number[]): number | undefined {
  let sum = 0;
  for (const pid of pids) {
    const ms = processCpuMs(pid);
    if (ms === undefined) return undefined;
    sum += ms;
  }
  return sum;
}

interface Reading {
  at: number;
  rows: number;
  backfillMs: number;
  writersMs: number;
  benchMs: number;
}

/** What the backfill's and the writers' processes spent between two readings taken while it ran, over `ms`. */
type RunCpu = Omit<Reading, 'at'> & { ms: number };

function cpuOf(
  floorMsPerRow: number | undefined,
  cpu: RunCpu | undefined,
): Pick<BackfillBenchResult, 'floor_cpu_us_per_row' | 'backfill_cpu_us_per_row' | 'cores_used'> {
  return {
    ...(floorMsPerRow === undefined ? {} : { floor_cpu_us_per_row: round(floorMsPerRow * 1000, 2) }),
    ...(cpu === undefined
      ? {}
      : {
          backfill_cpu_us_per_row: round((cpu.backfillMs / Math.max(1, cpu.rows)) * 1000, 2),
          cores_used: {
            backfill_sessions: round(cpu.backfillMs / cpu.ms, 2),
            writer_sessions: round(cpu.writersMs / cpu.ms, 2),
            bench_process: round(cpu.benchMs / cpu.ms, 2),
          },
        }),
  };
}

function cpuLine(r: BackfillBenchResult): string {
  if (!r.cores_used) return '';
  const c = r.cores_used;
  return `; CPU per row ${r.backfill_cpu_us_per_row} µs (the floor's ${r.floor_cpu_us_per_row}); cores: backfill ${c.backfill_sessions}, writers' sessions ${c.writer_sessions}, this process ${c.bench_process}`;
}

interface LoadRun {
  ms: number;
  rowsDone: number;
  runningRowsPerS: number;
  batches: number;
  sweeps: number;
  latencies: number[];
  failed: number;
  pauses: string[];
  cpu?: RunCpu;
}

/** The backfill through the engine (expand, then batches) while `writers` connections insert and update. */
async function underLoad(adminUrl: string, template: string, rows: number, writers: number, autovacuum: AutovacuumBound): Promise<LoadRun> {
  const db = await createDatabase(adminUrl, 'backfill_run', template);
  const dir = mkdtempSync(join(tmpdir(), 'schemaguard-bench-backfill-'));
  writeFileSync(join(dir, '0001_region.sql'), `${EXPAND};\n\n-- schemaguard:backfill\n${FILL};\n`);
  const clients = await Promise.all(Array.from({ length: writers }, () => connect(db.url)));
  const latencies: number[] = [];
  let failed = 0;
  let measuring = false;
  let stop = false;
  const write = async (c: pg.Client, w: number) => {
    for (let k = 0; !stop; k++) {
      const t0 = performance.now();
      try {
        // Inserts of the application deployed with the expand: they fill the new column themselves (one that did not would be swept).
        if ((k + w) % 2 === 0) await c.query("INSERT INTO orders (country, region) VALUES ('SE', 'se')");
        else await c.query('UPDATE orders SET touched = touched + 1 WHERE id = $1', [1 + Math.floor(Math.random() * rows)]);
        if (measuring) latencies.push(performance.now() - t0);
      } catch {
        if (measuring) failed++;
      }
    }
  };
  const running = clients.map(write);
  let first = 0;
  let last: BackfillProgress | undefined;
  const pauses: string[] = [];
  // CPU readings while the backfill runs: from once its sessions are found to its last progress event.
  const writerPids = await Promise.all(clients.map(backendPid));
  const monitor = await connect(db.url);
  let backfillPids: number[] | undefined;
  let from: Reading | undefined;
  let to: Reading | undefined;
  const reading = (): Reading | undefined => {
    const backfillMs = backfillPids && cpuOfAll(backfillPids);
    const writersMs = cpuOfAll(writerPids);
    if (backfillMs === undefined || writersMs === undefined) return undefined;
    const bench = process.cpuUsage();
    return { at: performance.now(), rows: last?.rowsDone ?? 0, backfillMs, writersMs, benchMs: (bench.user + bench.system) / 1000 };
  };
  try {
    await new Promise((r) => setTimeout(r, 1000));
    await migrate({
      driver: new PgDriver({ connectionString: db.url, applicationName: 'bench-backfill' }),
      migrations: loadMigrations(dir),
      appliedBy: 'bench',
      backfillSettings: { ...DEFAULT_BACKFILL, autovacuum },
      onEvent: (e) => {
        if (e.type === 'migration-applied') {
          measuring = true;
          first = performance.now();
          void monitor
            .query<{ pid: number }>("SELECT pid FROM pg_stat_activity WHERE application_name = 'bench-backfill' AND datname = current_database()")
            .then(
              (r) => {
                backfillPids = r.rows.map((x) => x.pid);
                from = reading();
              },
              () => undefined,
            );
        }
        if (e.type === 'backfill' && e.progress.state === 'paused' && last?.state !== 'paused') pauses.push(e.progress.reason ?? '');
        if (e.type === 'backfill') last = e.progress;
        if (e.type === 'backfill' && from) to = reading() ?? to;
      },
    });
    const ms = performance.now() - first;
    measuring = false;
    if (last?.state !== 'done') throw new Error(`backfill: expected done, got ${JSON.stringify(last)}`);
    const cpu =
      from && to && to.at > from.at
        ? {
            ms: to.at - from.at,
            rows: to.rows - from.rows,
            backfillMs: to.backfillMs - from.backfillMs,
            writersMs: to.writersMs - from.writersMs,
            benchMs: to.benchMs - from.benchMs,
          }
        : undefined;
    return { ms, rowsDone: last.rowsDone, runningRowsPerS: last.rowsPerSecond, batches: last.batches, sweeps: last.sweeps, latencies, failed, pauses, cpu };
  } finally {
    stop = true;
    await Promise.allSettled(running);
    await Promise.all([...clients, monitor].map((c) => c.end().catch(() => undefined)));
    rmSync(dir, { recursive: true, force: true });
    await dropDatabase(adminUrl, db.name);
  }
}

async function connect(url: string): Promise<pg.Client> {
  const c = new pg.Client({ connectionString: url, application_name: 'bench-app' });
  c.on('error', () => undefined);
  await c.connect();
  await c.query('SET statement_timeout = 10000');
  return c;
}
