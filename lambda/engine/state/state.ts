/**
 * schemaguard's own state: schema `schemaguard` (configurable), one row per
 * applied migration. Created on the first `migrate`, never by `plan`/`status`.
 */
import type { Queryable, SessionCapabilities } from '../ports';
import { MigrationError } from '../errors/errors';
import { quoteIdent } from './identifiers';
import { quoteLiteral } from '../sql/sql-quote';
import { stateDdlLockKey } from './runner-lock-names';
import { DIVISION_BY_ZERO, INSUFFICIENT_PRIVILEGE } from '../errors/sqlstate';
import { noun } from '../errors/words';

export const DEFAULT_STATE_SCHEMA = 'schemaguard';
export const STATE_TABLE = 'applied_migrations';
/** The audit trail of `repair`: one row per accepted checksum change. */
export const REPAIR_TABLE = 'checksum_repairs';

/** How a row got into the state table: the runner executed the file, or `baseline` recorded it without running it. */
export type AppliedKind = 'migrate' | 'baseline';

export interface AppliedMigration {
  version: number;
  name: string;
  checksum: string;
  appliedAt: Date;
  executionMs: number;
  appliedBy: string;
  /** @default 'migrate' - also for rows of a state table created before the column existed */
  kind?: AppliedKind;
  /** Why the row was recorded without running (baseline --reason). */
  reason?: string;
}

export function stateTable(schema: string): string {
  return `${quoteIdent(schema)}.${quoteIdent(STATE_TABLE)}`;
}

export function repairTable(schema: string): string {
  return `${quoteIdent(schema)}.${quoteIdent(REPAIR_TABLE)}`;
}

const KIND_COLUMN = `kind text NOT NULL DEFAULT 'migrate' CHECK (kind IN ('migrate', 'baseline'))`;
const REASON_COLUMN = 'reason text';

/**
 * CREATE SCHEMA only when there is none of that name, in one statement:
 * PostgreSQL checks CREATE on the database before it looks at IF NOT EXISTS,
 * so `CREATE SCHEMA IF NOT EXISTS` refuses (42501) a role that an
 * administrator gave the schema (`CREATE SCHEMA schemaguard AUTHORIZATION app`).
 * The name is an E'' literal, right whatever standard_conforming_strings is.
 */
export function createSchemaIfMissing(schema: string): string {
  const literal = `E'${schema.replace(/\\/g, '\\\\').replace(/'/g, "''")}'`;
  const body = `BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_namespace WHERE nspname = ${literal}) THEN
    CREATE SCHEMA IF NOT EXISTS ${quoteIdent(schema)};
  END IF;
END`;
  let tag = '$schemaguard$';
  while (body.includes(tag)) tag = `${tag.slice(0, -1)}_$`;
  return `DO ${tag} ${body} ${tag}`;
}

/** The state table's DDL; with `createSchema` false no CREATE SCHEMA (why: `createSchemaIfMissing`). */
export function stateDdl(schema: string, createSchema = true): string {
  return [
    ...(createSchema ? [`CREATE SCHEMA IF NOT EXISTS ${quoteIdent(schema)}`] : []),
    `CREATE TABLE IF NOT EXISTS ${stateTable(schema)} (
  version      bigint      PRIMARY KEY,
  name         text        NOT NULL,
  checksum     text        NOT NULL CHECK (checksum ~ '^[0-9a-f]{64}$'),
  applied_at   timestamptz NOT NULL DEFAULT clock_timestamp(),
  execution_ms integer     NOT NULL CHECK (execution_ms >= 0),
  applied_by   text        NOT NULL,
  ${KIND_COLUMN},
  ${REASON_COLUMN}
)`,
    `COMMENT ON TABLE ${stateTable(schema)} IS 'schemaguard: one row per applied migration (sha-256 of the LF-normalised file); kind baseline = recorded without running'`,
  ].join(';\n');
}

/**
 * The state table's columns, or undefined when it does not exist (read-only,
 * one round trip). Tables created before `kind` and `reason` existed lack them.
 */
export async function stateColumns(q: Queryable, schema: string): Promise<Set<string> | undefined> {
  return (await stateTables(q, schema)).columns;
}

/** The state table's columns (undefined: no table), and whether `other` (a table of the state schema) exists, in one round trip. */
async function stateTables(q: Queryable, schema: string, other?: string): Promise<{ columns: Set<string> | undefined; other: boolean }> {
  const r = await q.query<{ cols: string | null; t: string | null; o: string | null }>(
    `SELECT to_regclass(format('%I.%I', $1::text, $2::text))::text AS t,
            (SELECT string_agg(attname::text, ',') FROM pg_attribute
              WHERE attrelid = to_regclass(format('%I.%I', $1::text, $2::text)) AND attnum > 0 AND NOT attisdropped) AS cols${
                other
                  ? `,
            to_regclass(format('%I.%I', $1::text, $3::text))::text AS o`
                  : ''
              }`,
    other ? [schema, STATE_TABLE, other] : [schema, STATE_TABLE],
  );
  const row = r.rows[0];
  return { columns: row?.t == null ? undefined : new Set((row.cols ?? '').split(',')), other: row?.o != null };
}

/** Whether the state table exists (read-only). */
export async function stateExists(q: Queryable, schema: string): Promise<boolean> {
  return (await stateColumns(q, schema)) !== undefined;
}

/**
 * Create the state schema and table, or bring a table created by an earlier
 * version up to date (`kind`, `reason`: constant defaults, no rewrite).
 * Idempotent; call while holding the runner lock.
 */
export async function ensureState(q: Queryable, schema: string, needs?: StateNeed): Promise<void> {
  const columns = await stateColumns(q, schema);
  const missing = columns ? missingStateColumns(columns) : [];
  if (missing.length > 0) {
    const who = await stateOwnership(q, schema);
    if (who && !who.mayAlter) {
      // A role granted SELECT, INSERT on an earlier version's table: what writes neither column goes on without them.
      if (!needs) return;
      throw stateUpgradeRefusal(schema, missing, who, needs);
    }
  }
  await prepareState(q, schema, columns);
}

/** What a state write records in the columns an earlier version's table lacks (`baseline`: kind and reason). */
export interface StateNeed {
  /** The command, for the message. */
  command: string;
  /** What it writes there. */
  writes: string;
}

function stateUpgradeRefusal(schema: string, missing: string[], who: StateOwnership, needs: StateNeed): MigrationError {
  const sql = stateUpgradeSql(schema, missing);
  return new MigrationError(
    `${needs.command}: ${stateTable(schema)} was made by an earlier schemaguard and lacks the ${noun(missing.length, 'column')} ${missing.join(', ')}, where ${needs.command} records ${needs.writes}; ` +
      `schemaguard's own statement ${sql[0]} needs the table's owner (${quoteIdent(who.owner)}), and role ${quoteIdent(who.role)} is not: nothing was written`,
    {
      sqlstate: INSUFFICIENT_PRIVILEGE,
      statement: sql[0],
      fix: `have ${quoteIdent(who.owner)} (or a superuser) run once: ${sql.join('; ')}; then run ${needs.command} again (migrate and repair work without them)`,
    },
  );
}

/** True when `columns` (`stateColumns`) are those of the table this version writes: nothing for `prepareState` to do. */
export function stateUpToDate(columns: Set<string> | undefined): boolean {
  return columns?.has('kind') === true && columns.has('reason');
}

/** The columns this version writes that a table of an earlier version lacks (`stateColumns`). */
export function missingStateColumns(columns: Set<string>): string[] {
  return ['kind', 'reason'].filter((c) => !columns.has(c));
}

/** The one-time statements that bring an earlier version's state table up to date (what `prepareState` runs). */
export function stateUpgradeSql(schema: string, missing: string[]): string[] {
  return missing.map((c) => `ALTER TABLE ${stateTable(schema)} ADD COLUMN IF NOT EXISTS ${c === 'kind' ? KIND_COLUMN : REASON_COLUMN}`);
}

/** Who owns the state table, and whether the connected role may alter it (its owner, a member of the owner's role, or a superuser). */
export interface StateOwnership {
  owner: string;
  role: string;
  mayAlter: boolean;
}

export async function stateOwnership(q: Queryable, schema: string): Promise<StateOwnership | undefined> {
  const r = await q.query<{ owner: string; role: string; may_alter: boolean }>(
    `SELECT pg_get_userbyid(c.relowner) AS owner, current_user AS role, pg_has_role(c.relowner, 'USAGE') AS may_alter
       FROM pg_class c WHERE c.oid = to_regclass(format('%I.%I', $1::text, $2::text))`,
    [schema, STATE_TABLE],
  );
  const row = r.rows[0];
  return row && { owner: row.owner, role: row.role, mayAlter: row.may_alter };
}

/**
 * The note a run that goes on without the columns says once: the table's
 * owner adds them (constant defaults, no rewrite), after which baseline can
 * record its rows too.
 */
export function stateUpgradeNote(schema: string, missing: string[], who: StateOwnership): string {
  return (
    `${stateTable(schema)} was made by an earlier schemaguard and lacks the ${noun(missing.length, 'column')} ${missing.join(', ')}; ` +
    `role ${quoteIdent(who.role)} does not own it (${quoteIdent(who.owner)} does), so this run goes on without them (it does not need them); ` +
    `baseline needs them: have ${quoteIdent(who.owner)} run once: ${stateUpgradeSql(schema, missing).join('; ')}`
  );
}

/**
 * `migrate`'s answer to an earlier version's table that the connected role
 * may not alter (granted SELECT, INSERT on it): the note it says once, and
 * the run goes on without the columns (it writes neither). Undefined when
 * nothing is missing or the role may add it: `prepareState` does.
 */
export async function stateUpgradeSkipped(q: Queryable, schema: string, columns: Set<string> | undefined): Promise<string | undefined> {
  const missing = columns ? missingStateColumns(columns) : [];
  if (missing.length === 0) return undefined;
  const who = await stateOwnership(q, schema);
  return who && !who.mayAlter ? stateUpgradeNote(schema, missing, who) : undefined;
}

/**
 * `ensureState` for a table whose columns were just read under the runner
 * lock (`readStateForRun`), without reading them again: no query when the
 * table is up to date.
 */
export async function prepareState(
  q: Queryable & { readonly capabilities?: SessionCapabilities },
  schema: string,
  columns: Set<string> | undefined,
): Promise<void> {
  if (!columns) {
    await inOrder(q, [
      // After a lease runner's creation of the lease table (and schema), and before its removal when it backs off from this runner.
      ['SELECT pg_advisory_xact_lock($1::bigint)', [stateDdlLockKey(schema)]],
      [createSchemaIfMissing(schema)],
      ...stateDdl(schema, false)
        .split(';\n')
        .map((stmt) => [stmt] as const),
    ]);
    return;
  }
  for (const stmt of stateUpgradeSql(schema, missingStateColumns(columns))) await q.query(stmt);
}

/**
 * The statements one after the other; on a session that pipelines, all
 * written at once (one round trip) and their answers awaited in order: the
 * first error is thrown, as when each waited for the one before (the server
 * runs each after the one before, and refuses those after an error in the
 * aborted transaction).
 */
async function inOrder(
  q: Queryable & { readonly capabilities?: SessionCapabilities },
  statements: ReadonlyArray<readonly [string, unknown[]?]>,
): Promise<void> {
  if (!q.capabilities?.pipelines) {
    for (const [sql, params] of statements) await q.query(sql, params);
    return;
  }
  const sent = statements.map(([sql, params]) => q.query(sql, params));
  for (const answer of sent) answer.catch(() => undefined);
  for (const answer of sent) await answer;
}

/** Create `repair`'s audit table if it is missing; call while holding the runner lock. */
export async function ensureRepairLog(q: Queryable, schema: string): Promise<void> {
  const r = await q.query<{ t: string | null }>(`SELECT to_regclass(format('%I.%I', $1::text, $2::text))::text AS t`, [schema, REPAIR_TABLE]);
  if (r.rows[0]?.t != null) return;
  await q.query(`CREATE TABLE IF NOT EXISTS ${repairTable(schema)} (
  id           bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  version      bigint      NOT NULL,
  name         text        NOT NULL,
  old_checksum text        NOT NULL CHECK (old_checksum ~ '^[0-9a-f]{64}$'),
  new_checksum text        NOT NULL CHECK (new_checksum ~ '^[0-9a-f]{64}$'),
  repaired_at  timestamptz NOT NULL DEFAULT clock_timestamp(),
  repaired_by  text        NOT NULL,
  reason       text        NOT NULL CHECK (reason <> '')
)`);
  await q.query(`COMMENT ON TABLE ${repairTable(schema)} IS 'schemaguard: checksum changes accepted by repair (who, when, why)'`);
}

interface StateRow {
  version: string | number;
  name: string;
  checksum: string;
  applied_at: Date | string;
  execution_ms: number;
  applied_by: string;
  kind?: string;
  reason?: string | null;
  /** `readStateForRun`'s backfills not done, versions comma-separated (the same on each row). */
  backfills_left?: string | null;
}

/** What comparing the files with the state needs of an applied migration (`computePlan`). */
export type AppliedKey = Pick<AppliedMigration, 'version' | 'name' | 'checksum' | 'kind'>;

/** Applied migrations in version order; [] when the state table does not exist. Writes nothing. */
export async function readApplied(q: Queryable, schema: string): Promise<AppliedMigration[]> {
  const rows = await readStateRows(q, schema, ['version', 'name', 'checksum', 'applied_at', 'execution_ms', 'applied_by'], ['kind', 'reason']);
  return rows.map((x) => ({
    version: Number(x.version),
    name: x.name,
    checksum: x.checksum,
    appliedAt: x.applied_at instanceof Date ? x.applied_at : new Date(x.applied_at),
    executionMs: Number(x.execution_ms),
    appliedBy: x.applied_by,
    kind: appliedKind(x.kind),
    reason: x.reason ?? undefined,
  }));
}

/**
 * The same, only what `migrate` compares (version, name, checksum, kind):
 * half the columns to read and convert on every run, where most runs find
 * every file applied.
 */
export async function readAppliedKeys(q: Queryable, schema: string): Promise<AppliedKey[]> {
  return (await readStateForRun(q, schema)).applied;
}

/** The applied migrations' keys and the state table's columns (undefined: no table yet), as `migrate` reads them under the runner lock. Writes nothing. */
export async function readStateForRun(
  q: Queryable,
  schema: string,
  backfills?: string,
): Promise<{ applied: AppliedKey[]; columns: Set<string> | undefined; backfillsLeft: number[] }> {
  const { columns, other } = await stateTables(q, schema, backfills);
  // The backfills not done come with the applied rows (once, on each row), so that a run with nothing to do costs no round trip more.
  const left =
    backfills && other
      ? `(SELECT string_agg(version::text, ',') FROM ${quoteIdent(schema)}.${quoteIdent(backfills)} WHERE state <> 'done') AS backfills_left`
      : undefined;
  const rows = await readStateRowsOf(q, schema, columns, ['version', 'name', 'checksum', ...(left ? [left] : [])], ['kind']);
  const backfillsLeft = String(rows[0]?.backfills_left ?? '')
    .split(',')
    .filter(Boolean)
    .map(Number);
  return { applied: rows.map((x) => ({ version: Number(x.version), name: x.name, checksum: x.checksum, kind: appliedKind(x.kind) })), columns, backfillsLeft };
}

/** `columns` of every state row, and those of `optional` the table has (a table of an earlier version lacks them). */
async function readStateRows(q: Queryable, schema: string, columns: string[], optional: string[]): Promise<StateRow[]> {
  return readStateRowsOf(q, schema, await stateColumns(q, schema), columns, optional);
}

async function readStateRowsOf(q: Queryable, schema: string, has: Set<string> | undefined, columns: string[], optional: string[]): Promise<StateRow[]> {
  if (!has) return [];
  const list = [...columns, ...optional.filter((c) => has.has(c))].join(', ');
  return (await q.query<StateRow>(`SELECT ${list} FROM ${stateTable(schema)} ORDER BY version`)).rows;
}

function appliedKind(kind: string | undefined): AppliedKind {
  return kind === 'baseline' ? 'baseline' : 'migrate';
}

export function insertAppliedSql(schema: string, held?: string): string {
  return `INSERT INTO ${stateTable(schema)} (version, name, checksum, execution_ms, applied_by) VALUES ($1, $2, $3, ${heldGuarded('$4::int', held)}, $5)`;
}

/**
 * `value`, failing the statement with a division by zero (22012) unless
 * `held`, the runner lock's condition (`MigrationLock.heldSql`), is true: a
 * runner whose lock's connection was lost cannot write the state row, nor so
 * commit the migration. SQL has no assertion; an error in the INSERT that was
 * there anyway costs no round trip.
 */
function heldGuarded(value: string, held: string | undefined): string {
  return held ? `${value} / (CASE WHEN ${held} THEN 1 ELSE 0 END)` : value;
}

/** The state row's guard failed (`heldGuarded`): schemaguard's own statement (no line of the file), division by zero. */
export function isHeldGuardFailure(e: { sqlstate?: string; line?: number } | undefined): boolean {
  return e?.sqlstate === DIVISION_BY_ZERO && e.line === undefined;
}

/**
 * The state row's INSERT with its values inlined, for drivers that send it
 * together with COMMIT in one round trip (no parameters there).
 */
export function insertAppliedLiteralSql(
  schema: string,
  row: { version: number; name: string; checksum: string; executionMs: number; appliedBy: string },
): string {
  if (!Number.isSafeInteger(row.version) || !Number.isSafeInteger(row.executionMs)) {
    throw new TypeError(`state row: version ${row.version} and execution time ${row.executionMs} must be integers`);
  }
  return `INSERT INTO ${stateTable(schema)} (version, name, checksum, execution_ms, applied_by) VALUES (${row.version}, ${quoteLiteral(row.name)}, ${quoteLiteral(row.checksum)}, ${row.executionMs}, ${quoteLiteral(row.appliedBy)})`;
}

/**
 * The session setting a file written in flight records its version in, with
 * its state row (`insertAppliedTimedSql`'s `mark`), for the next file's guard.
 * Set with `set_config(…, false)` in the file's transaction, it keeps the new
 * value only when that transaction commits: PostgreSQL undoes a setting made
 * in a transaction that rolls back, a failed COMMIT included.
 */
export const IN_FLIGHT_MARK = 'schemaguard.in_flight_applied';

/**
 * True when the file of `version` committed in this session just before and
 * `held` (the runner lock's condition) holds: what a message written behind
 * another checks after BEGIN (`transactionStartSql`'s guard). If the one
 * before did not commit — an error left its transaction aborted (then BEGIN
 * fails already), or its COMMIT failed (a deferred constraint), rolled back
 * (and with it the mark) and left the session idle — or the runner lock was
 * lost meanwhile, nothing of this one runs. (Reading the mark costs the server
 * less than looking the state row up: `npx tsx bench/file-cost.ts`.)
 */
export function inFlightGuardSql(version: number, held: string): string {
  if (!Number.isSafeInteger(version)) throw new TypeError(`state row: version ${version} must be an integer`);
  return `current_setting('${IN_FLIGHT_MARK}', true) = '${version}' AND ${held}`;
}

/**
 * The state row's INSERT for a migration sent as one message: its execution
 * time measured by the server, from BEGIN (`now()`, the transaction's start)
 * to this statement, and returned. With `mark`, it also records the version
 * in IN_FLIGHT_MARK (see `inFlightGuardSql`), in the same statement. With
 * `held`, it fails unless the runner lock is still held (`heldGuarded`).
 */
export function insertAppliedTimedSql(
  schema: string,
  row: { version: number; name: string; checksum: string; appliedBy: string },
  mark = false,
  held?: string,
): string {
  if (!Number.isSafeInteger(row.version)) throw new TypeError(`state row: version ${row.version} must be an integer`);
  return (
    `INSERT INTO ${stateTable(schema)} (version, name, checksum, execution_ms, applied_by) VALUES (${row.version}, ${quoteLiteral(row.name)}, ${quoteLiteral(row.checksum)}, ` +
    `${heldGuarded('round(extract(epoch FROM clock_timestamp() - now()) * 1000)::int', held)}, ${quoteLiteral(row.appliedBy)}) RETURNING execution_ms` +
    (mark ? `, set_config('${IN_FLIGHT_MARK}', '${row.version}', false) AS mark` : '')
  );
}
