/**
 * A backfill's durable progress: one row per backfill in `<state schema>.backfills`,
 * written in the expand's transaction (with its state row) and then with
 * each batch, in the batch's own transaction: a killed runner reworks at most
 * the batch it had not committed. The row holds all a runner needs (the
 * statement, the table and key resolved at the expand, the search_path and
 * timeouts it ran under), so any runner — the CLI, the deployed function —
 * continues it without the files. Created by the first backfill, never by a
 * read.
 */
import { InputError } from '../errors/errors';
import type { Queryable } from '../ports';
import { quoteIdent } from '../state/identifiers';
import type { SqlStatement } from '../sql/splitter';
import { readBackfillStatement } from '../files/backfill-statement';

export const BACKFILL_TABLE = 'backfills';

/** What `status --json` calls a backfill's state. */
export type BackfillState = 'running' | 'paused' | 'done' | 'failed';

/** A backfill as its row has it. */
export interface BackfillRow {
  version: number;
  file: string;
  /** The table, schema-qualified and quoted. */
  table: string;
  /** The key column, quoted. */
  keyColumn: string;
  keyType: string;
  searchPath: string;
  statement: string;
  /** The line of the statement in its file, for errors. */
  line: number;
  lockTimeoutMs: number;
  statementTimeoutMs: number;
  state: BackfillState;
  reason: string | null;
  /** The last key done (text); null before the first batch and after a pass ended. */
  lastKey: string | null;
  /** `lastKey` itself is still to do (a sweep starts at a row left behind). */
  keyInclusive: boolean;
  /** The pass over the key range ended: the next step proves no row is left. */
  passEnded: boolean;
  rowsDone: number;
  keysScanned: number;
  batches: number;
  batchRows: number;
  sweeps: number;
  startedAt: Date;
  updatedAt: Date;
  /** When a batch last committed, a sweep started or the backfill was recorded: a pause does not move it. */
  progressAt: Date;
  finishedAt: Date | null;
}

export function backfillTable(schema: string): string {
  return `${quoteIdent(schema)}.${quoteIdent(BACKFILL_TABLE)}`;
}

function backfillDdl(schema: string): string {
  return `CREATE TABLE IF NOT EXISTS ${backfillTable(schema)} (
  version              bigint      PRIMARY KEY,
  file                 text        NOT NULL,
  table_name           text        NOT NULL,
  key_column           text        NOT NULL,
  key_type             text        NOT NULL,
  search_path          text        NOT NULL,
  statement            text        NOT NULL,
  line                 integer     NOT NULL,
  lock_timeout_ms      integer     NOT NULL,
  statement_timeout_ms integer     NOT NULL,
  state                text        NOT NULL DEFAULT 'running' CHECK (state IN ('running', 'paused', 'done', 'failed')),
  reason               text,
  last_key             text,
  key_inclusive        boolean     NOT NULL DEFAULT false,
  pass_ended           boolean     NOT NULL DEFAULT false,
  rows_done            bigint      NOT NULL DEFAULT 0,
  keys_scanned         bigint      NOT NULL DEFAULT 0,
  batches              bigint      NOT NULL DEFAULT 0,
  batch_rows           integer     NOT NULL,
  sweeps               integer     NOT NULL DEFAULT 0,
  started_at           timestamptz NOT NULL DEFAULT clock_timestamp(),
  updated_at           timestamptz NOT NULL DEFAULT clock_timestamp(),
  progress_at          timestamptz NOT NULL DEFAULT clock_timestamp(),
  finished_at          timestamptz
)`;
}

/** What the expand's transaction resolves of the table, under the file's own search_path. */
interface KeyFacts {
  table_name: string | null;
  keys: number;
  key_columns: number | null;
  key_column: string | null;
  key_type: string | null;
  search_path: string;
}

const KEY_SQL = `
SELECT format('%I.%I', n.nspname, c.relname) AS table_name,
       (SELECT count(*)::int FROM pg_catalog.pg_constraint p WHERE p.conrelid = c.oid AND p.contype = 'p') AS keys,
       cardinality(k.conkey) AS key_columns, quote_ident(a.attname) AS key_column, format_type(a.atttypid, a.atttypmod) AS key_type,
       current_setting('search_path') AS search_path
  FROM (SELECT to_regclass($1) AS oid) t
  LEFT JOIN pg_catalog.pg_class c ON c.oid = t.oid
  LEFT JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
  LEFT JOIN pg_catalog.pg_constraint k ON k.conrelid = c.oid AND k.contype = 'p'
  LEFT JOIN pg_catalog.pg_attribute a ON a.attrelid = c.oid AND a.attnum = k.conkey[1]`;

/** What recording a backfill needs of its file and run. */
export interface BackfillRecord {
  version: number;
  file: string;
  statement: SqlStatement;
  lockTimeoutMs: number;
  statementTimeoutMs: number;
  batchRows: number;
}

/**
 * In the expand's open transaction, after its statements: the table and its
 * key resolved, and the backfill's row written (created with the first
 * backfill). A table without a one-column primary key is refused (an
 * InputError: the transaction rolls back, and the database is as it was).
 */
export async function recordBackfill(q: Queryable, schema: string, r: BackfillRecord): Promise<void> {
  const b = readBackfillStatement(r.file, r.statement);
  const facts = (await q.query<KeyFacts>(KEY_SQL, [b.table])).rows[0];
  refuseUnbatchable(r, b.table, facts);
  await q.query(backfillDdl(schema));
  await q.query(
    `INSERT INTO ${backfillTable(schema)} (version, file, table_name, key_column, key_type, search_path, statement, line, lock_timeout_ms, statement_timeout_ms, batch_rows)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
     ON CONFLICT (version) DO UPDATE SET file = EXCLUDED.file, table_name = EXCLUDED.table_name, key_column = EXCLUDED.key_column,
       key_type = EXCLUDED.key_type, search_path = EXCLUDED.search_path, statement = EXCLUDED.statement, line = EXCLUDED.line,
       lock_timeout_ms = EXCLUDED.lock_timeout_ms, statement_timeout_ms = EXCLUDED.statement_timeout_ms, batch_rows = EXCLUDED.batch_rows,
       state = 'running', reason = NULL, last_key = NULL, key_inclusive = false, pass_ended = false, rows_done = 0, keys_scanned = 0,
       batches = 0, sweeps = 0, started_at = clock_timestamp(), updated_at = clock_timestamp(), progress_at = clock_timestamp(), finished_at = NULL`,
    [
      r.version,
      r.file,
      facts.table_name,
      facts.key_column,
      facts.key_type,
      facts.search_path,
      r.statement.text,
      r.statement.line,
      r.lockTimeoutMs,
      r.statementTimeoutMs,
      r.batchRows,
    ],
  );
}

/** Batches walk the table by its key: a table not found, or without a one-column primary key, is refused with the way out. */
function refuseUnbatchable(r: BackfillRecord, table: string, facts: KeyFacts): void {
  const at = { file: r.file, line: r.statement.line, value: table };
  if (facts.table_name === null) {
    throw new InputError(`${r.file}:${r.statement.line}: the backfill's table ${table} does not exist (after the file's statements ran)`, {
      ...at,
      fix: 'name the table as the file sees it (its schema too, when the search_path does not find it)',
    });
  }
  if (facts.key_columns === 1 && facts.key_column && facts.key_type) return;
  const has = facts.keys === 0 ? 'has no primary key' : `has a primary key of ${facts.key_columns} columns`;
  throw new InputError(
    `${r.file}:${r.statement.line}: the backfill's table ${facts.table_name} ${has}: batches walk a table by a one-column key, in its order`,
    {
      ...at,
      fix: `give ${facts.table_name} a one-column primary key in an earlier file (e.g. ADD COLUMN id bigint GENERATED ALWAYS AS IDENTITY, then ADD PRIMARY KEY (id) USING INDEX of a unique index built CONCURRENTLY), or run the UPDATE without -- schemaguard:backfill, in batches of your own`,
    },
  );
}

interface Row {
  version: string;
  file: string;
  table_name: string;
  key_column: string;
  key_type: string;
  search_path: string;
  statement: string;
  line: number;
  lock_timeout_ms: number;
  statement_timeout_ms: number;
  state: BackfillState;
  reason: string | null;
  last_key: string | null;
  key_inclusive: boolean;
  pass_ended: boolean;
  rows_done: string;
  keys_scanned: string;
  batches: string;
  batch_rows: number;
  sweeps: number;
  started_at: Date | string;
  updated_at: Date | string;
  progress_at: Date | string;
  finished_at: Date | string | null;
}

const asDate = (d: Date | string) => (d instanceof Date ? d : new Date(d));

function fromRow(x: Row): BackfillRow {
  return {
    version: Number(x.version),
    file: x.file,
    table: x.table_name,
    keyColumn: x.key_column,
    keyType: x.key_type,
    searchPath: x.search_path,
    statement: x.statement,
    line: Number(x.line),
    lockTimeoutMs: Number(x.lock_timeout_ms),
    statementTimeoutMs: Number(x.statement_timeout_ms),
    state: x.state,
    reason: x.reason,
    lastKey: x.last_key,
    keyInclusive: x.key_inclusive === true || (x.key_inclusive as unknown) === 't',
    passEnded: x.pass_ended === true || (x.pass_ended as unknown) === 't',
    rowsDone: Number(x.rows_done),
    keysScanned: Number(x.keys_scanned),
    batches: Number(x.batches),
    batchRows: Number(x.batch_rows),
    sweeps: Number(x.sweeps),
    startedAt: asDate(x.started_at),
    updatedAt: asDate(x.updated_at),
    progressAt: asDate(x.progress_at),
    finishedAt: x.finished_at === null ? null : asDate(x.finished_at),
  };
}

/** Every backfill, in version order; [] when none was ever recorded. Writes nothing. */
export async function readBackfills(q: Queryable, schema: string): Promise<BackfillRow[]> {
  const exists = await q.query<{ t: string | null }>(`SELECT to_regclass(format('%I.%I', $1::text, $2::text))::text AS t`, [schema, BACKFILL_TABLE]);
  if (exists.rows[0]?.t == null) return [];
  return (await q.query<Row>(`SELECT * FROM ${backfillTable(schema)} ORDER BY version`)).rows.map(fromRow);
}

/** One backfill's row, locked FOR UPDATE in the caller's transaction when `lock` (runners of one backfill take turns, batch by batch). */
export async function readBackfill(q: Queryable, schema: string, version: number, lock = false): Promise<BackfillRow | undefined> {
  const r = await q.query<Row>(`SELECT * FROM ${backfillTable(schema)} WHERE version = $1${lock ? ' FOR UPDATE' : ''}`, [version]);
  return r.rows[0] && fromRow(r.rows[0]);
}

/** A change of state (paused, running again, done, failed) with its reason, committed on its own. */
export async function setBackfillState(q: Queryable, schema: string, version: number, state: BackfillState, reason: string | null): Promise<void> {
  await q.query(
    `UPDATE ${backfillTable(schema)} SET state = $2, reason = $3, updated_at = clock_timestamp(),
            finished_at = CASE WHEN $2 = 'done' THEN clock_timestamp() ELSE finished_at END
      WHERE version = $1`,
    [version, state, reason],
  );
}
