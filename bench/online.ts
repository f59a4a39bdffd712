/**
 * Online safety: the fix set applied to a large table while an application
 * load runs — several connections inserting and updating continuously, each
 * operation timed — once in the safe forms the project ships
 * (bench/fixtures/safe) and once in naive forms (bench/fixtures/naive).
 * Both runs start from identical copies of one loaded database.
 */
import { randomUUID } from 'node:crypto';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { PgDriver } from '../lambda/driver/pg/pg-driver';
import { migrate } from '../lambda/engine/runner';
import { loadMigrations } from '../lambda/engine/files/source';
import { createDatabase, dropDatabase, withClient } from './lib/server';
import { percentile, round } from './lib/stats';

export const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), 'fixtures');
/** The lock_timeout every safe fixture sets. */
export const SAFE_LOCK_TIMEOUT_MS = 2000;
/** The application's own statement_timeout: an operation slower than this fails. */
export const APP_STATEMENT_TIMEOUT_MS = 10_000;
const LEADS = 1000;

export interface OnlineOptions {
  adminUrl: string;
  rows: number;
  /** Concurrent application connections. @default 4 */
  workers?: number;
  /** Load before the migration starts (the baseline). @default 3000 */
  baselineMs?: number;
  /** Upper bound on operations per worker. @default 1_000_000 */
  maxOpsPerWorker?: number;
  /** Upper bound on one migration run. @default 600_000 */
  maxMigrationMs?: number;
  onProgress?: (line: string) => void;
}

export interface LatencySummary {
  ops: number;
  p50_ms: number;
  p99_ms: number;
  max_ms: number;
}

export interface OnlineRun {
  forms: 'safe' | 'naive';
  migrations: number;
  migration_ms: number;
  /** Application operations that failed during the run (any phase). */
  failed_ops: number;
  failures: Record<string, number>;
  before: LatencySummary;
  during: LatencySummary;
  /** The longest single application operation while the migration ran. */
  max_stall_ms: number;
  /** The longest interval while the migration ran in which no operation of any connection completed. */
  max_gap_ms: number;
}

export interface OnlineResult {
  rows: number;
  workers: number;
  load_ms: number;
  lock_timeout_ms: number;
  app_statement_timeout_ms: number;
  safe: OnlineRun;
  naive: OnlineRun;
}

export async function benchOnline(o: OnlineOptions): Promise<OnlineResult> {
  const started = performance.now();
  const template = await createDatabase(o.adminUrl, 'online_template');
  try {
    const leads = await loadTable(template.url, o.rows);
    const loadMs = performance.now() - started;
    o.onProgress?.(`online: loaded ${o.rows} rows in ${Math.round(loadMs)} ms`);
    const runs: OnlineRun[] = [];
    for (const forms of ['safe', 'naive'] as const) {
      const db = await createDatabase(o.adminUrl, `online_${forms}`, template.name);
      try {
        const run = await runUnderLoad(db.url, forms, leads, o);
        await assertFinalSchema(db.url);
        runs.push(run);
        o.onProgress?.(
          `online ${forms}: ${run.migration_ms} ms, failed ops ${run.failed_ops}, p99 ${run.during.p99_ms} ms, longest stall ${run.max_stall_ms} ms`,
        );
      } finally {
        await dropDatabase(o.adminUrl, db.name);
      }
    }
    return {
      rows: o.rows,
      workers: o.workers ?? 4,
      load_ms: round(loadMs),
      lock_timeout_ms: SAFE_LOCK_TIMEOUT_MS,
      app_statement_timeout_ms: APP_STATEMENT_TIMEOUT_MS,
      safe: runs[0]!,
      naive: runs[1]!,
    };
  } finally {
    await dropDatabase(o.adminUrl, template.name);
  }
}

/** The drifted table the fixes are for: uuid key without default, varchar lead_id NOT NULL, no unique index, no foreign key. */
async function loadTable(url: string, rows: number): Promise<string[]> {
  return withClient(url, async (c) => {
    await c.query(`
      CREATE TABLE all_leads (id uuid PRIMARY KEY);
      INSERT INTO all_leads SELECT gen_random_uuid() FROM generate_series(1, ${LEADS});
      CREATE SEQUENCE lead_purchases_seq;
      CREATE TABLE lead_purchases (
        id         uuid PRIMARY KEY,
        seq        bigint NOT NULL DEFAULT nextval('lead_purchases_seq'),
        lead_id    varchar(36) NOT NULL,
        student_id uuid NOT NULL,
        course_id  integer NOT NULL,
        is_active  boolean NOT NULL,
        price      numeric NOT NULL,
        updated_at timestamptz NOT NULL DEFAULT now()
      );
      ALTER SEQUENCE lead_purchases_seq OWNED BY lead_purchases.seq;`);
    await c.query(
      `
      INSERT INTO lead_purchases (id, seq, lead_id, student_id, course_id, is_active, price)
      SELECT gen_random_uuid(), g, (l.ids[1 + g % ${LEADS}])::text, gen_random_uuid(), g % 50, g % 3 = 0, 10
        FROM generate_series(1, $1::bigint) AS g, (SELECT array_agg(id) AS ids FROM all_leads) AS l`,
      [rows],
    );
    await c.query(`SELECT setval('lead_purchases_seq', $1::bigint)`, [rows]);
    await c.query('CREATE UNIQUE INDEX lead_purchases_seq_key ON lead_purchases (seq)');
    await c.query('VACUUM ANALYZE lead_purchases');
    await c.query('VACUUM ANALYZE all_leads');
    return (await c.query<{ id: string }>('SELECT id::text AS id FROM all_leads')).rows.map((r) => r.id);
  });
}

interface Op {
  start: number;
  end: number;
  ok: boolean;
  code?: string;
}

async function runUnderLoad(url: string, forms: 'safe' | 'naive', leads: string[], o: OnlineOptions): Promise<OnlineRun> {
  const workers = o.workers ?? 4;
  const maxOps = o.maxOpsPerWorker ?? 1_000_000;
  const ops: Op[] = [];
  let stop = false;
  const clients: pg.Client[] = [];
  for (let w = 0; w < workers; w++) {
    const c = new pg.Client({ connectionString: url, application_name: 'bench-app' });
    c.on('error', () => undefined);
    await c.connect();
    await c.query(`SET statement_timeout = ${APP_STATEMENT_TIMEOUT_MS}`);
    clients.push(c);
  }
  const worker = async (c: pg.Client, w: number) => {
    for (let k = 0; !stop && k < maxOps; k++) {
      const start = performance.now();
      try {
        if ((k + w) % 2 === 0) {
          await c.query('INSERT INTO lead_purchases (id, lead_id, student_id, course_id, is_active, price) VALUES ($1, $2, $3, $4, true, $5)', [
            randomUUID(),
            leads[Math.floor(Math.random() * leads.length)],
            randomUUID(),
            k % 50,
            20,
          ]);
        } else {
          await c.query('UPDATE lead_purchases SET price = price + 1, updated_at = now() WHERE seq = $1', [1 + Math.floor(Math.random() * o.rows)]);
        }
        ops.push({ start, end: performance.now(), ok: true });
      } catch (e) {
        ops.push({ start, end: performance.now(), ok: false, code: (e as { code?: string }).code ?? (e instanceof Error ? e.message.slice(0, 60) : 'error') });
      }
    }
  };
  const running = clients.map((c, w) => worker(c, w));
  try {
    await new Promise((r) => setTimeout(r, o.baselineMs ?? 3000));
    const migrations = loadMigrations(join(FIXTURES, forms));
    const driver = new PgDriver({ connectionString: url, applicationName: `bench-migrate-${forms}` });
    const t0 = performance.now();
    const result = await migrate({ driver, migrations, appliedBy: 'bench', deadline: Date.now() + (o.maxMigrationMs ?? 600_000), reserveMs: 0 });
    const t1 = performance.now();
    if (result.outcome !== 'applied' || result.applied.length !== migrations.length) {
      throw new Error(`${forms}: expected ${migrations.length} applied, got ${result.outcome} with ${result.applied.length}`);
    }
    // A short tail so operations queued behind the last statement complete and count.
    await new Promise((r) => setTimeout(r, 300));
    stop = true;
    await Promise.all(running);
    return summarise(forms, migrations.length, ops, t0, t1);
  } finally {
    stop = true;
    await Promise.allSettled(running);
    await Promise.all(clients.map((c) => c.end().catch(() => undefined)));
  }
}

function summarise(forms: 'safe' | 'naive', migrations: number, ops: Op[], t0: number, t1: number): OnlineRun {
  const lat = (o: Op) => o.end - o.start;
  const before = ops.filter((o) => o.ok && o.end <= t0);
  // An operation belongs to the migration if any part of it overlapped the migration.
  const during = ops.filter((o) => o.ok && o.end > t0 && o.start < t1);
  const failed = ops.filter((o) => !o.ok);
  const failures: Record<string, number> = {};
  for (const f of failed) failures[f.code ?? 'error'] = (failures[f.code ?? 'error'] ?? 0) + 1;
  const ends = ops
    .filter((o) => o.end > t0 && o.start < t1)
    .map((o) => o.end)
    .sort((a, b) => a - b);
  let gap = 0;
  let prev = t0;
  for (const e of ends) {
    gap = Math.max(gap, e - prev);
    prev = e;
  }
  gap = Math.max(gap, t1 - prev);
  const overlapping = ops.filter((o) => o.end > t0 && o.start < t1);
  return {
    forms,
    migrations,
    migration_ms: round(t1 - t0),
    failed_ops: failed.length,
    failures,
    before: latency(before.map(lat)),
    during: latency(during.map(lat)),
    max_stall_ms: round(maxOf(overlapping.map(lat))),
    max_gap_ms: round(gap),
  };
}

/** Largest value, 0 for none (no spread: runs can record millions of operations). */
function maxOf(values: number[]): number {
  let max = 0;
  for (const v of values) if (v > max) max = v;
  return max;
}

function latency(values: number[]): LatencySummary {
  return { ops: values.length, p50_ms: round(percentile(values, 50), 2), p99_ms: round(percentile(values, 99), 2), max_ms: round(maxOf(values), 1) };
}

/** Both forms must end in the same schema: uuid lead_id with a valid foreign key, a valid partial unique index, the uuid default. */
async function assertFinalSchema(url: string): Promise<void> {
  const r = await withClient(url, (c) =>
    c.query<{ type: string; nullable: string; fk: boolean | null; idx: boolean | null; def: string | null }>(`
    SELECT (SELECT data_type FROM information_schema.columns WHERE table_name = 'lead_purchases' AND column_name = 'lead_id') AS type,
           (SELECT is_nullable FROM information_schema.columns WHERE table_name = 'lead_purchases' AND column_name = 'lead_id') AS nullable,
           (SELECT convalidated FROM pg_constraint WHERE conname = 'lead_purchases_lead_id_fkey') AS fk,
           (SELECT indisvalid AND indisunique FROM pg_index WHERE indexrelid = to_regclass('lead_purchases_active_uniq')) AS idx,
           (SELECT column_default FROM information_schema.columns WHERE table_name = 'lead_purchases' AND column_name = 'id') AS def`),
  );
  const s = r.rows[0]!;
  if (s.type !== 'uuid' || s.nullable !== 'YES' || s.fk !== true || s.idx !== true || s.def !== 'gen_random_uuid()') {
    throw new Error(`unexpected final schema: ${JSON.stringify(s)}`);
  }
}
