/**
 * Seeing the runner lock's other form. The runner lock has two forms — the
 * session-level advisory lock (`pg/advisory-lock.ts`, a direct connection)
 * and the lease row (`data-api/lease-lock.ts`, the Data API and the pg driver
 * through a pooler) — and neither excludes the other by itself: a deploy
 * through the Data API and an operator's direct `migrate` would both run.
 *
 * So each runner takes its own form first and then looks for the other, and
 * backs off (releases what it took, and waits as for a busy lock) when it
 * sees it: the advisory runner reads the lease table for a live lease
 * (`otherLeases`), the lease runner reads pg_locks for the advisory key
 * (`lockHolders`; pg_locks and the pid, user and application of
 * pg_stat_activity are readable by any role). Each looks only after its own
 * form is visible to the other — the session lock is in the shared lock table
 * once granted, the lease row is committed before pg_locks is read — so of
 * two runners racing, at least one sees the other; when both do, both back
 * off and try again after a jittered sleep (`lock-poll.ts`).
 *
 * The lease table has no owner of its own here (both drivers' modules read
 * it): its name and the holder's description live in this module, which
 * imports neither lock, so neither lock's module imports the other's.
 */
import { MigrationError, sqlstateOf, type Blocker } from '../engine/errors/errors';
import { quoteIdent } from '../engine/state/identifiers';
import type { Queryable } from '../engine/ports';
import { DEFAULT_LEASE_NAME, LEASE_TABLE } from '../engine/state/runner-lock-names';
import { INSUFFICIENT_PRIVILEGE, INVALID_SCHEMA_NAME, UNDEFINED_TABLE } from '../engine/errors/sqlstate';

/** A lease row as the waiting runners read it. */
export interface LeaseHolderRow {
  holder: string;
  owner: string;
  held_for_s: number | string;
  expires_in_ms: number | string;
}

function table(schema: string): string {
  return `${quoteIdent(schema)}.${quoteIdent(LEASE_TABLE)}`;
}

/** Lease holders have no server process; `pid` is 0 and the holder is named in `application`/`state`. */
export function leaseBlocker(h: LeaseHolderRow): Blocker {
  return {
    pid: 0,
    application: h.owner,
    state: `lease ${h.holder}, expires in ${Math.ceil(Number(h.expires_in_ms) / 1000)} s unless renewed`,
    heldForSeconds: Number(h.held_for_s),
  };
}

/**
 * Whether the lease table exists. `otherLeases` asks when given no answer;
 * the advisory lock sends it right behind the statement that takes the lock
 * (`AdvisoryLock.tryTake`): a statement of its own, run after that one, so it
 * sees a lease table committed before the lock was granted.
 */
export function leaseTableExists(q: Queryable, schema: string): Promise<boolean> {
  return q.query<{ t: string | null }>('SELECT to_regclass($1)::text AS t', [table(schema)]).then((r) => !!r.rows[0]?.t);
}

/**
 * The live (unexpired) leases on the runner lock, for a runner that holds the
 * advisory lock: [] when there is no lease table. An expired lease is taken
 * over as a lease runner would take it: its row is deleted, so the stalled
 * runner that held it fails its next renewal or commit fence instead of
 * committing beside this one (a renewal can be late without its runner
 * having died: expiry alone does not stop it). Reading needs SELECT on the
 * table, a takeover DELETE; without them the run refuses before anything runs.
 * `exists`: whether the lease table exists, when already asked.
 */
export async function otherLeases(q: Queryable, schema: string, exists: Promise<boolean> = leaseTableExists(q, schema)): Promise<Blocker[]> {
  try {
    if (!(await exists)) return [];
    const r = await q.query<LeaseHolderRow & { expired: boolean }>(
      `SELECT holder, owner, floor(extract(epoch FROM clock_timestamp() - acquired_at))::int AS held_for_s,
              greatest(0, floor(extract(epoch FROM expires_at - clock_timestamp()) * 1000))::bigint AS expires_in_ms,
              expires_at <= clock_timestamp() AS expired
         FROM ${table(schema)} WHERE name = $1`,
      [DEFAULT_LEASE_NAME],
    );
    if (r.rows.some((x) => x.expired)) {
      await q.query(`DELETE FROM ${table(schema)} WHERE name = $1 AND expires_at <= clock_timestamp()`, [DEFAULT_LEASE_NAME]);
    }
    return r.rows.filter((x) => !x.expired).map(leaseBlocker);
  } catch (e) {
    // Removed since to_regclass saw it, by a lease runner whose own row was the only one there (it backed off): no lease.
    if (sqlstateOf(e) === UNDEFINED_TABLE || sqlstateOf(e) === INVALID_SCHEMA_NAME) return [];
    if (sqlstateOf(e) !== INSUFFICIENT_PRIVILEGE) throw e;
    const role = quoteIdent((await q.query<{ r: string }>('SELECT current_user AS r')).rows[0].r);
    throw new MigrationError(
      `the runner lock's other form, a lease in ${table(schema)} (taken through the RDS Data API or a connection pooler), cannot be checked: ${e instanceof Error ? e.message : String(e)}; nothing was run`,
      {
        cause: e,
        sqlstate: INSUFFICIENT_PRIVILEGE,
        fix: `have the table's owner run: GRANT USAGE ON SCHEMA ${quoteIdent(schema)} TO ${role}; GRANT SELECT, DELETE ON ${table(schema)} TO ${role} (a direct migrate checks that no runner holds the lease, and takes an expired one over)`,
      },
    );
  }
}
