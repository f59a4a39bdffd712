/**
 * How the runner lock is named in the database: the session-level advisory
 * lock's key and the lease row's table and name. The drivers take the lock
 * (`lambda/driver/pg/advisory-lock.ts`, `lambda/driver/data-api/lease-lock.ts`);
 * the guard only looks for it, so both read the names from here.
 */
import { createHash } from 'node:crypto';

/** The 64-bit advisory-lock key for a state schema (stable across versions of schemaguard). */
export function advisoryLockKey(stateSchema: string): string {
  return createHash('sha256').update(`schemaguard:${stateSchema}`).digest().readBigInt64BE(0).toString();
}

/**
 * The transaction-level advisory key that serialises creating (and removing)
 * schemaguard's own tables in a state schema: the lease table
 * (`lease-table.ts`) and the state table (`state.ts`). A runner backing off
 * from the other form of the runner lock removes the lease table and the
 * schema its lease created, while the lock's holder may be creating the state
 * table in that schema.
 */
export function stateDdlLockKey(stateSchema: string): string {
  return advisoryLockKey(`${stateSchema}:lease-ddl`);
}

/** The lease table, in the state schema. */
export const LEASE_TABLE = 'runner_lease';

/** The lease row the runner takes: one runner at a time per name. */
export const DEFAULT_LEASE_NAME = 'migrate';
