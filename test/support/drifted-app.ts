/**
 * The production-sized drift the online fixes are measured on, and the
 * application that runs while they apply: used by the online tests
 * (test/migrations/online.int.test.ts, 200,000 appointments) and by
 * `npm run bench` (online.fixes, 2,000,000).
 *
 * The database is the seeds' drifted state: accounts.id and every account_id
 * varchar(255) holding UUIDs as text, no foreign key to accounts, the
 * appointments → services and services → bot_configs foreign keys made by hand
 * without ON DELETE SET NULL, no appointments index but its primary key.
 * The application: `workers` connections, each running single statements on
 * appointments in turn — INSERT (its foreign-key check reads services), UPDATE
 * of the status or the account, and a SELECT that joins accounts — each one
 * timed, with the application's own statement_timeout.
 */
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { withClient } from './system-postgres';

export interface DriftSizes {
  accounts: number;
  users: number;
  appointments: number;
}

/** The sizes; tests use `appointments: 200_000`. */
export const PRODUCTION_SIZES: DriftSizes = { accounts: 20_000, users: 20_000, appointments: 2_000_000 };

const SERVICES = 200;

/** Sizes are integers put into the SQL text (no user input reaches it). */
export async function loadDriftedDatabase(url: string, sizes: DriftSizes): Promise<void> {
  for (const [k, v] of Object.entries(sizes)) if (!Number.isSafeInteger(v) || v < 1) throw new Error(`${k}: ${v} is not a row count`);
  await withClient(url, async (c) => {
    await c.query(`
      CREATE TABLE accounts (id varchar(255) PRIMARY KEY DEFAULT gen_random_uuid()::text, name text NOT NULL, created_at timestamptz NOT NULL DEFAULT now());
      CREATE TABLE users (id uuid PRIMARY KEY, account_id varchar(255), email text NOT NULL, name text, created_at timestamptz NOT NULL DEFAULT now());
      CREATE TABLE bot_configs (id uuid PRIMARY KEY, account_id varchar(255), name text NOT NULL, settings jsonb NOT NULL DEFAULT '{}'::jsonb, created_at timestamptz NOT NULL DEFAULT now());
      CREATE TABLE services (
        id uuid PRIMARY KEY, account_id varchar(255), bot_config_id uuid CONSTRAINT services_bot_config_id_fkey REFERENCES bot_configs (id),
        name text NOT NULL, duration integer NOT NULL CONSTRAINT services_duration_check CHECK (duration > 0), price numeric(10,2),
        created_at timestamptz NOT NULL DEFAULT now());
      CREATE TABLE appointments (
        id uuid PRIMARY KEY, account_id varchar(255), appointment_type uuid CONSTRAINT appointments_appointment_type_fkey REFERENCES services (id),
        customer_name text, customer_phone text, datetime timestamptz NOT NULL,
        duration integer NOT NULL DEFAULT 30 CONSTRAINT appointments_duration_check CHECK (duration > 0),
        status text NOT NULL DEFAULT 'pending'
          CONSTRAINT appointments_status_check CHECK (status IN ('pending', 'confirmed', 'cancelled', 'completed', 'no_show')),
        created_at timestamptz NOT NULL DEFAULT now());
      CREATE TABLE availability_configs (id uuid PRIMARY KEY, account_id varchar(255), day_of_week smallint NOT NULL, start_time time NOT NULL, end_time time NOT NULL, created_at timestamptz NOT NULL DEFAULT now());
      CREATE TABLE blackout_dates (id uuid PRIMARY KEY, account_id varchar(255), date date NOT NULL, reason text, created_at timestamptz NOT NULL DEFAULT now());
      CREATE TABLE test_chat_sessions (id uuid PRIMARY KEY, account_id varchar(255), messages jsonb NOT NULL DEFAULT '[]'::jsonb, created_at timestamptz NOT NULL DEFAULT now());`);
    await c.query(`INSERT INTO accounts (id, name) SELECT gen_random_uuid()::text, 'account ' || g FROM generate_series(1, $1::int) AS g`, [sizes.accounts]);
    await c.query(`
      CREATE TEMP TABLE acct AS SELECT row_number() OVER () AS n, id FROM accounts;
      INSERT INTO users (id, account_id, email) SELECT gen_random_uuid(), a.id, 'user' || g || '@example.com'
        FROM generate_series(1, ${sizes.users}) AS g JOIN acct a ON a.n = 1 + g % ${sizes.accounts};
      INSERT INTO bot_configs (id, account_id, name) SELECT gen_random_uuid(), a.id, 'bot ' || a.n FROM acct a WHERE a.n <= ${SERVICES};
      INSERT INTO services (id, account_id, bot_config_id, name, duration)
        SELECT gen_random_uuid(), b.account_id, b.id, 'service for ' || b.name, 30 FROM bot_configs b;
      INSERT INTO availability_configs (id, account_id, day_of_week, start_time, end_time) SELECT gen_random_uuid(), a.id, 1, '09:00', '17:00' FROM acct a WHERE a.n <= 100;
      INSERT INTO blackout_dates (id, account_id, date) SELECT gen_random_uuid(), a.id, '2026-12-25' FROM acct a WHERE a.n <= 100;
      INSERT INTO test_chat_sessions (id, account_id) SELECT gen_random_uuid(), a.id FROM acct a WHERE a.n <= 100;`);
    await c.query(
      `
      INSERT INTO appointments (id, account_id, appointment_type, customer_phone, datetime, status)
      SELECT gen_random_uuid(), a.id, s.ids[1 + g % ${SERVICES}], '+1555' || g, timestamptz '2026-01-01' + g * interval '1 minute',
             (ARRAY['pending', 'confirmed', 'completed'])[1 + g % 3]
        FROM generate_series(1, $1::int) AS g
        JOIN acct a ON a.n = 1 + g % ${sizes.accounts}
        CROSS JOIN (SELECT array_agg(id) AS ids FROM services) AS s`,
      [sizes.appointments],
    );
    await c.query('VACUUM ANALYZE');
  });
}

/** What the application needs to pick real rows: a sample of ids as text. */
export interface AppData {
  accounts: string[];
  services: string[];
  appointments: string[];
}

export async function sampleAppData(url: string, sample = 5000): Promise<AppData> {
  return withClient(url, async (c) => {
    const ids = async (sql: string) => (await c.query<{ id: string }>(sql)).rows.map((r) => r.id);
    return {
      accounts: await ids(`SELECT id::text AS id FROM accounts ORDER BY random() LIMIT ${sample}`),
      services: await ids('SELECT id::text AS id FROM services'),
      appointments: await ids(`SELECT id::text AS id FROM appointments TABLESAMPLE SYSTEM (5) LIMIT ${sample}`),
    };
  });
}

export interface AppOp {
  kind: 'insert' | 'update' | 'select';
  start: number;
  end: number;
  ok: boolean;
  code?: string;
  message?: string;
}

export interface RunningApp {
  /** Ids of the appointments the application inserted (successfully). */
  inserted: string[];
  /** Account changes the application made (successfully): appointment id → every account_id it wrote there. */
  accountWrites: Map<string, string[]>;
  stop(): Promise<AppOp[]>;
}

/** The application's statement_timeout: a statement slower than this fails. */
export const APP_STATEMENT_TIMEOUT_MS = 10_000;

export async function startApplication(url: string, data: AppData, workers = 4): Promise<RunningApp> {
  const ops: AppOp[] = [];
  const inserted: string[] = [];
  const accountWrites = new Map<string, string[]>();
  let stopping = false;
  const clients: pg.Client[] = [];
  /** Clients whose connection ended: every query of theirs would fail at once. */
  const gone = new Set<pg.Client>();
  for (let w = 0; w < workers; w++) {
    const c = new pg.Client({ connectionString: url, application_name: 'app' });
    c.on('error', () => gone.add(c));
    c.on('end', () => gone.add(c));
    await c.connect();
    await c.query(`SET statement_timeout = ${APP_STATEMENT_TIMEOUT_MS}`);
    clients.push(c);
  }
  const pick = (xs: string[]) => xs[Math.floor(Math.random() * xs.length)]!;
  /** One application statement, recorded; false when it failed. */
  const one = async (c: pg.Client, k: number): Promise<boolean> => {
    const kind = (['insert', 'update', 'select'] as const)[k % 3]!;
    const start = performance.now();
    try {
      if (kind === 'insert') {
        const id = randomUUID();
        await c.query(
          `INSERT INTO appointments (id, account_id, appointment_type, customer_phone, datetime, status) VALUES ($1, $2, $3, $4, now(), 'pending')`,
          [id, pick(data.accounts), pick(data.services), `+1666${k}`],
        );
        inserted.push(id);
      } else if (kind === 'update') {
        if (k % 2) await c.query(`UPDATE appointments SET status = 'confirmed' WHERE id = $1`, [pick(data.appointments)]);
        else {
          const [id, account] = [pick(data.appointments), pick(data.accounts)];
          // Recorded before it runs: a write that fails is still a value the row may hold if it committed.
          accountWrites.set(id, [...(accountWrites.get(id) ?? []), account]);
          await c.query('UPDATE appointments SET account_id = $2 WHERE id = $1', [id, account]);
        }
      } else {
        await c.query(`SELECT a.id, a.status, ac.name FROM appointments a JOIN accounts ac ON ac.id = a.account_id WHERE a.id = $1`, [pick(data.appointments)]);
      }
      ops.push({ kind, start, end: performance.now(), ok: true });
      return true;
    } catch (e) {
      const err = e as { code?: string; message?: string };
      ops.push({ kind, start, end: performance.now(), ok: false, code: err.code ?? 'error', message: err.message?.slice(0, 200) });
      return false;
    }
  };
  const running = clients.map(async (c, w) => {
    for (let k = w; !stopping; k++) {
      if (await one(c, k)) continue;
      // Recorded, and the test fails on it. A client whose connection ended rejects every query at once, without
      // I/O: looping on it starved the event loop (no timer fired, the test's timeout included) and filled memory.
      if (gone.has(c)) break;
      await new Promise((r) => setTimeout(r, 5));
    }
  });
  let stopped: Promise<AppOp[]> | undefined;
  return {
    inserted,
    accountWrites,
    stop() {
      stopping = true;
      stopped ??= Promise.allSettled(running)
        .then(() => Promise.all(clients.map((c) => c.end().catch(() => undefined))))
        .then(() => ops);
      return stopped;
    },
  };
}

export interface LoadSummary {
  /** Application statements that overlapped the window. */
  ops: number;
  failed_ops: number;
  /** SQLSTATE (or message) → count, with one example message each. */
  failures: Record<string, { count: number; example: string }>;
  /** The slowest statement that overlapped the window. */
  max_stall_ms: number;
  p50_ms: number;
  p99_ms: number;
}

/** The application's view of a window (t0..t1, performance.now() times): failures, slowest, percentiles. */
export function summariseWindow(all: AppOp[], t0: number, t1: number): LoadSummary {
  const ops = all.filter((o) => o.end > t0 && o.start < t1);
  const failures: LoadSummary['failures'] = {};
  for (const f of ops.filter((o) => !o.ok)) {
    const key = f.code ?? 'error';
    failures[key] ??= { count: 0, example: f.message ?? '' };
    failures[key].count++;
  }
  const latencies = ops
    .filter((o) => o.ok)
    .map((o) => o.end - o.start)
    .sort((a, b) => a - b);
  const at = (p: number) => (latencies.length ? latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))]! : 0);
  const r = (x: number) => Math.round(x * 10) / 10;
  return {
    ops: ops.length,
    failed_ops: ops.filter((o) => !o.ok).length,
    failures,
    max_stall_ms: r(ops.reduce((m, o) => Math.max(m, o.end - o.start), 0)),
    p50_ms: r(at(50)),
    p99_ms: r(at(99)),
  };
}

export interface LockWait {
  pid: number;
  waitingFor: string;
  wanted: string;
  holding: string[];
  /** The statement the session was running (pg_stat_activity.query, its first 300 characters), so a failure says which. */
  statement: string;
}

/**
 * Samples pg_locks every `intervalMs` for sessions named `applicationName`:
 * each time one of them waits for a table lock while it holds, on another
 * table, a lock that blocks writes (SHARE and stronger), it is recorded. A
 * session that never does so cannot be part of a deadlock with writers.
 * Each record names the statement the session was running.
 */
export async function watchLockWaits(url: string, applicationName: string, intervalMs = 10): Promise<{ stop(): Promise<LockWait[]>; samples(): number }> {
  const c = new pg.Client({ connectionString: url, application_name: 'lock-watch' });
  c.on('error', () => undefined);
  await c.connect();
  const found: LockWait[] = [];
  let n = 0;
  let stopping = false;
  const loop = (async () => {
    while (!stopping) {
      // One read of the lock table (a CTE): pg_locks named twice is read twice, at two moments, and a lock held
      // until a COMMIT then showed beside the wait of the next transaction (a false wait-while-holding, once in ~10 runs).
      // pg_stat_activity is read at another moment too: a session it still shows idle in its transaction, or active in
      // the statement before the one that waits, is left to the next sample (its text was the earlier statement's). Its
      // wait_event is read in the same row as the text: 'Lock' there keeps a text whose statement had not begun to wait.
      const r = await c
        .query<{ pid: number; waiting_for: string; wanted: string; holding: string[]; statement: string }>(
          `
        WITH l AS MATERIALIZED (SELECT * FROM pg_locks)
        SELECT w.pid, w.relation::regclass::text AS waiting_for, w.mode AS wanted,
               array_agg(DISTINCT h.relation::regclass::text || ' ' || h.mode) AS holding, left(a.query, 300) AS statement
          FROM l w
          JOIN pg_stat_activity a ON a.pid = w.pid AND a.application_name = $1 AND a.datname = current_database() AND a.state = 'active'
           AND a.wait_event_type = 'Lock'
          JOIN l h ON h.pid = w.pid AND h.granted AND h.locktype = 'relation' AND h.relation <> w.relation
           AND h.mode IN ('ShareLock', 'ShareRowExclusiveLock', 'ExclusiveLock', 'AccessExclusiveLock')
          JOIN pg_class hc ON hc.oid = h.relation AND hc.relkind IN ('r', 'p')
         WHERE NOT w.granted AND w.locktype = 'relation'
         GROUP BY w.pid, w.relation, w.mode, a.query`,
          [applicationName],
        )
        .catch(() => ({ rows: [] }));
      n++;
      for (const x of r.rows) found.push({ pid: x.pid, waitingFor: x.waiting_for, wanted: x.wanted, holding: x.holding, statement: x.statement });
      await new Promise((res) => setTimeout(res, intervalMs));
    }
  })();
  return {
    samples: () => n,
    async stop() {
      stopping = true;
      await loop;
      await c.end().catch(() => undefined);
      return found;
    },
  };
}
