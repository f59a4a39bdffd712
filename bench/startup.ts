/**
 * Where `migrate`'s start-up goes, step by step, in the whole CLI process
 * (`node bin/schemaguard.cjs migrate`, as the apply benchmark runs it): each
 * run applies `migrations` files to a fresh empty database with a preload
 * (`lib/startup-trace.cjs`) that notes, from outside the CLI's code, when
 * Node.js hands over, when the first connection is asked for, each message
 * written and read on each connection, and each file opened. Then a no-op
 * run on the same database, traced alike: its round trips and connections.
 *
 * The steps, in the order of the path to the first file's state row (each
 * from the end of the one before, so they add up to `to_first_file_ms`):
 *
 *   node_ms          spawn → the preload runs: Node.js itself
 *   load_ms          → the first connection is asked for: the executable,
 *                    the bundle (and its code cache), the arguments, the
 *                    project file
 *   connect_read_ms  → the runner lock's query is written: the connection's
 *                    TCP handshake and authentication (`connect_ms` of it,
 *                    its first round trip `identify_ms`) while the files are
 *                    read (`read_files_ms`, from the first file opened to
 *                    the last)
 *   lock_ms          → its answer
 *   state_ms         → the applying connection's first message: the state
 *                    read, the checks before a run (foreign history,
 *                    replication), parsing the files
 *   state_table_ms   → the first file's message: the state table made (a
 *                    fresh database) and committed, the worker announced
 *   first_file_ms    → the first file's state row (`applied_at`, the
 *                    server's clock on this machine)
 *
 *   npx tsx bench/startup.ts [--migrations 300] [--runs 5] [--database-url URL]
 *
 * Each run, on a database of its own, the floor too
 * (`bench/lib/startup-floor.cjs`): the least a Node.js tool does before its
 * first file's state row (`pg` loaded, a connection, the files read and
 * hashed, the state table, the first file and its row), with `pg` bundled and
 * cached as the CLI's is; after one run to fill its code cache, not counted.
 * `floor` has its steps, `ratio_vs_floor` schemaguard's time over it.
 *
 * `npm run bench -- --only startup` runs it too. The last line is one JSON object.
 */
import { readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { CLI, ROOT } from './apply';
import { stateDdl, stateTable } from '../lambda/engine/state/state';
import { buildStartupFloor } from './lib/startup-floor-build.mjs';
import { generateMigrations } from './lib/generate';
import { measuredEnv, mustSucceed, NODE, timeProcess } from './lib/proc';
import { createDatabase, dropDatabase, startBenchServer, withClient } from './lib/server';
import { median, round } from './lib/stats';

const TRACE = join(ROOT, 'bench', 'lib', 'startup-trace.cjs');
const FLOOR_RUN = join(ROOT, 'bench', 'lib', 'startup-floor-run.cjs');

/** One note of the preload (lib/startup-trace.cjs). */
export interface TraceEvent {
  at: number;
  /** The process's CPU time so far, user and system (ms). */
  cpu: number;
  what: 'preload' | 'bundle-read' | 'bundle-read-done' | 'sql-open' | 'connect' | 'tcp' | 'write' | 'read' | 'exit';
  conn?: number;
  types?: string;
  sql?: string;
}

export const STEPS = ['node_ms', 'load_ms', 'connect_read_ms', 'lock_ms', 'state_ms', 'state_table_ms', 'first_file_ms'] as const;
export type Step = (typeof STEPS)[number];

export interface StartupSplit extends Record<Step, number> {
  to_first_file_ms: number;
  /** Inside connect_read_ms, in parallel: the first connection's TCP handshake and authentication, its first round trip, the files read. */
  connect_ms: number;
  identify_ms: number;
  read_files_ms: number;
  /** Connections opened and round trips (messages that wait for an answer) before the first file's message. */
  connections: number;
  round_trips: number;
  /** The CLI process's own CPU time in each step up to the first file's message (the server's is not here): little moved by other work on the machine, unlike the wall times. */
  cpu: Record<Exclude<Step, 'first_file_ms'>, number> & { to_first_file_message_ms: number };
}

export interface NoopTrace {
  process_ms: number;
  /** The process's CPU time, user and system. */
  cpu_ms: number;
  connections: number;
  round_trips: number;
  /** Each round trip's SQL (`roundTrips`; the start-up and authentication messages not counted). */
  statements: string[];
}

/** The floor's steps (`bench/lib/startup-floor.cjs`), each from the end of the one before. */
export interface FloorSplit {
  /** spawn → `pg` loaded: Node.js, the launcher, the bundle through its code cache. */
  load_ms: number;
  /** → the connection ready and the files read and hashed (side by side). */
  connect_read_ms: number;
  /** → the state table made. */
  state_table_ms: number;
  /** → the first file's state row (`applied_at`). */
  first_file_ms: number;
  to_first_file_ms: number;
}

export interface StartupResult {
  migrations: number;
  runs: number;
  /** Medians of each step over the runs. */
  split: StartupSplit;
  /** The floor's, medians over as many runs. */
  floor: FloorSplit;
  /** schemaguard's time to the first file over the floor's (medians). */
  ratio_vs_floor: number;
  floor_samples: FloorSplit[];
  noop: NoopTrace;
  samples: StartupSplit[];
}

/** A message written that waits for an answer: a simple query, or an extended-protocol batch ending in Sync. */
const asks = (e: TraceEvent) => e.what === 'write' && /[QS]/.test(e.types ?? '');

/**
 * The round trips of a trace: on each connection, the queries written before
 * an answer came (pipelined) make one; each as the SQL of its queries, joined
 * by " + ", after its connection's number. An extended-protocol query is
 * written in parts: its SQL is in the Parse, its Sync ends it.
 */
export function roundTrips(events: TraceEvent[]): string[] {
  const trips: string[][] = [];
  const open = new Map<number | undefined, string[]>();
  const sqlOf = new Map<number | undefined, string>();
  for (const e of events) {
    if (e.what === 'read') open.delete(e.conn);
    if (e.what !== 'write') continue;
    if (e.sql !== undefined) sqlOf.set(e.conn, e.sql);
    if (!asks(e)) continue;
    let trip = open.get(e.conn);
    if (!trip) {
      trip = [`${e.conn}: `];
      trips.push(trip);
      open.set(e.conn, trip);
    }
    trip.push(sqlOf.get(e.conn) ?? e.types ?? '');
  }
  return trips.map(([conn, ...sql]) => `${conn}${sql.join(' + ')}`);
}

/** The Nth ReadyForQuery ('Z') read on a connection, counting from 1. */
function nthReady(events: TraceEvent[], conn: number, n: number): TraceEvent | undefined {
  let seen = 0;
  for (const e of events) {
    if (e.what !== 'read' || e.conn !== conn) continue;
    seen += (e.types ?? '').split('Z').length - 1;
    if (seen >= n) return e;
  }
  return undefined;
}

/** The read that answers the message `w` (the next ReadyForQuery on its connection). */
function answerTo(events: TraceEvent[], w: TraceEvent): TraceEvent | undefined {
  return events.find((e) => e.at >= w.at && e.what === 'read' && e.conn === w.conn && e.types?.includes('Z'));
}

/** The split of one traced run: `spawned` (epoch ms) and the first state row's `applied_at` (epoch ms). */
export function splitOf(events: TraceEvent[], spawned: number, firstRowAt: number): StartupSplit {
  const find = (what: string, pred: (e: TraceEvent) => boolean = () => true) => {
    const e = events.find((x) => pred(x));
    if (!e) throw new Error(`the trace has no ${what}`);
    return e;
  };
  const preload = find('preload', (e) => e.what === 'preload');
  const connect = find('connection', (e) => e.what === 'connect');
  const lockConn = connect.conn!;
  const lockWrite = find('runner lock query', (e) => e.what === 'write' && e.conn === lockConn && /pg_try_advisory_lock\(\$1::bigint\)/.test(e.sql ?? ''));
  const lockRead = answerTo(events, lockWrite) ?? lockWrite;
  const applyingFirst = find(
    'applying message',
    (e) => asks(e) && e.conn !== lockConn && e.at > lockRead.at && !/pg_backend_pid\(\) AS pid, current_setting/.test(e.sql ?? ''),
  );
  const fileWrite = find('first file', (e) => e.what === 'write' && /schemaguard: applying /.test(e.sql ?? ''));
  const ready = nthReady(events, lockConn, 1) ?? connect;
  const identified = nthReady(events, lockConn, 2) ?? ready;
  const opens = events.filter((e) => e.what === 'sql-open');
  const before = events.filter((e) => e.at < fileWrite.at);
  const split: StartupSplit = {
    node_ms: preload.at - spawned,
    load_ms: connect.at - preload.at,
    connect_read_ms: lockWrite.at - connect.at,
    lock_ms: lockRead.at - lockWrite.at,
    state_ms: applyingFirst.at - lockRead.at,
    state_table_ms: fileWrite.at - applyingFirst.at,
    first_file_ms: firstRowAt - fileWrite.at,
    to_first_file_ms: firstRowAt - spawned,
    connect_ms: ready.at - connect.at,
    identify_ms: identified.at - ready.at,
    read_files_ms: opens.length ? opens.at(-1)!.at - opens[0]!.at : 0,
    connections: new Set(before.filter((e) => e.what === 'connect').map((e) => e.conn)).size,
    round_trips: roundTrips(before).length,
    cpu: {
      node_ms: preload.cpu,
      load_ms: connect.cpu - preload.cpu,
      connect_read_ms: lockWrite.cpu - connect.cpu,
      lock_ms: lockRead.cpu - lockWrite.cpu,
      state_ms: applyingFirst.cpu - lockRead.cpu,
      state_table_ms: fileWrite.cpu - applyingFirst.cpu,
      to_first_file_message_ms: fileWrite.cpu,
    },
  };
  return split;
}

/** Round trips and connections of a whole traced no-op run. */
export function noopOf(events: TraceEvent[], processMs: number): NoopTrace {
  const statements = roundTrips(events);
  return {
    process_ms: processMs,
    cpu_ms: events.at(-1)!.cpu,
    connections: new Set(events.filter((e) => e.what === 'connect').map((e) => e.conn)).size,
    round_trips: statements.length,
    statements,
  };
}

async function traced(url: string, dir: string, trace: string): Promise<{ events: TraceEvent[]; spawned: number; ms: number }> {
  rmSync(trace, { force: true });
  const spawned = Date.now();
  const r = mustSucceed(
    'schemaguard migrate (traced)',
    await timeProcess(NODE, ['-r', TRACE, CLI, 'migrate', '--database-url', url, '--dir', dir, '--quiet'], {
      env: { ...measuredEnv(), SCHEMAGUARD_APPLIED_BY: 'bench', SCHEMAGUARD_BENCH_TRACE: trace },
    }),
  );
  return { events: JSON.parse(readFileSync(trace, 'utf8')) as TraceEvent[], spawned, ms: r.ms };
}

/** The first file's state row's `applied_at` (epoch ms). */
async function firstRowAt(url: string): Promise<number> {
  return withClient(url, async (c) =>
    Number((await c.query<{ first: string }>(`SELECT extract(epoch FROM min(applied_at)) * 1000 AS first FROM ${stateTable('schemaguard')}`)).rows[0]!.first),
  );
}

/** One run of the floor on a fresh database: its steps. */
async function floorRun(adminUrl: string, bundle: string, dir: string): Promise<FloorSplit> {
  const db = await createDatabase(adminUrl, 'floor');
  try {
    const spawned = Date.now();
    const r = mustSucceed(
      'the start-up floor',
      await timeProcess(NODE, [FLOOR_RUN, bundle, db.url, dir], {
        env: { ...measuredEnv(), SCHEMAGUARD_BENCH_STATE_DDL: stateDdl('schemaguard'), SCHEMAGUARD_BENCH_STATE_TABLE: stateTable('schemaguard') },
      }),
    );
    const at = JSON.parse(r.stdout) as { loaded: number; connected: number; read: number; stateTable: number };
    const ready = Math.max(at.connected, at.read);
    const first = await firstRowAt(db.url);
    return {
      load_ms: at.loaded - spawned,
      connect_read_ms: ready - at.loaded,
      state_table_ms: at.stateTable - ready,
      first_file_ms: first - at.stateTable,
      to_first_file_ms: first - spawned,
    };
  } finally {
    await dropDatabase(adminUrl, db.name);
  }
}

export async function benchStartup(o: { adminUrl: string; migrations: number; runs: number; onRun?: (line: string) => void }): Promise<StartupResult> {
  const { dir } = generateMigrations(o.migrations);
  const trace = join(tmpdir(), `schemaguard-startup-trace-${process.pid}.json`);
  const samples: StartupSplit[] = [];
  const floors: FloorSplit[] = [];
  let noop: NoopTrace | undefined;
  // A path of its own for each benchmark process; the first run fills its code cache.
  const floorBundle = await buildStartupFloor(join(tmpdir(), `schemaguard-startup-floor-${process.pid}.cjs`));
  try {
    await floorRun(o.adminUrl, floorBundle, dir);
    for (let run = 1; run <= o.runs; run++) {
      const db = await createDatabase(o.adminUrl, 'startup');
      try {
        const t = await traced(db.url, dir, trace);
        const split = splitOf(t.events, t.spawned, await firstRowAt(db.url));
        samples.push(split);
        const floor = await floorRun(o.adminUrl, floorBundle, dir);
        floors.push(floor);
        o.onRun?.(
          `startup run ${run}/${o.runs}: ${Math.round(split.to_first_file_ms)} ms to the first file (${STEPS.map((s) => `${s.replace(/_ms$/, '')} ${Math.round(split[s])}`).join(', ')}); the floor ${Math.round(floor.to_first_file_ms)} ms`,
        );
        const n = await traced(db.url, dir, trace);
        noop = noopOf(n.events, n.ms);
      } finally {
        await dropDatabase(o.adminUrl, db.name);
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
    rmSync(trace, { force: true });
    rmSync(floorBundle, { force: true });
  }
  const split = medians(samples);
  const floor = medianEach(floors);
  return {
    migrations: o.migrations,
    runs: o.runs,
    split,
    floor,
    ratio_vs_floor: round(split.to_first_file_ms / floor.to_first_file_ms, 2),
    noop: { ...noop!, process_ms: round(noop!.process_ms), cpu_ms: round(noop!.cpu_ms) },
    samples: samples.map((s) => roundAll(s)),
    floor_samples: floors.map((f) => roundAll(f)),
  };
}

/** The median of each figure of flat rows of figures, over the rows. */
function medianEach<T extends object>(rows: T[]): T {
  const keys = Object.keys(rows[0]!) as (keyof T)[];
  return Object.fromEntries(keys.map((k) => [k, round(median(rows.map((row) => row[k] as number)))])) as T;
}

/** The median of each figure over the runs (the CPU times' too). */
function medians(samples: StartupSplit[]): StartupSplit {
  const wall = samples.map(({ cpu: _cpu, ...w }) => w);
  return { ...medianEach(wall), cpu: medianEach(samples.map((s) => s.cpu)) };
}

function roundAll<T extends object>(s: T): T {
  const r = <T extends object>(o: T): T => Object.fromEntries(Object.entries(o).map(([k, v]) => [k, typeof v === 'number' ? round(v) : r(v as object)])) as T;
  return r(s);
}

function option(argv: string[], name: string): string | undefined {
  const k = argv.indexOf(name);
  return k >= 0 ? argv[k + 1] : undefined;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const argv = process.argv.slice(2);
  const server = await startBenchServer(option(argv, '--database-url') ?? process.env.BENCH_DATABASE_URL);
  try {
    const r = await benchStartup({
      adminUrl: server.adminUrl,
      migrations: Number(option(argv, '--migrations') ?? 300),
      runs: Number(option(argv, '--runs') ?? 5),
      onRun: (line) => process.stderr.write(`${line}\n`),
    });
    process.stdout.write(`${JSON.stringify(r)}\n`);
  } finally {
    await server.stop();
  }
}
