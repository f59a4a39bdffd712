/**
 * The fix for a server error that the file's SQL explains, where PostgreSQL's
 * message alone does not say what to change (a COMMIT inside a procedure, a
 * new enum value used too soon, NULL rows under SET NOT NULL, an object there
 * already or gone, a deferred constraint failing at COMMIT): one function per
 * SQLSTATE below.
 */
import type { DatabaseErrorFields } from '../errors/errors';
import { sqlIdent } from '../sql/sql-quote';
import type { Migration } from '../files/migration';
import type { SqlStatement } from '../sql/splitter';
import { STATE_TABLE } from '../state/state';
import {
  ACTIVE_SQL_TRANSACTION,
  DUPLICATE_COLUMN,
  DUPLICATE_SCHEMA,
  DUPLICATE_TABLE,
  EXCLUSION_VIOLATION,
  FOREIGN_KEY_VIOLATION,
  INVALID_TRANSACTION_TERMINATION,
  NOT_NULL_VIOLATION,
  UNDEFINED_COLUMN,
  UNDEFINED_OBJECT,
  UNIQUE_VIOLATION,
  UNSAFE_NEW_ENUM_VALUE_USAGE,
} from '../errors/sqlstate';

const NO_TRANSACTION =
  'put it in a migration of its own that starts with "-- schemaguard:no-transaction" (there each statement runs, and commits, on its own; a failure leaves those before it applied)';

/** The fix for this error of a statement of `m` (`stmt`, when known), or undefined. */
export function serverFix(
  m: Pick<Migration, 'directives'>,
  fields: DatabaseErrorFields,
  message: string,
  stmt?: Pick<SqlStatement, 'words'> | null,
): string | undefined {
  const inTransaction = !m.directives.noTransaction;
  switch (fields.sqlstate) {
    case NOT_NULL_VIOLATION:
      return notNullFix(fields, message, stmt ?? undefined, inTransaction);
    case DUPLICATE_TABLE:
    case DUPLICATE_SCHEMA:
    case DUPLICATE_COLUMN:
      return alreadyExistsFix(fields.sqlstate, message, inTransaction);
    case UNDEFINED_OBJECT:
    case UNDEFINED_COLUMN:
      return goneFix(fields.sqlstate, message, inTransaction);
    case INVALID_TRANSACTION_TERMINATION:
      return /invalid transaction termination/.test(message) ? endsTransactionFix(inTransaction) : undefined;
    case UNSAFE_NEW_ENUM_VALUE_USAGE:
      return "ALTER TYPE … ADD VALUE's new value cannot be used in the transaction that added it (unless the type itself was made there): add the value in one migration and use it in a later file, which runs in a transaction of its own; the migration was rolled back";
    case ACTIVE_SQL_TRANSACTION:
      return /cannot run inside a transaction block/.test(message) && inTransaction
        ? `PostgreSQL refuses this form inside a transaction block by what the database holds (a subscription with a replication slot, a partitioned table), which the file's words do not show: ${NO_TRANSACTION}; the migration was rolled back`
        : undefined;
    default:
      return undefined;
  }
}

/** What a transactional file's fix ends with: nothing of it stayed. */
const ROLLED_BACK = '; the migration was rolled back';

/** "t" or "s"."t", from the error's fields or (the Data API gives the message only) from the message. */
function relationOf(fields: DatabaseErrorFields, message: string): string | undefined {
  const table = fields.table ?? /of relation "((?:[^"]|"")+)"/.exec(message)?.[1]?.replace(/""/g, '"');
  return table && `${fields.schema ? `${sqlIdent(fields.schema)}.` : ''}${sqlIdent(table)}`;
}

/**
 * 23502 "column "c" of relation "t" contains null values": SET NOT NULL (or
 * ADD … NOT NULL, or a type change's rewrite) met rows that are NULL there.
 * An INSERT's "null value in column … violates not-null constraint" is the
 * data's fault, not the schema change's: undefined.
 */
function notNullFix(fields: DatabaseErrorFields, message: string, stmt: Pick<SqlStatement, 'words'> | undefined, inTransaction: boolean): string | undefined {
  const m = /^column "((?:[^"]|"")+)" of relation "(?:[^"]|"")+" contains null values/.exec(message);
  const table = relationOf(fields, message);
  if (!m || !table) return undefined;
  const column = sqlIdent(fields.columnName ?? m[1].replace(/""/g, '"'));
  const end = inTransaction ? ROLLED_BACK : '';
  if (stmt && addsColumn(stmt.words)) {
    return (
      `${table} has rows, and a new column without a DEFAULT is NULL in each of them, which NOT NULL refuses: give it one (ADD COLUMN ${column} … NOT NULL DEFAULT …; a constant default adds no rewrite), ` +
      `or add it nullable, backfill it, then SET NOT NULL in a later migration${end}`
    );
  }
  return (
    `rows of ${table} are NULL in ${column}, which NOT NULL refuses: count them with SELECT count(*) FROM ${table} WHERE ${column} IS NULL; ` +
    `backfill them first (UPDATE ${table} SET ${column} = … WHERE ${column} IS NULL, in batches on a big table) in an earlier migration, and make the application stop writing NULL there; ` +
    `on a big table, ADD CONSTRAINT … CHECK (${column} IS NOT NULL) NOT VALID and VALIDATE it before SET NOT NULL, which then skips its scan${end}`
  );
}

/** ALTER TABLE … ADD [COLUMN] …, not ADD CONSTRAINT / PRIMARY KEY / UNIQUE / CHECK / FOREIGN KEY / EXCLUDE. */
function addsColumn(words: readonly string[]): boolean {
  const k = words.indexOf('add');
  return (
    words[0] === 'alter' && words[1] === 'table' && k > 0 && !['constraint', 'primary', 'unique', 'check', 'foreign', 'exclude'].includes(words[k + 1] ?? '')
  );
}

/** The form of IF NOT EXISTS for what an "already exists" error names. */
const IF_NOT_EXISTS: Record<string, string> = {
  [DUPLICATE_TABLE]: 'CREATE TABLE / INDEX / SEQUENCE … IF NOT EXISTS',
  [DUPLICATE_SCHEMA]: 'CREATE SCHEMA IF NOT EXISTS',
  [DUPLICATE_COLUMN]: 'ALTER TABLE … ADD COLUMN IF NOT EXISTS',
};

/**
 * 42P07 / 42P06 / 42701: what the file makes is there already. In a
 * no-transaction file, most often its own earlier run: each statement
 * commits on its own, and a file that failed part-way is not recorded, so
 * the next run starts again from its first line.
 */
function alreadyExistsFix(sqlstate: string, message: string, inTransaction: boolean): string | undefined {
  if (!/already exists/.test(message)) return undefined;
  const form = IF_NOT_EXISTS[sqlstate];
  if (!inTransaction) {
    return (
      'an earlier run of this no-transaction file may have made it before a later statement failed (each statement commits on its own, and the file, not recorded, runs again from its first line), ' +
      `or it was made by hand (schemaguard diff shows what differs from what the migrations make): write the statement with IF NOT EXISTS (${form}) so the file can run again, or drop what is there first`
    );
  }
  return (
    "it was made outside the migrations (by hand, by another tool, or it comes with the database: public, a template database's objects): schemaguard diff shows what differs from what the migrations make; " +
    `if what is there is what this file makes, write the statement with IF NOT EXISTS (${form}), else drop or rename it first${ROLLED_BACK}`
  );
}

/** 42704 / 42703 ("column "c" of relation "t" does not exist"): what the file changes or drops is not there. */
function goneFix(sqlstate: string, message: string, inTransaction: boolean): string | undefined {
  // A query's "column "c" does not exist" is a misspelt name, not a changed schema.
  if (!/does not exist/.test(message) || (sqlstate === UNDEFINED_COLUMN && !/ of relation "/.test(message))) return undefined;
  // Outside the schema diff compares: a role, an extension, a tablespace… missing is not drift.
  if (/^(?:role|user|extension|tablespace|database|language|server|publication|subscription|access method|foreign-data wrapper) "/.test(message))
    return undefined;
  return (
    'if the name is right, the schema was changed outside the migrations (dropped or renamed by hand): schemaguard diff shows what differs from what the migrations make; ' +
    `restore it as diff shows, or, if it is meant to be gone, write the statement with IF EXISTS (DROP … IF EXISTS, DROP COLUMN IF EXISTS)${inTransaction ? ROLLED_BACK : ''}`
  );
}

/** 2D000 from a CALL (or a DO block run bare) whose procedure COMMITs or ROLLBACKs. */
function endsTransactionFix(inTransaction: boolean): string {
  return inTransaction
    ? `the procedure it calls commits or rolls back, which PostgreSQL allows only when the CALL is not inside a transaction block, and schemaguard runs this file in one: ${NO_TRANSACTION}; the migration was rolled back`
    : 'the procedure commits or rolls back, which PostgreSQL refuses in a procedure with a SET clause or SECURITY DEFINER, or one called from a function or a query: remove the clause (or the transaction control from the procedure)';
}

/**
 * An error where no statement of the file failed, its transaction's end did:
 * a violation found at COMMIT by a deferred constraint (the rows the file left
 * at its end, not one statement). Undefined for any other.
 */
export function deferredFix(fields: DatabaseErrorFields, message: string): string | undefined {
  // The Data API gives the message only: the names are read from it.
  const constraint = fields.constraint ?? /constraint "((?:[^"]|"")+)"/.exec(message)?.[1]?.replace(/""/g, '"');
  const table = fields.table ?? /on table "((?:[^"]|"")+)"/.exec(message)?.[1]?.replace(/""/g, '"');
  const { schema } = fields;
  if (!constraint || ![FOREIGN_KEY_VIOLATION, UNIQUE_VIOLATION, EXCLUSION_VIOLATION].includes(fields.sqlstate ?? '') || table === STATE_TABLE) return undefined;
  const on = table ? ` on ${schema ? `${sqlIdent(schema)}.` : ''}${sqlIdent(table)}` : '';
  return (
    `the violation was found at COMMIT by the deferred constraint ${sqlIdent(constraint)}${on} (DEFERRABLE INITIALLY DEFERRED, or SET CONSTRAINTS … DEFERRED): it is checked when the migration's transaction ends, so no line of the file is at fault by itself; the rows the file left at its end break it (the detail names them). ` +
    `Make them valid by the end of the file; to find the statement that breaks it, add SET CONSTRAINTS ${sqlIdent(constraint)} IMMEDIATE before the statements that write the rows, once the constraint exists (the statement that breaks it then fails at its line); the migration was rolled back`
  );
}
