/**
 * The fix for a server error that the file's SQL explains, where PostgreSQL's
 * message alone does not say what to change: a procedure that commits inside
 * the migration's transaction (2D000), a new enum value used in the
 * transaction that added it (55P04), a statement refused in a transaction
 * block by what the catalog holds (25001), and a deferred constraint's
 * violation found at COMMIT, where no statement of the file failed.
 */
import type { DatabaseErrorFields } from './errors';
import { quoteIdent } from './identifiers';
import type { Migration } from './migration';
import { STATE_TABLE } from './state';

const NO_TRANSACTION = 'put it in a migration of its own that starts with "-- schemaguard:no-transaction" (there each statement runs, and commits, on its own; a failure leaves those before it applied)';

/** The fix for this error of a statement of `m`, or undefined. */
export function serverFix(m: Pick<Migration, 'directives'>, fields: DatabaseErrorFields, message: string): string | undefined {
  const inTransaction = !m.directives.noTransaction;
  switch (fields.sqlstate) {
    case '2D000':
      return /invalid transaction termination/.test(message) ? endsTransactionFix(inTransaction) : undefined;
    case '55P04':
      return 'ALTER TYPE … ADD VALUE\'s new value cannot be used in the transaction that added it (unless the type itself was made there): add the value in one migration and use it in a later file, which runs in a transaction of its own; the migration was rolled back';
    case '25001':
      return /cannot run inside a transaction block/.test(message) && inTransaction
        ? `PostgreSQL refuses this form inside a transaction block by what the database holds (a subscription with a replication slot, a partitioned table), which the file's words do not show: ${NO_TRANSACTION}; the migration was rolled back`
        : undefined;
    default:
      return undefined;
  }
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
  if (!constraint || !['23503', '23505', '23P01'].includes(fields.sqlstate ?? '') || table === STATE_TABLE) return undefined;
  const on = table ? ` on ${schema ? `${quoteIdent(schema)}.` : ''}${quoteIdent(table)}` : '';
  return `the violation was found at COMMIT by the deferred constraint ${quoteIdent(constraint)}${on} (DEFERRABLE INITIALLY DEFERRED, or SET CONSTRAINTS … DEFERRED): it is checked when the migration's transaction ends, so no line of the file is at fault by itself; the rows the file left at its end break it (the detail names them). `
    + `Make them valid by the end of the file; to find the statement that breaks it, add SET CONSTRAINTS ${quoteIdent(constraint)} IMMEDIATE before the statements that write the rows, once the constraint exists (the statement that breaks it then fails at its line); the migration was rolled back`;
}
