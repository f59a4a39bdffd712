/**
 * A target that cannot be written: a standby (a read replica, an Aurora reader
 * endpoint; pg_is_in_recovery()), or default_transaction_read_only set for the
 * database or the role. PostgreSQL says only "cannot execute CREATE SCHEMA in
 * a read-only transaction" (25006), from inside schemaguard's own DO block
 * when it first creates its state: the run says which it is and what to point
 * at instead, without the block's context lines.
 */
import { MigrationError, sqlstateOf } from '../errors/errors';
import { sqlIdent } from '../sql/sql-quote';
import type { Driver, Queryable } from '../ports';
import { READ_ONLY_SQL_TRANSACTION } from '../errors/sqlstate';

interface ReadOnlyFacts {
  recovery: boolean;
  default_read_only: string;
  source: string | null;
  db: string;
  role: string;
}

/** `e` as the read-only target's error when it is 25006 (read_only_sql_transaction); `e` itself otherwise. */
export async function explainReadOnly(e: unknown, driver: Driver, reader?: Queryable): Promise<unknown> {
  if (sqlstateOf(e) !== READ_ONLY_SQL_TRANSACTION) return e;
  const facts = await readOnlyFacts(driver, reader).catch(() => undefined);
  const at = e instanceof MigrationError && e.file ? `${e.line ? `${e.file}:${e.line}` : e.file}: ` : '';
  const why = e instanceof Error ? e.message.replace(/^\S+\.sql(:\d+)?: /, '') : String(e);
  const file = e instanceof MigrationError ? e.file : undefined;
  return new MigrationError(`${at}the database is read-only (${why}): ${cause(facts)}; ${file ? `${file} was not applied` : 'nothing was applied'}`, {
    cause: e,
    sqlstate: READ_ONLY_SQL_TRANSACTION,
    file: (e as MigrationError).file,
    version: (e as MigrationError).version,
    line: (e as MigrationError).line,
    fix: fixFor(facts, driver.target),
  });
}

async function readOnlyFacts(driver: Driver, reader: Queryable | undefined): Promise<ReadOnlyFacts | undefined> {
  const sql = `SELECT pg_is_in_recovery() AS recovery, current_setting('default_transaction_read_only') AS default_read_only,
                      (SELECT source FROM pg_settings WHERE name = 'default_transaction_read_only') AS source,
                      current_database() AS db, current_user AS role`;
  if (reader) return (await reader.query<ReadOnlyFacts>(sql)).rows[0];
  const session = await driver.connect();
  try {
    return (await session.query<ReadOnlyFacts>(sql)).rows[0];
  } finally {
    await session.close();
  }
}

function cause(f: ReadOnlyFacts | undefined): string {
  if (!f) return 'a standby (read replica, reader endpoint), or default_transaction_read_only is on';
  if (f.recovery) return 'it is a standby (pg_is_in_recovery() is true): a read replica, or an Aurora reader endpoint';
  if (f.default_read_only === 'on')
    return `default_transaction_read_only is on${f.source ? ` (set for the ${f.source === 'database user' ? 'database and role' : f.source === 'user' ? 'role' : f.source})` : ''}`;
  return 'a read-only transaction (a standby, or default_transaction_read_only)';
}

function fixFor(f: ReadOnlyFacts | undefined, target: string): string {
  const primary = `point --database-url (DATABASE_URL) at the primary: the writer or cluster endpoint, not a reader endpoint or replica (now ${target})`;
  if (!f || f.recovery) return primary;
  if (f.default_read_only !== 'on') return `${primary}; or find what makes its transactions read-only`;
  const db = sqlIdent(f.db);
  const role = sqlIdent(f.role);
  if (f.source === 'user') return `migrate as a role that may write, or have a superuser run ALTER ROLE ${role} RESET default_transaction_read_only`;
  if (f.source === 'database user') return `have a superuser run ALTER ROLE ${role} IN DATABASE ${db} RESET default_transaction_read_only`;
  if (f.source === 'database')
    return `if the database is read-only on purpose (a migration freeze), lift it first: ALTER DATABASE ${db} RESET default_transaction_read_only (the database owner or a superuser), and set it again after`;
  return `turn default_transaction_read_only off where it is set (source: ${f.source ?? 'unknown'}: the server's configuration, or PGOPTIONS)`;
}
