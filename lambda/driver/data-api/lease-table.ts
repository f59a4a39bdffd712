/**
 * The lease's table (`<state schema>.runner_lease`): created by the first
 * runner that takes a lease on a database, with that runner's lease row in
 * the same transaction, and removed again by that runner when its run
 * committed nothing — a run refused for its input (a bad pending file, a
 * changed applied one, a no-transaction file through a pooler) leaves the
 * database exactly as it was, as it does under the advisory lock. The row
 * being there from the start is what makes the removal safe: while the table
 * holds only that row, still the creator's, no other runner has held a lease
 * in it.
 *
 * Creating and removing are serialised with `pg_try_advisory_xact_lock` on one
 * key, which works without a session; a runner that finds it taken sleeps
 * with no transaction open and looks again (IF NOT EXISTS alone races in the
 * catalog). A runner that was waiting for the lease when its holder removed
 * the table meets `relation does not exist` and creates it again
 * (`isLeaseTableGone`).
 */
import { sqlstateOf } from '../../engine/errors/errors';
import { quoteIdent } from '../../engine/state/identifiers';
import type { Queryable, Session } from '../../engine/ports';
import { LEASE_TABLE, stateDdlLockKey } from '../../engine/state/runner-lock-names';
import { sleep } from '../../engine/runtime/sleep';
import { pollDelay } from '../lock-poll';
import { lockHolders } from '../pg/advisory-lock';
import { DUPLICATE_OBJECT, DUPLICATE_SCHEMA, DUPLICATE_TABLE, INVALID_SCHEMA_NAME, UNDEFINED_TABLE, UNIQUE_VIOLATION } from '../../engine/errors/sqlstate';

/** What a runner created when it found no lease table: removed on release when its run committed nothing. */
export interface LeaseTableCreation {
  /** The state schema did not exist either. */
  schema: boolean;
}

/** The lease row a runner holds, kept when the table cannot go. */
export interface LeaseRowKey {
  name: string;
  holder: string;
}

export function leaseTable(schema: string): string {
  return `${quoteIdent(schema)}.${quoteIdent(LEASE_TABLE)}`;
}

/**
 * The table's DDL; with `createSchema` false no CREATE SCHEMA: PostgreSQL
 * checks CREATE on the database before IF NOT EXISTS, so a role given a
 * schema made for it by an administrator would be refused (42501).
 */
export function leaseDdl(schema: string, createSchema = true): string[] {
  return [
    ...(createSchema ? [`CREATE SCHEMA IF NOT EXISTS ${quoteIdent(schema)}`] : []),
    `CREATE TABLE IF NOT EXISTS ${leaseTable(schema)} (
  name        text        PRIMARY KEY,
  holder      text        NOT NULL,
  owner       text        NOT NULL,
  acquired_at timestamptz NOT NULL,
  renewed_at  timestamptz NOT NULL,
  expires_at  timestamptz NOT NULL
)`,
    `COMMENT ON TABLE ${leaseTable(schema)} IS 'schemaguard: the migration runner lease (one runner at a time; expires unless renewed)'`,
  ];
}

/** The table (or its schema) is not there: its creator removed it while this runner waited. */
export function isLeaseTableGone(e: unknown): boolean {
  const code = sqlstateOf(e);
  return code === UNDEFINED_TABLE || code === INVALID_SCHEMA_NAME;
}

function ddlKey(schema: string): string {
  return stateDdlLockKey(schema);
}

/**
 * Make sure the table exists. When this call creates it, `take` (the lease
 * row's insert) runs in the same transaction, and what was created is
 * returned: the lease is then this runner's. Undefined when the table was
 * there: the caller takes the lease as usual.
 */
export async function ensureLeaseTable(s: Session, schema: string, take: (q: Queryable) => Promise<unknown>): Promise<LeaseTableCreation | undefined> {
  for (let attempt = 0; ; attempt++) {
    const exists = await s.query<{ t: string | null }>('SELECT to_regclass($1)::text AS t', [leaseTable(schema)]);
    if (exists.rows[0]?.t) return undefined;
    // Another runner creating (or removing) it holds the DDL lock: wait outside any transaction, then look again.
    if ((await lockHolders(s, ddlKey(schema))).length === 0) {
      const created = await createLeaseTable(s, schema, take);
      if (created !== false) return created;
    }
    await sleep(pollDelay(attempt));
  }
}

/**
 * Create the table under the transaction-level DDL lock, and take the lease
 * in it. False when another runner holds that lock: the caller sleeps with
 * no transaction open.
 */
async function createLeaseTable(s: Session, schema: string, take: (q: Queryable) => Promise<unknown>): Promise<LeaseTableCreation | undefined | false> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await underDdlLock(s, schema, async () => {
        // Looked at again under the lock: a runner that held it a moment ago may have created the table.
        const before = (
          await s.query<{ table: boolean; schema: boolean }>(
            'SELECT to_regclass($1) IS NOT NULL AS table, EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = $2) AS schema',
            [leaseTable(schema), schema],
          )
        ).rows[0];
        if (before.table) return undefined;
        for (const stmt of leaseDdl(schema, !before.schema)) await s.query(stmt);
        await take(s);
        return { schema: !before.schema };
      });
    } catch (e) {
      // A duplicate in the catalog all the same (another tool creating the schema): try again.
      const code = sqlstateOf(e);
      if (attempt < 5 && (code === UNIQUE_VIOLATION || code === DUPLICATE_SCHEMA || code === DUPLICATE_TABLE || code === DUPLICATE_OBJECT)) continue;
      throw e;
    }
  }
}

/**
 * Remove the table this runner created (and the schema, when it created that
 * and nothing else is in it), in one transaction, when the table holds only
 * the runner's own row: nobody else has held a lease in it (a runner that
 * took the lease over changed the row, and deleted it on release). Leaves the
 * table (false) otherwise, or when a lock on it is not had within a second —
 * another runner reading it in a long transaction; the caller then deletes
 * its row as usual.
 */
export async function removeLeaseTable(s: Session, schema: string, created: LeaseTableCreation, own: LeaseRowKey): Promise<boolean> {
  try {
    const removed = await underDdlLock(
      s,
      schema,
      async () => {
        await s.query(`LOCK TABLE ${leaseTable(schema)} IN ACCESS EXCLUSIVE MODE`);
        const rows = (
          await s.query<{ own: number | string; all: number | string }>(
            `SELECT count(*) FILTER (WHERE name = $1 AND holder = $2) AS own, count(*) AS all FROM ${leaseTable(schema)}`,
            [own.name, own.holder],
          )
        ).rows[0];
        if (Number(rows?.own) !== 1 || Number(rows?.all) !== 1) return false;
        await s.query(`DROP TABLE ${leaseTable(schema)}`);
        if (created.schema && (await schemaIsEmpty(s, schema))) await s.query(`DROP SCHEMA ${quoteIdent(schema)}`);
        return true;
      },
      1000,
    );
    return removed === true;
  } catch {
    return false;
  }
}

/** Nothing else depends on the schema (every object in a schema depends on it in pg_depend). */
async function schemaIsEmpty(s: Session, schema: string): Promise<boolean> {
  const r = await s.query<{ empty: boolean }>(
    `SELECT NOT EXISTS (SELECT 1 FROM pg_depend
                         WHERE refclassid = 'pg_namespace'::regclass
                           AND refobjid = (SELECT oid FROM pg_namespace WHERE nspname = $1)) AS empty`,
    [schema],
  );
  return r.rows[0]?.empty === true;
}

/**
 * `work` in a transaction holding the DDL lock, committed when it returns
 * anything but false; false without running it when another runner holds
 * the lock. Rolled back when `work` returns false or throws.
 */
async function underDdlLock<T>(s: Session, schema: string, work: () => Promise<T | false>, lockTimeoutMs = 0): Promise<T | false> {
  await s.begin({ lockTimeoutMs, statementTimeoutMs: 0 });
  try {
    const r = await s.query<{ ok: boolean }>('SELECT pg_try_advisory_xact_lock($1::bigint) AS ok', [ddlKey(schema)]);
    const result = r.rows[0]?.ok ? await work() : false;
    if (result === false) await s.rollback();
    else await s.commit();
    return result;
  } catch (e) {
    if (!s.broken) await s.rollback().catch(() => undefined);
    throw e;
  }
}
