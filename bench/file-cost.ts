/**
 * The server's work per migration file, part by part: what schemaguard sends
 * with each file that psql's floor (`BEGIN; file; COMMIT`) does not, in
 * backend CPU time. Each variant adds one part to the one before; the last is
 * the message `migrate` writes for a small file in flight (built with the
 * engine's own functions):
 *
 *   floor      BEGIN; the file; COMMIT — in one message (psql sends three)
 *   state_row  + the state row (INSERT … RETURNING execution_ms)
 *   timeouts   + the transaction's lock_timeout / statement_timeout (one SELECT of set_config calls), the comment naming the file
 *   guard      + the in-flight guard (the file before committed, the runner lock is held) and the mark it reads,
 *              and the state row's guard (written only while the runner lock is held)
 *   reset      + the session reset before the state row (= what migrate sends)
 *
 * With `--forms`, other ways to write the file's own statements after its
 * SQL, each beside what migrate sends (same guard, timeouts and reset):
 *
 *   sent          what migrate sends: the reset, then the state row INSERT … RETURNING the time and the mark
 *   plain_row     the time and the mark in the reset's SELECT; the state row a bare INSERT … VALUES
 *   merged_reset  the reset's SELECT folded into the state row: INSERT … SELECT … FROM (SELECT <reset calls>)
 *
 * Every variant has its own database and connection; they take turns, a
 * batch of files at a time, so the machine's changing speed hits them alike.
 * CPU time is the backend's own (utime + stime in /proc/<pid>/stat), so the
 * server must run on this machine (the default: an embedded one).
 *
 *   npx tsx bench/file-cost.ts [--forms] [--migrations 1000] [--batch 50] [--database-url URL]
 *
 * The last line is one JSON object.
 */
import { existsSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import pg from 'pg';
import { PgDriver } from '../lambda/driver/pg/pg-driver';
import type { MigrationLock, TransactionSettings } from '../lambda/engine/ports';
import { transactionStartSql } from '../lambda/engine/apply/script';
import { DEFAULT_STATE_SCHEMA, ensureState, IN_FLIGHT_MARK, inFlightGuardSql, insertAppliedTimedSql } from '../lambda/engine/state/state';
import { migrationText } from './lib/generate';
import { processCpuMs } from './lib/server-cpu';
import { createDatabase, dropDatabase, startBenchServer } from './lib/server';
import { round } from './lib/stats';

const SETTINGS: TransactionSettings = { lockTimeoutMs: 5000, statementTimeoutMs: 0 };
const VARIANTS = ['floor', 'state_row', 'timeouts', 'guard', 'reset'] as const;
const FORMS = ['sent', 'plain_row', 'merged_reset'] as const;
type Variant = (typeof VARIANTS)[number] | (typeof FORMS)[number];
/** The parts added one by one (the default), or the other forms of the file's own statements (`--forms`). */
export type VariantSet = 'parts' | 'forms';
const SETS: Record<VariantSet, readonly Variant[]> = { parts: VARIANTS, forms: FORMS };

function option(argv: string[], name: string): string | undefined {
  const k = argv.indexOf(name);
  return k >= 0 ? argv[k + 1] : undefined;
}

interface Parts {
  reset: string;
  held: string;
}

/** File `k`'s message in `variant`. */
function message(variant: Variant, k: number, parts: Parts): string {
  const file = migrationText(k);
  if (variant === 'floor') return `BEGIN;\n${file}\nCOMMIT;\n`;
  if (variant === 'sent') return message('reset', k, parts);
  if (variant === 'plain_row' || variant === 'merged_reset') return formMessage(variant, k, file, parts);
  const level = VARIANTS.indexOf(variant);
  const guarded = level >= VARIANTS.indexOf('guard');
  const guard = guarded && k > 1 ? inFlightGuardSql(k - 1, parts.held) : undefined;
  const start = level >= VARIANTS.indexOf('timeouts') ? transactionStartSql(SETTINGS, guard, `${k}_step_${k}.sql`) : 'BEGIN';
  const reset = level >= VARIANTS.indexOf('reset') ? `${parts.reset}\n;\n` : '';
  const row = insertAppliedTimedSql(
    DEFAULT_STATE_SCHEMA,
    { version: k, name: `step_${k}`, checksum: 'a'.repeat(64), appliedBy: 'bench' },
    guarded,
    guarded ? parts.held : undefined,
  );
  return `${start}\n;\n${file}\n;\n${reset}${row}\n;\nCOMMIT\n;\n`;
}

/** The server's time since BEGIN, as the state row records it. */
const EXECUTION_MS = 'round(extract(epoch FROM clock_timestamp() - now()) * 1000)::int';

/** `--forms`: the file as migrate sends it up to its reset, then the time, the mark and the state row written another way. */
function formMessage(form: 'plain_row' | 'merged_reset', k: number, file: string, parts: Parts): string {
  const start = transactionStartSql(SETTINGS, k > 1 ? inFlightGuardSql(k - 1, parts.held) : undefined, `${k}_step_${k}.sql`);
  const at = parts.reset.lastIndexOf('; SELECT ');
  const [utilities, calls] = [parts.reset.slice(0, at), parts.reset.slice(at + '; SELECT '.length)];
  const mark = `set_config('${IN_FLIGHT_MARK}', '${k}', false) AS mark`;
  const insert = `INSERT INTO ${DEFAULT_STATE_SCHEMA}.applied_migrations (version, name, checksum, execution_ms, applied_by)`;
  const values = `${k}, 'step_${k}', '${'a'.repeat(64)}', ${EXECUTION_MS}, 'bench'`;
  const tail =
    form === 'plain_row'
      ? `${utilities}; SELECT ${calls}, ${mark}, ${EXECUTION_MS} AS execution_ms\n;\n${insert} VALUES (${values})`
      : `${utilities}\n;\n${insert} SELECT ${values} FROM (SELECT ${calls}) AS reset RETURNING execution_ms, ${mark}`;
  return `${start}\n;\n${file}\n;\n${tail}\n;\nCOMMIT\n;\n`;
}

/** The backend's CPU time so far, in ms. */
function backendCpuMs(pid: number): number {
  const ms = processCpuMs(pid);
  if (ms === undefined) throw new Error(`backend pid ${pid}: its CPU time cannot be read from /proc`);
  return ms;
}

interface Lane {
  variant: Variant;
  client: pg.Client;
  pid: number;
  lock: MigrationLock;
  driver: PgDriver;
  db: string;
  cpuMs: number;
  wallMs: number;
  parts: Parts;
}

async function lane(adminUrl: string, variant: Variant): Promise<Lane> {
  const db = await createDatabase(adminUrl, `file_cost_${variant}`);
  const driver = new PgDriver({ connectionString: db.url });
  const session = await driver.connect();
  const reset = session.resetSql?.(SETTINGS);
  if (!reset) throw new Error('the pg driver has no session reset');
  await ensureState(session, DEFAULT_STATE_SCHEMA);
  await session.close();
  // The runner lock as migrate holds it, for the guard's condition.
  const lock = driver.createLock({ stateSchema: DEFAULT_STATE_SCHEMA, owner: 'bench' });
  await lock.acquire(10_000);
  const held = (await lock.heldSql?.()) ?? '';
  if (!held) throw new Error('the pg runner lock gave no condition for the in-flight guard');
  const client = new pg.Client({ connectionString: db.url });
  await client.connect();
  const pid = (await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;
  if (!existsSync(`/proc/${pid}/stat`)) {
    throw new Error(`backend pid ${pid} is not a process of this machine: run against a server on this machine (leave out --database-url)`);
  }
  return { variant, client, pid, lock, driver, db: db.name, cpuMs: 0, wallMs: 0, parts: { reset, held } };
}

export interface VariantCost {
  server_cpu_ms: number;
  wall_ms: number;
  per_file_us: number;
  /** Over the variant before it. */
  added_per_file_us: number;
  /** × the first variant's CPU time: the floor (with `--forms`, the message migrate sends). */
  vs_first: number;
}

export interface FileCostResult {
  set: VariantSet;
  migrations: number;
  batch: number;
  variants: Partial<Record<Variant, VariantCost>>;
  /** State rows each variant's database holds at the end (none for the floor): every file committed. */
  recorded: Partial<Record<Variant, number>>;
}

/** Runs `count` files through every variant on the server of `adminUrl` (each in a database of its own, dropped after). */
export async function benchFileCost(
  adminUrl: string,
  count: number,
  batch: number,
  onProgress?: (done: number) => void,
  set: VariantSet = 'parts',
): Promise<FileCostResult> {
  const lanes: Lane[] = [];
  try {
    for (const v of SETS[set]) lanes.push(await lane(adminUrl, v));
    for (let from = 1, turn = 0; from <= count; from += batch, turn++) {
      for (const l of turn % 2 ? [...lanes].reverse() : lanes) {
        const cpu0 = backendCpuMs(l.pid);
        const t0 = performance.now();
        for (let k = from; k < Math.min(from + batch, count + 1); k++) await l.client.query(message(l.variant, k, l.parts));
        l.wallMs += performance.now() - t0;
        l.cpuMs += backendCpuMs(l.pid) - cpu0;
      }
      onProgress?.(Math.min(from + batch - 1, count));
    }
    const floor = lanes[0]!;
    const recorded: Partial<Record<Variant, number>> = {};
    for (const l of lanes) {
      const r = await l.client.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${DEFAULT_STATE_SCHEMA}.applied_migrations`);
      recorded[l.variant] = r.rows[0]!.n;
    }
    const variants = Object.fromEntries(
      lanes.map((l, k) => [
        l.variant,
        {
          server_cpu_ms: round(l.cpuMs),
          wall_ms: round(l.wallMs),
          per_file_us: round((l.cpuMs / count) * 1000),
          added_per_file_us: k === 0 ? 0 : round(((l.cpuMs - lanes[k - 1]!.cpuMs) / count) * 1000),
          vs_first: round(l.cpuMs / Math.max(floor.cpuMs, 1), 2),
        },
      ]),
    ) as Partial<Record<Variant, VariantCost>>;
    return { set, migrations: count, batch, variants, recorded };
  } finally {
    for (const l of lanes) {
      await l.client.end();
      await l.lock.release();
      await l.driver.end();
      await dropDatabase(adminUrl, l.db);
    }
  }
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const count = Number(option(argv, '--migrations') ?? 1000);
  const batch = Number(option(argv, '--batch') ?? 50);
  if (!Number.isInteger(count) || count < 1 || !Number.isInteger(batch) || batch < 1) {
    throw new Error(`--migrations and --batch take positive integers (got ${count}, ${batch})`);
  }
  const set: VariantSet = argv.includes('--forms') ? 'forms' : 'parts';
  const server = await startBenchServer(option(argv, '--database-url') ?? process.env.BENCH_DATABASE_URL);
  try {
    const { recorded: _recorded, ...result } = await benchFileCost(
      server.adminUrl,
      count,
      batch,
      (done) => {
        process.stderr.write(`\r  ${done} / ${count} files in each of ${SETS[set].length} variants`);
      },
      set,
    );
    process.stderr.write('\n');
    process.stdout.write(`${JSON.stringify({ server: server.version, ...result })}\n`);
  } finally {
    await server.stop();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await main();
