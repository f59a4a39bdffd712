/**
 * Query contracts: the application's critical statements, checked against the
 * live schema without writing anything.
 *
 * File format: `contracts/<name>.sql`, one statement per file (SELECT, INSERT,
 * UPDATE, DELETE, MERGE, VALUES or WITH …), parameters written `$1`, `$2`, …
 * (their types are inferred by PostgreSQL). Comments are allowed; a comment
 * line `-- contract: <name>` names the contract (default: the file name
 * without `.sql`). Files are checked in name order; other files and
 * sub-directories are ignored.
 *
 * Each contract runs in its own READ ONLY transaction that is always rolled
 * back:
 *   1. `PREPARE` — parse analysis and rewrite: missing tables, columns and
 *      functions, type mismatches, GENERATED ALWAYS columns written to;
 *   2. `EXPLAIN (FORMAT JSON) EXECUTE` with NULL parameters — the planner:
 *      the ON CONFLICT target is matched against unique indexes and
 *      constraints only here (a partial unique index is inferred only when the
 *      statement repeats its predicate), so PREPARE alone does not catch it;
 *      the plan's "Conflict Arbiter Indexes" names the index it infers;
 *   3. for every INSERT (also inside WITH), from the parse tree and the
 *      catalog: each NOT NULL column without a default (own or from its
 *      domain), identity or generation expression that the statement does not
 *      set is a failure.
 *
 * The contract's text reaches the server inside `PREPARE h AS …`. Where
 * standard_conforming_strings is off, the server reads a backslash in a
 * '…' string as an escape, and may read as several statements (a COMMIT, a
 * DROP TABLE) what schemaguard parsed as one: such a contract is not sent,
 * it fails with the setting named. Through a connection, the PREPARE goes
 * as one Parse message besides (`Session.queryOne`), which the server
 * refuses when it holds more than one statement.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Driver, Queryable, Session, TransactionSettings } from '../../engine/ports';
import { decodeUtf8 } from '../../engine/files/source';
import { lockWait } from '../../schema/lock-holders';
import { databaseFields, InputError, isPgError, MigrationError, type MigrationErrorOptions } from '../../engine/errors/errors';
import { refuseLinkOut } from '../../engine/files/links';
import { quoteIdent } from '../../engine/state/identifiers';
import { lexSql } from '../../engine/sql/lexer';
import { conformingStringsFix, escapedString } from '../../engine/server/standard-strings';
import { orderedRows } from '../../schema/catalog-pages';
import { duplicateRowsQuery, uniqueKeyOf } from '../doctor/duplicate-rows';
import { planThroughPlanner, writesData, type PlannerAnswer } from './contract-planner';
import { IDLE_IN_TRANSACTION } from './idle-in-transaction';
import { explainSchemaUsage, mayBeSchemaUsage } from './schema-usage';
import { as, findAll, list, loadParser, parseSql, rangeVar, type Node, type RangeVar } from '../parser/parse';
import {
  DATATYPE_MISMATCH,
  INVALID_COLUMN_REFERENCE,
  LOCK_NOT_AVAILABLE,
  NONSTANDARD_USE_OF_ESCAPE_CHARACTER,
  NOT_NULL_VIOLATION,
  QUERY_CANCELED,
  UNDEFINED_COLUMN,
  UNDEFINED_FUNCTION,
  UNDEFINED_OBJECT,
  UNDEFINED_TABLE,
} from '../../engine/errors/sqlstate';
import { present } from '../../engine/errors/present';

export interface Contract {
  /** From `-- contract: <name>`, else the file name without `.sql`. */
  name: string;
  /** File name, relative to the contracts directory. */
  file: string;
  /** The statement, without its trailing `;`. */
  statement: string;
  /** 1-based line of the statement in the file. */
  line: number;
  /** Parse tree of the statement. */
  tree: Node;
}

export interface ContractFailure {
  /** One line: what is wrong. */
  reason: string;
  sqlstate?: string;
  detail?: string;
  hint?: string;
  /** What to change (in the schema or in the statement), or the GRANT the checking role lacks. */
  fix?: string;
  /**
   * The schema the checking role has no USAGE on, where the statement's
   * table (or function, or type) is: the failure is the role's privileges,
   * not the schema (an unqualified name there reads "relation … does not
   * exist", 42P01, "function … does not exist", 42883, or "type … does not
   * exist", 42704, as PostgreSQL leaves the schema out of the search path).
   * `fix` holds the GRANT USAGE.
   */
  schemaWithoutUsage?: string;
  /** The stage that found it: prepare (parse analysis), plan (EXPLAIN) or insert (NOT NULL columns). */
  stage: 'prepare' | 'plan' | 'insert';
}

export interface ArbiterInfo {
  /** Table of the INSERT … ON CONFLICT. */
  table: string;
  /** Index names from EXPLAIN's "Conflict Arbiter Indexes" (empty: any unique index, no conflict target). */
  indexes: string[];
  /** For each index, the constraint it backs, if any. */
  constraints: (string | null)[];
  /** Human summary, e.g. `unique index enrollments_active_uq (partial: WHERE is_active = true)`. */
  description: string;
}

export interface ContractResult {
  name: string;
  file: string;
  line: number;
  statement: string;
  ok: boolean;
  /** Parameter types PostgreSQL inferred, in order of $1, $2, … (empty when PREPARE failed). */
  parameterTypes: string[];
  failures: ContractFailure[];
  /** For INSERT … ON CONFLICT: the index or constraint each conflict clause infers. */
  arbiters: ArbiterInfo[];
}

export interface ContractsReport {
  results: ContractResult[];
  passed: number;
  failed: number;
}

export class ContractFailedError extends MigrationError {
  readonly report: ContractsReport;
  constructor(message: string, options: MigrationErrorOptions & { report: ContractsReport }) {
    super(message, options);
    this.name = 'ContractFailedError';
    this.report = options.report;
  }
  override toJSON(): Record<string, unknown> {
    return {
      ...super.toJSON(),
      failedContracts: this.report.results
        .filter((r) => !r.ok)
        .map((r) => ({ name: r.name, file: r.file, line: r.line, reasons: r.failures.map((f) => f.reason) })),
    };
  }
}

const STATEMENT_KINDS = new Set(['SelectStmt', 'InsertStmt', 'UpdateStmt', 'DeleteStmt', 'MergeStmt']);
const NAME_LINE = /^[ \t]*--[ \t]*contract:[ \t]*(\S.*?)[ \t]*$/m;

/** Parse one contract file's text (pure; InputError for anything that is not one checkable statement). */
export async function parseContract(file: string, text: string): Promise<Contract> {
  await loadParser();
  const normalised = text.replace(/\r\n?/g, '\n');
  const { statements } = parseSql(normalised, { file });
  if (statements.length !== 1) {
    throw new InputError(`${file}: a contract file holds exactly one statement (found ${statements.length})`, {
      file,
      line: statements[1]?.line ?? 1,
      fix: statements.length ? 'split it into one file per statement' : 'write the statement the application runs, with $1, $2, … for its parameters',
    });
  }
  const s = statements[0];
  if (!STATEMENT_KINDS.has(s.kind)) {
    throw new InputError(
      `${file}:${s.line}: ${leadingKeyword(s.text)} is not allowed in a check: a contract is a query or a data change (SELECT, INSERT, UPDATE, DELETE, MERGE)`,
      {
        file,
        line: s.line,
        value: s.text.slice(0, 80),
        fix: 'schema changes belong in migrations/; contracts hold the statements the application runs',
      },
    );
  }
  const base = file.replace(/\.sql$/i, '');
  return { name: NAME_LINE.exec(normalised)?.[1] ?? base, file, statement: s.text.replace(/;\s*$/, ''), line: s.line, tree: s.stmt };
}

/** The statement's leading keyword as written in SQL (`CALL`, `DROP TABLE`, `CREATE INDEX`), not the parser's node name. */
function leadingKeyword(text: string): string {
  const words = [...lexSql(text)]
    .filter((t) => t.kind === 'word')
    .slice(0, 6)
    .map((t) => t.text.toUpperCase());
  const [first, ...rest] = words;
  if (!first) return 'this statement';
  if (!['CREATE', 'ALTER', 'DROP'].includes(first)) return first;
  // The object made or changed, past its modifiers (CREATE OR REPLACE FUNCTION → CREATE FUNCTION, CREATE MATERIALIZED VIEW).
  const object = rest.find((w) => !DDL_MODIFIERS.has(w));
  return [first, ...(object === 'VIEW' && rest.includes('MATERIALIZED') ? ['MATERIALIZED'] : []), ...(object ? [object] : [])].join(' ');
}

const DDL_MODIFIERS = new Set([
  'OR',
  'REPLACE',
  'UNIQUE',
  'TEMP',
  'TEMPORARY',
  'UNLOGGED',
  'GLOBAL',
  'LOCAL',
  'RECURSIVE',
  'TRUSTED',
  'PROCEDURAL',
  'MATERIALIZED',
]);

/** Read every `*.sql` file of a directory as a contract, in name order. */
export async function loadContracts(dir: string): Promise<Contract[]> {
  const abs = resolve(dir);
  let entries: string[];
  try {
    if (!statSync(abs).isDirectory())
      throw new InputError(`${dir}: not a directory`, { file: dir, value: dir, fix: 'pass the directory of contract files with --contracts' });
    entries = readdirSync(abs).sort();
  } catch (cause) {
    if (cause instanceof MigrationError) throw cause;
    throw new InputError(`${dir}: cannot read the contracts directory (${(cause as NodeJS.ErrnoException).code ?? String(cause)})`, {
      file: dir,
      value: dir,
      cause,
      fix: 'create it (one .sql file per statement) or pass the right one with --contracts',
    });
  }
  const out: Contract[] = [];
  for (const entry of entries) {
    if (entry.startsWith('.') || !entry.toLowerCase().endsWith('.sql')) continue;
    const path = join(abs, entry);
    refuseLinkOut(abs, path, entry);
    if (!statSync(path).isFile()) continue;
    // Decoded strictly, as migrations are: 'utf8' would turn bad bytes into U+FFFD and check a different statement.
    out.push(await parseContract(entry, decodeUtf8(entry, readFileSync(path))));
  }
  const seen = new Map<string, string>();
  for (const c of out) {
    const other = seen.get(c.name);
    if (other)
      throw new InputError(`contracts ${other} and ${c.file} are both named "${c.name}"`, {
        file: c.file,
        value: c.name,
        fix: 'give each contract its own -- contract: name',
      });
    seen.set(c.name, c.file);
  }
  return out;
}

export interface CheckContractsOptions {
  /** A driver (a session is opened and closed) or an open session (left open). */
  driver?: Driver;
  session?: Session;
  contracts: Contract[];
  /** lock_timeout while planning (planning an INSERT takes a ROW EXCLUSIVE lock). @default 2000 */
  lockTimeoutMs?: number;
  /** statement_timeout per contract. @default 15000 */
  statementTimeoutMs?: number;
  /**
   * The state schema of a contract planner the session may call
   * (`contract-planner.ts`): contracts that write are planned through it, by
   * name, where it has them; the others, and those it lacks, as usual.
   * @default - every contract is planned by the session's own role
   */
  plannerSchema?: string;
}

/**
 * Check contracts against the live schema. Writes nothing: every contract
 * runs in a READ ONLY transaction that is rolled back. Returns the report;
 * `assertContracts` turns failures into a ContractFailedError.
 */
export async function checkContracts(options: CheckContractsOptions): Promise<ContractsReport> {
  const own = options.session ? undefined : await present(options.driver).connect();
  const session = options.session ?? present(own);
  try {
    const results: ContractResult[] = [];
    const conforming = await conformingStrings(session);
    for (const [k, c] of options.contracts.entries()) {
      const sendable = conforming.on || !escapedString(c.statement);
      const planned =
        sendable && options.plannerSchema && writesData(c.tree) ? await checkThroughPlanner(session, c, options.plannerSchema, options) : undefined;
      results.push(!sendable ? notSent(c, conforming.database) : (planned ?? (await checkOne(session, c, `schemaguard_contract_${k}`, options))));
    }
    const failed = results.filter((r) => !r.ok).length;
    return { results, passed: results.length - failed, failed };
  } finally {
    if (own) await own.close();
  }
}

/** Whether the session reads '…' strings as schemaguard does (standard_conforming_strings on), and its database. */
async function conformingStrings(q: Queryable): Promise<{ on: boolean; database: string }> {
  const r = (await q.query<{ on: string; database: string }>("SELECT current_setting('standard_conforming_strings') AS on, current_database() AS database"))
    .rows[0];
  return { on: r.on === 'on', database: r.database };
}

/** A contract the server would read otherwise than schemaguard did (`escapedString`): a failure, and nothing sent. */
function notSent(c: Contract, database: string): ContractResult {
  const t = present(escapedString(c.statement));
  return {
    name: c.name,
    file: c.file,
    line: c.line,
    statement: c.statement,
    ok: false,
    parameterTypes: [],
    arbiters: [],
    failures: [
      {
        stage: 'prepare',
        sqlstate: NONSTANDARD_USE_OF_ESCAPE_CHARACTER,
        reason: `not checked, not sent: ${t.text.slice(0, 40)}${t.text.length > 40 ? '…' : ''} (line ${c.line + t.line - 1}) is a string with a backslash, and this session's standard_conforming_strings is off: the server would read the backslash as an escape, and the text maybe as other statements than the one schemaguard parsed`,
        fix: conformingStringsFix(database),
      },
    ],
  };
}

/**
 * A contract stopped by a lock or statement timeout was not checked (the
 * schema may well satisfy it): an error of the run, with what to do, never a
 * failed contract. Throws for the first one.
 */
export function assertChecked(report: ContractsReport): void {
  for (const r of report.results) {
    const stopped = r.failures.find((f) => f.sqlstate === LOCK_NOT_AVAILABLE || f.sqlstate === QUERY_CANCELED);
    if (!stopped) continue;
    throw new MigrationError(`contract ${r.file}:${r.line} (${r.name}) could not be checked: ${stopped.reason}`, {
      sqlstate: stopped.sqlstate,
      file: r.file,
      line: r.line,
      fix:
        stopped.sqlstate === LOCK_NOT_AVAILABLE
          ? (stopped.fix ??
            "another session held a lock on its table longer than the check's lock_timeout (2 s; a CREATE INDEX without CONCURRENTLY, an ALTER TABLE, a LOCK TABLE): check again once that ends (pg_blocking_pids() shows who holds it)")
          : "its planning ran longer than the check's statement_timeout (15 s): check again when the server is less busy",
    });
  }
}

/** Throw ContractFailedError (exit 1) when any contract failed, naming file, statement and reason. */
export function assertContracts(report: ContractsReport): void {
  const bad = report.results.filter((r) => !r.ok);
  if (!bad.length) return;
  const first = bad[0];
  const more =
    bad.length > 1
      ? ` (and ${bad.length - 1} more: ${bad
          .slice(1)
          .map((r) => r.file)
          .join(', ')})`
      : '';
  throw new ContractFailedError(`contract ${first.file}:${first.line} (${first.name}) failed: ${first.failures[0].reason}${more}`, {
    file: first.file,
    line: first.line,
    statement: first.statement,
    sqlstate: first.failures[0].sqlstate,
    detail: first.failures[0].detail,
    hint: first.failures[0].hint,
    fix: first.failures[0].fix,
    report,
  });
}

function emptyResult(c: Contract): ContractResult {
  return { name: c.name, file: c.file, line: c.line, statement: c.statement, ok: true, parameterTypes: [], failures: [], arbiters: [] };
}

function contractSettings(options: CheckContractsOptions): TransactionSettings {
  return { lockTimeoutMs: options.lockTimeoutMs ?? 2000, statementTimeoutMs: options.statementTimeoutMs ?? 15_000 };
}

/**
 * A writing contract planned by the planner, in the contract's own READ ONLY
 * transaction; the stages after planning (arbiters, NOT NULL columns) read
 * the catalog as the session's role. Undefined when the planner does not
 * have this contract's text: it is checked as any other then.
 */
async function checkThroughPlanner(session: Session, c: Contract, stateSchema: string, options: CheckContractsOptions): Promise<ContractResult | undefined> {
  const settings = contractSettings(options);
  const result = emptyResult(c);
  await beginReadOnly(session, settings);
  try {
    let answer: PlannerAnswer | undefined;
    try {
      answer = await planThroughPlanner(session, stateSchema, c.name, c.statement);
    } catch (e) {
      // Outside the planner's own error handling (a statement_timeout, a refusal): this contract's failure, as a plan would fail.
      result.failures.push(failureFrom(e, 'plan'));
      return finish(result);
    }
    if (!answer) return undefined;
    result.parameterTypes = answer.parameterTypes ?? [];
    if (answer.stage === 'planned') {
      await describeArbiters(session, c, answer.plan, result);
      for (const f of await insertFailures(session, c)) result.failures.push(f);
      return finish(result);
    }
    result.failures.push(await plannerFailure(session, c, answer, settings));
    return finish(result);
  } finally {
    await session.rollback().catch(() => undefined);
  }
}

/** The planner's failure as the same failure a plan of the session's own would have made (the planner ended nothing: its errors are data). */
async function plannerFailure(session: Session, c: Contract, answer: PlannerAnswer, settings: TransactionSettings): Promise<ContractFailure> {
  const sqlstate = answer.sqlstate;
  const stage = answer.stage === 'prepare' ? 'prepare' : 'plan';
  const failure: ContractFailure = {
    reason: `${answer.message ?? 'the planner failed'} (${sqlstate})`,
    sqlstate,
    detail: answer.detail ?? undefined,
    hint: answer.hint ?? undefined,
    stage,
    fix: fixFor(sqlstate),
  };
  if (sqlstate === LOCK_NOT_AVAILABLE) await nameLockHolder(session, settings, failure, false);
  if (sqlstate === INVALID_COLUMN_REFERENCE) await explainConflictTarget(session, c, failure);
  if (sqlstate === UNDEFINED_OBJECT && constraintTargets(c).length) await explainConstraintName(session, c, failure);
  return failure;
}

async function checkOne(session: Session, c: Contract, handle: string, options: CheckContractsOptions): Promise<ContractResult> {
  const result = emptyResult(c);
  const settings = contractSettings(options);
  await beginReadOnly(session, settings);
  try {
    try {
      await (session.queryOne ?? session.query).call(session, `PREPARE ${handle} AS ${c.statement}`);
    } catch (e) {
      const failure = failureFrom(e, 'prepare');
      if (failure.sqlstate === LOCK_NOT_AVAILABLE) await nameLockHolder(session, settings, failure);
      if (failure.sqlstate === UNDEFINED_OBJECT && constraintTargets(c).length) {
        await recover(session, settings);
        await explainConstraintName(session, c, failure);
      }
      if (mayBeSchemaUsage(failure)) {
        await recover(session, settings);
        await explainSchemaUsage(session, c.tree, failure);
      }
      result.failures.push(failure);
      return finish(result);
    }
    let prepared = true;
    try {
      result.parameterTypes = await parameterTypes(session, handle);
      const args = result.parameterTypes.length ? `(${result.parameterTypes.map(() => 'NULL').join(', ')})` : '';
      let plan: unknown;
      try {
        const r = await session.query<Record<string, unknown>>(`EXPLAIN (FORMAT JSON) EXECUTE ${handle}${args}`);
        plan = Object.values(r.rows[0] ?? {})[0];
        if (typeof plan === 'string') plan = JSON.parse(plan);
      } catch (e) {
        const failure = failureFrom(e, 'plan');
        prepared = await recover(session, settings);
        if (failure.sqlstate === LOCK_NOT_AVAILABLE) await nameLockHolder(session, settings, failure, false);
        if (failure.sqlstate === INVALID_COLUMN_REFERENCE) await explainConflictTarget(session, c, failure);
        result.failures.push(failure);
        return finish(result);
      }
      await describeArbiters(session, c, plan, result);
      for (const f of await insertFailures(session, c)) result.failures.push(f);
    } finally {
      if (prepared) await session.query(`DEALLOCATE ${handle}`).catch(() => undefined);
    }
    return finish(result);
  } finally {
    await session.rollback().catch(() => undefined);
  }
}

/**
 * A contract's read stopped by lock_timeout: the fix names who held the
 * lock (looked up once the read's wait is over, out of the failed
 * transaction), a running migration as such.
 */
async function nameLockHolder(session: Session, settings: TransactionSettings, failure: ContractFailure, recovering = true): Promise<void> {
  if (recovering) await recover(session, settings);
  const held = await lockWait(session);
  const limit = `the check's lock_timeout (${settings.lockTimeoutMs / 1000} s)`;
  // A lock weaker than ACCESS EXCLUSIVE (a LOCK TABLE … IN SHARE MODE stops an INSERT's planning) is not looked up: assertChecked's words then.
  if (!held.found) return;
  failure.fix = held.migration
    ? `waited on ${held.text}, past ${limit}: check again once the migration has committed (schemaguard status shows it applied)`
    : `waited on ${held.text}, past ${limit} (a CREATE INDEX without CONCURRENTLY, an ALTER TABLE, a LOCK TABLE): check again once that ends`;
}

const SAVEPOINT = 'schemaguard_contract';

/**
 * A READ ONLY transaction for one contract, and a savepoint that keeps it
 * usable after the error a contract exists to surface — where an error
 * leaves the transaction open (not through the Data API, whose transactions
 * end with their first error).
 */
async function beginReadOnly(session: Session, settings: TransactionSettings): Promise<void> {
  await session.begin(settings);
  await session.query('SET TRANSACTION READ ONLY');
  // A database's short idle_in_transaction_session_timeout would end the session between a contract's statements (25P03).
  await session.query(IDLE_IN_TRANSACTION);
  if (!session.errorEndsTransaction) await session.query(`SAVEPOINT ${SAVEPOINT}`);
}

/**
 * Make the session usable after a failed statement: back to the savepoint,
 * or, where the error ended the transaction, a new READ ONLY one. Returns
 * whether the prepared statement is still there (it went with the ended
 * transaction's connection).
 */
async function recover(session: Session, settings: TransactionSettings): Promise<boolean> {
  if (!session.errorEndsTransaction) {
    await session.query(`ROLLBACK TO SAVEPOINT ${SAVEPOINT}`);
    return true;
  }
  await session.rollback();
  await beginReadOnly(session, settings);
  return false;
}

async function parameterTypes(session: Session, handle: string): Promise<string[]> {
  const t =
    (await session.query<{ t: string[] | string }>('SELECT parameter_types::text[] AS t FROM pg_prepared_statements WHERE name = $1', [handle])).rows[0]?.t ??
    [];
  return typeof t === 'string' ? parseTextArray(t) : t;
}

function finish(r: ContractResult): ContractResult {
  r.ok = r.failures.length === 0;
  return r;
}

function parseTextArray(s: string): string[] {
  const inner = s.replace(/^\{|\}$/g, '');
  if (!inner) return [];
  return inner.split(',').map((x) => x.replace(/^"|"$/g, ''));
}

function failureFrom(e: unknown, stage: ContractFailure['stage']): ContractFailure {
  if (!isPgError(e)) throw e;
  const f = databaseFields(e);
  return { reason: `${e.message} (${f.sqlstate})`, sqlstate: f.sqlstate, detail: f.detail, hint: f.hint, stage, fix: fixFor(f.sqlstate) };
}

function fixFor(sqlstate: string | undefined): string | undefined {
  switch (sqlstate) {
    case UNDEFINED_TABLE:
      return 'a migration must create the table, or the statement names the wrong one';
    case UNDEFINED_COLUMN:
      return 'a migration must add the column, or the statement names the wrong one';
    case UNDEFINED_FUNCTION:
      return 'a migration must create the function (or enable its extension, e.g. CREATE EXTENSION IF NOT EXISTS pgcrypto), or the call needs explicit casts';
    case DATATYPE_MISMATCH:
      return 'make the column type and the value type agree (a migration that changes the column, or a cast in the statement)';
    case INVALID_COLUMN_REFERENCE:
      return "create the unique index or constraint the ON CONFLICT target names, or name its columns (and a partial index's WHERE predicate) exactly";
    default:
      return undefined;
  }
}

// ---- ON CONFLICT --------------------------------------------------------

async function tableOid(q: Queryable, r: RangeVar): Promise<number | undefined> {
  const name = r.schema ? `${quoteIdent(r.schema)}.${quoteIdent(r.name)}` : quoteIdent(r.name);
  const row = (await q.query<{ oid: number | null }>('SELECT to_regclass($1)::oid AS oid', [name])).rows[0];
  return row?.oid ? Number(row.oid) : undefined;
}

function insertsWithConflict(c: Contract): Node[] {
  return findAll(c.tree, 'InsertStmt').filter((i) => i.onConflictClause);
}

/** A failing ON CONFLICT: say what unique indexes the table does have on those columns, and how to infer them. */
async function explainConflictTarget(session: Session, c: Contract, failure: ContractFailure): Promise<void> {
  for (const ins of insertsWithConflict(c)) {
    const rel = rangeVar(ins.relation);
    const infer = (ins.onConflictClause as Node).infer as Node | undefined;
    if (!rel || !infer) continue;
    const cols = list(infer.indexElems)
      .map((e) => String(as(e, 'IndexElem')?.name ?? ''))
      .filter(Boolean);
    const oid = await tableOid(session, rel);
    if (!oid || !cols.length) continue;
    const rows = (
      await session.query<{
        name: string;
        cols: string[] | string;
        pred: string | null;
        con: string | null;
        valid: boolean;
        def: string;
        schema: string;
        table: string;
      }>(
        `SELECT i.indexrelid::regclass::text AS name, i.indisvalid AS valid, pg_get_indexdef(i.indexrelid) AS def,
              (SELECT n.nspname::text FROM pg_class t JOIN pg_namespace n ON n.oid = t.relnamespace WHERE t.oid = i.indrelid) AS schema,
              (SELECT relname::text FROM pg_class WHERE oid = i.indrelid) AS table,
              ARRAY(SELECT a.attname::text FROM unnest(i.indkey) k JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k) AS cols,
              pg_get_expr(i.indpred, i.indrelid) AS pred,
              (SELECT conname FROM pg_constraint WHERE conindid = i.indexrelid LIMIT 1) AS con
         FROM pg_index i WHERE i.indrelid = $1 AND i.indisunique`,
        [oid],
      )
    ).rows;
    const same = rows.filter((r) => {
      const rc = Array.isArray(r.cols) ? r.cols : parseTextArray(r.cols);
      return rc.length === cols.length && rc.every((x) => cols.includes(x));
    });
    const target = `(${cols.join(', ')})`;
    for (const r of rows) if (r.pred) r.pred = stripOuterParens(r.pred);
    // PostgreSQL infers no arbiter from an INVALID index (a CREATE UNIQUE INDEX CONCURRENTLY that failed), whatever the statement says.
    const invalid = same.find((r) => !r.valid);
    const partial = same.find((r) => r.pred && r.valid);
    if (invalid && !same.some((r) => r.valid)) {
      failure.reason = `ON CONFLICT ${target} matches no usable unique index of ${rel.name}: the unique index ${invalid.name} on ${target} is INVALID (a CREATE UNIQUE INDEX CONCURRENTLY that failed, on duplicate rows or a lock), and PostgreSQL infers no arbiter from an INVALID index (42P10)`;
      // The rows the build failed on, listed first: while they are there it fails again.
      const key = uniqueKeyOf(invalid.def, invalid.schema, invalid.table);
      failure.fix = `${key ? `${duplicateRowsQuery(key)}\n` : ''}remove the duplicates, then REINDEX INDEX CONCURRENTLY ${invalid.name} (or DROP INDEX CONCURRENTLY ${invalid.name} and build it again)`;
    } else if (partial && !infer.whereClause) {
      failure.reason = `ON CONFLICT ${target} matches no unique index or constraint of ${rel.name}: the unique index ${partial.name} on ${target} is partial (WHERE ${partial.pred}) and is inferred only when the statement repeats its predicate (42P10)`;
      failure.fix = `write ON CONFLICT ${target} WHERE ${partial.pred}`;
    } else if (!same.length) {
      failure.reason = `ON CONFLICT ${target} matches no unique index or constraint of ${rel.name}: there is none on ${target} (42P10)`;
      failure.fix = `a migration must create it: CREATE UNIQUE INDEX CONCURRENTLY … ON ${rel.name} ${target} (in a -- schemaguard:no-transaction file), or the statement must name the columns of an existing one`;
    } else if (!same.some((r) => !r.pred)) {
      failure.reason = `ON CONFLICT ${target} ${infer.whereClause ? 'has a WHERE predicate that implies' : 'matches'} no usable unique index of ${rel.name} (42P10)`;
    }
  }
}

/** The upserts of a contract that name their arbiter: ON CONFLICT ON CONSTRAINT name. */
function constraintTargets(c: Contract): { rel: RangeVar; conname: string }[] {
  return insertsWithConflict(c).flatMap((ins) => {
    const rel = rangeVar(ins.relation);
    const conname = ((ins.onConflictClause as Node).infer as Node | undefined)?.conname;
    return rel && typeof conname === 'string' ? [{ rel, conname }] : [];
  });
}

/**
 * ON CONFLICT ON CONSTRAINT of a name the table does not have (42704): a
 * migration renamed or dropped it. Say which unique, primary-key and
 * exclusion constraints the table has now, and how to name one of them.
 */
async function explainConstraintName(session: Session, c: Contract, failure: ContractFailure): Promise<void> {
  for (const { rel, conname } of constraintTargets(c)) {
    const oid = await tableOid(session, rel);
    if (!oid) continue;
    const rows = (
      await session.query<{ con: string; cols: string[] | string }>(
        `SELECT conname::text AS con,
              ARRAY(SELECT a.attname::text FROM unnest(conkey) k JOIN pg_attribute a ON a.attrelid = conrelid AND a.attnum = k) AS cols
         FROM pg_constraint WHERE conrelid = $1 AND contype IN ('p', 'u', 'x') ORDER BY conname`,
        [oid],
      )
    ).rows;
    if (rows.some((r) => r.con === conname)) continue;
    const has = rows.map((r) => `${r.con} (${(Array.isArray(r.cols) ? r.cols : parseTextArray(r.cols)).join(', ')})`);
    failure.reason = `ON CONFLICT ON CONSTRAINT ${conname}: ${rel.name} has no constraint of that name (${has.length ? `it has ${has.join(', ')}` : 'it has no unique, primary-key or exclusion constraint'}); a migration renamed or dropped it (42704)`;
    failure.fix = has.length
      ? 'name the constraint as it is called now, or write the target as its columns, ON CONFLICT (…), which survives a rename'
      : `a migration must create the constraint ${conname} on ${rel.name}, or the statement must name the columns of a unique index`;
    return;
  }
}

/** `(is_active = true)` → `is_active = true` (pg_get_expr wraps predicates in one pair of parentheses). */
export function stripOuterParens(expr: string): string {
  if (!expr.startsWith('(') || !expr.endsWith(')')) return expr;
  let depth = 0;
  for (let k = 0; k < expr.length; k++) {
    if (expr[k] === '(') depth++;
    else if (expr[k] === ')') depth--;
    if (depth === 0 && k < expr.length - 1) return expr;
  }
  return expr.slice(1, -1);
}

function arbiterIndexes(plan: unknown): string[][] {
  const found: string[][] = [];
  const walk = (n: unknown): void => {
    if (Array.isArray(n)) {
      n.forEach(walk);
      return;
    }
    if (!n || typeof n !== 'object') return;
    const o = n as Record<string, unknown>;
    if ('Conflict Resolution' in o) found.push((o['Conflict Arbiter Indexes'] as string[] | undefined) ?? []);
    Object.values(o).forEach(walk);
  };
  walk(plan);
  return found;
}

async function describeArbiters(session: Session, c: Contract, plan: unknown, result: ContractResult): Promise<void> {
  const inserts = insertsWithConflict(c);
  const fromPlan = arbiterIndexes(plan);
  for (const [k, ins] of inserts.entries()) {
    const rel = rangeVar(ins.relation);
    const indexes = fromPlan[k] ?? [];
    if (!rel) continue;
    const oid = await tableOid(session, rel);
    const constraints: (string | null)[] = [];
    const parts: string[] = [];
    for (const idx of indexes) {
      const row = oid
        ? (
            await session.query<{ con: string | null; pred: string | null; contype: string | null }>(
              `SELECT c.conname AS con, c.contype::text AS contype, pg_get_expr(i.indpred, i.indrelid) AS pred
           FROM pg_index i JOIN pg_class x ON x.oid = i.indexrelid
           LEFT JOIN pg_constraint c ON c.conindid = i.indexrelid AND c.conrelid = i.indrelid
          WHERE i.indrelid = $1 AND x.relname = $2`,
              [oid, idx],
            )
          ).rows[0]
        : undefined;
      constraints.push(row?.con ?? null);
      const kind =
        row?.contype === 'p' ? 'primary key' : row?.contype === 'u' ? 'unique constraint' : row?.contype === 'x' ? 'exclusion constraint' : 'unique index';
      parts.push(
        `${kind} ${row?.con ?? idx}${row?.con && row.con !== idx ? ` (index ${idx})` : ''}${row?.pred ? ` (partial: WHERE ${stripOuterParens(row.pred)})` : ''}`,
      );
    }
    result.arbiters.push({
      table: rel.schema ? `${rel.schema}.${rel.name}` : rel.name,
      indexes,
      constraints,
      description: indexes.length ? parts.join(', ') : 'no conflict target: any unique index or constraint (DO NOTHING)',
    });
  }
}

// ---- INSERT: NOT NULL columns the statement leaves empty -------------------

interface ColumnInfo {
  name: string;
  notNull: boolean;
  hasDefault: boolean;
  identity: string;
  generated: string;
  typeOid: number;
  type: string;
  /** The table a foreign key of this column references (the first, by name), or null. */
  references: string | null;
  /** Part of the primary key (NOT NULL cannot be dropped). */
  primaryKey: boolean;
}

interface DomainInfo {
  base: number;
  hasDefault: boolean;
  notNull: boolean;
  name: string;
}

async function insertFailures(session: Session, c: Contract): Promise<ContractFailure[]> {
  const failures: ContractFailure[] = [];
  const inserts = findAll(c.tree, 'InsertStmt');
  if (!inserts.length) return failures;
  const domains = await readDomains(session);
  for (const ins of inserts) {
    const rel = rangeVar(ins.relation);
    if (!rel) continue;
    const oid = await tableOid(session, rel);
    if (!oid) continue;
    const kind = (await session.query<{ relkind: string }>('SELECT relkind::text AS relkind FROM pg_class WHERE oid = $1', [oid])).rows[0]?.relkind;
    if (kind !== 'r' && kind !== 'p') continue; // views and foreign tables: their own rules apply
    const columns = await insertColumns(session, oid);
    const { set, nulled } = columnsSet(
      ins,
      columns.map((col) => col.name),
    );
    const table = rel.schema ? `${rel.schema}.${rel.name}` : rel.name;
    for (const col of columns) {
      const failure = columnFailure(col, domainChain(domains, col.typeOid), table, set, nulled);
      if (failure) failures.push(failure);
    }
  }
  return failures;
}

/** Every domain of the database: paged under a driver's response limit (thousands pass the Data API's 1 MiB). */
async function readDomains(session: Session): Promise<Map<number, DomainInfo>> {
  const domains = new Map<number, DomainInfo>();
  for (const d of await orderedRows<{ oid: number; base: number; has_default: boolean; not_null: boolean; name: string }>(
    session,
    `SELECT oid::int AS oid, typbasetype::int AS base, typdefault IS NOT NULL OR typdefaultbin IS NOT NULL AS has_default, typnotnull AS not_null,
            format_type(oid, NULL) AS name, row_number() OVER (ORDER BY oid) AS page_row
       FROM pg_type WHERE typtype = 'd' ORDER BY page_row`,
  ))
    domains.set(Number(d.oid), { base: Number(d.base), hasDefault: d.has_default, notNull: d.not_null, name: d.name });
  return domains;
}

function domainChain(domains: Map<number, DomainInfo>, oid: number): DomainInfo[] {
  const chain = [];
  for (let d = domains.get(oid), guard = 0; d && guard < 32; d = domains.get(d.base), guard++) chain.push(d);
  return chain;
}

async function insertColumns(session: Session, oid: number): Promise<ColumnInfo[]> {
  return (
    await session.query<ColumnInfo & { type_oid: number; not_null: boolean; has_default: boolean; primary_key: boolean }>(
      `SELECT attname AS name, attnotnull AS not_null, atthasdef AS has_default, attidentity::text AS identity,
            attgenerated::text AS generated, atttypid::int AS type_oid, format_type(atttypid, atttypmod) AS type,
            (SELECT f.confrelid::regclass::text FROM pg_constraint f
              WHERE f.conrelid = a.attrelid AND f.contype = 'f' AND a.attnum = ANY (f.conkey) ORDER BY f.conname LIMIT 1) AS "references",
            EXISTS (SELECT 1 FROM pg_constraint p WHERE p.conrelid = a.attrelid AND p.contype = 'p' AND a.attnum = ANY (p.conkey)) AS primary_key
       FROM pg_attribute a WHERE attrelid = $1 AND attnum > 0 AND NOT attisdropped ORDER BY attnum`,
      [oid],
    )
  ).rows.map((r) => ({ ...r, notNull: r.not_null, hasDefault: r.has_default, typeOid: Number(r.type_oid), primaryKey: r.primary_key }));
}

/** The failure of one NOT NULL column the INSERT leaves empty or sets to NULL, if it does. */
function columnFailure(col: ColumnInfo, chain: DomainInfo[], table: string, set: Set<string>, nulled: Set<string>): ContractFailure | undefined {
  if (col.identity || col.generated) return undefined;
  const notNull = col.notNull || chain.some((d) => d.notNull);
  if (!notNull) return undefined;
  const domain = col.notNull ? '' : ` (domain ${present(chain.find((d) => d.notNull)).name})`;
  if (nulled.has(col.name)) {
    return {
      stage: 'insert',
      sqlstate: NOT_NULL_VIOLATION,
      reason: `${table}.${col.name} is NOT NULL${domain} and the statement sets it to NULL`,
      fix: `set ${col.name} to a value`,
    };
  }
  if (set.has(col.name) || col.hasDefault || chain.some((d) => d.hasDefault)) return undefined;
  return {
    stage: 'insert',
    sqlstate: NOT_NULL_VIOLATION,
    reason: `${table}.${col.name} is NOT NULL${domain}, has no DEFAULT, and the statement does not set it`,
    fix: omittedColumnFix(col, table),
  };
}

/**
 * A NOT NULL column an INSERT omits: the statement sets it, or a migration
 * drops NOT NULL; a generated default only where it can be right (a uuid
 * that is no foreign key: a random one references no row, 23503).
 */
function omittedColumnFix(col: ColumnInfo, table: string): string {
  const alter = `ALTER TABLE ${table} ALTER COLUMN ${col.name}`;
  // A primary key's column stays NOT NULL: no DROP NOT NULL for it.
  const dropNotNull = col.primaryKey ? '' : `, or a migration drops NOT NULL (${alter} DROP NOT NULL;) if the column may be empty`;
  if (col.references) {
    return `the statement sets ${col.name} to the ${col.references} row it belongs to (a foreign key: a generated default would reference no row, 23503)${dropNotNull}`;
  }
  return col.type === 'uuid'
    ? `a migration adds the default: ${alter} SET DEFAULT gen_random_uuid(); or the statement sets ${col.name}${dropNotNull}`
    : `a migration adds a default (${alter} SET DEFAULT …)${dropNotNull}, or the statement sets ${col.name}`;
}

/**
 * Columns an INSERT sets: the named ones, or the first N by position; a
 * column whose every VALUES row is DEFAULT is not set; one whose every row is
 * a NULL literal is `nulled`.
 */
function columnsSet(ins: Node, tableColumns: string[]): { set: Set<string>; nulled: Set<string> } {
  const select = as(ins.selectStmt, 'SelectStmt');
  const named = list(ins.cols).map((c) => String(as(c, 'ResTarget')?.name ?? ''));
  const set = new Set<string>();
  const nulled = new Set<string>();
  if (!select) return { set, nulled }; // DEFAULT VALUES
  const rows = list(select.valuesLists).map((l) => list(as(l, 'List')?.items));
  let width: number;
  if (rows.length) width = Math.max(...rows.map((r) => r.length));
  else if (list(select.targetList).some((t) => findAll(t, 'A_Star').length)) width = named.length || tableColumns.length;
  else width = list(select.targetList).length || named.length || tableColumns.length;
  const target = named.length ? named : tableColumns.slice(0, width);
  target.forEach((col, k) => {
    if (rows.length) {
      const cells = rows.map((r) => r[k]);
      if (cells.every((x) => x && as(x, 'SetToDefault'))) return;
      if (cells.every((x) => x && as(x, 'A_Const')?.isnull === true)) {
        nulled.add(col);
        return;
      }
    }
    set.add(col);
  });
  return { set, nulled };
}
