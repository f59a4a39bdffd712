/**
 * Is a migration running? The guard looks for the runner lock without taking
 * it or waiting for it: the session-level advisory lock in `pg_locks` (the pg
 * driver on a direct connection) and a live lease row (the Data API, and the
 * pg driver through a pooler). Both are plain reads: `pg_locks` takes no lock,
 * and a SELECT of the lease row never waits for the runner's row lock. An
 * advisory lock belongs to one database: only this database's holders count,
 * so a migration of another database on the same server skips nothing here.
 *
 * The table is looked up once, in pg_class (not `to_regclass`, which fails
 * with 42501 on a schema without USAGE and would end the pass); a table
 * dropped after that leaves an oid whose `has_table_privilege` is null: no lease.
 *
 * A runner that committed nothing drops the lease table
 * (`driver/data-api/lease-table.ts`), so a read queued behind that DROP fails
 * with `relation does not exist`: the read throws `LeaseTableGoneError` and
 * the guard runs its pass again in a new transaction (`checks/guard/index.ts`),
 * since the failed read aborted this one (through the Data API, ended it).
 *
 * In the engine, not beside the guard: `status` (the deploy's smaller CLI
 * bundle, which loads no checks) says too that a migration is running.
 */
import { MigrationError, sqlstateOf } from '../errors/errors';
import type { Queryable } from '../ports';
import { advisoryLockKey, DEFAULT_LEASE_NAME, LEASE_TABLE } from '../state/runner-lock-names';
import { quoteIdent } from '../state/identifiers';
import { DOCS_POINTERS } from '../errors/docs-pointers';
import { INVALID_SCHEMA_NAME, UNDEFINED_TABLE } from '../errors/sqlstate';

const LOOK_SQL = `
SELECT ARRAY(SELECT l.pid FROM pg_locks l
              WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1
                AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
                AND ((l.classid::bigint << 32) | l.objid::bigint) = $1::bigint
                AND l.pid IS DISTINCT FROM pg_backend_pid()
              ORDER BY l.pid) AS pids,
       t.oid IS NOT NULL AS lease_table,
       CASE WHEN has_table_privilege(t.oid, 'SELECT') IS NULL THEN NULL
            ELSE has_table_privilege(t.oid, 'SELECT') AND coalesce(has_schema_privilege(t.relnamespace, 'USAGE'), false) END AS can_read,
       current_user::text AS role
  FROM (SELECT 1) one
  LEFT JOIN LATERAL (SELECT c.oid, c.relnamespace FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                      WHERE n.nspname = $2::text AND c.relname = $3::text) t ON true`;

/** The lease table was dropped while the guard read it: no migration holds a lease. */
export class LeaseTableGoneError extends MigrationError {
  constructor(cause: unknown) {
    super('the runner lease table was dropped while the guard read it', { cause, sqlstate: sqlstateOf(cause) });
    this.name = 'LeaseTableGoneError';
  }
}

/** `can_read` is null when the table's oid names nothing any more: it was dropped after the look-up found it. */
interface LookRow {
  pids: number[] | string;
  lease_table: boolean;
  can_read: boolean | null;
  role: string;
}
interface LeaseRow {
  owner: string;
  expires_in_s: number | string;
}

/**
 * Why the guard must skip (a migration holds the runner lock), or undefined
 * when none runs. A lease table the role may not read is an error, unless
 * `unreadableLease` is `'pass'`: then only the advisory lock is looked at
 * (the pass reports the missing grant as a finding of its own).
 */
export async function runningMigration(q: Queryable, stateSchema: string, unreadableLease: 'error' | 'pass' = 'error'): Promise<string | undefined> {
  const look = (await q.query<LookRow>(LOOK_SQL, [advisoryLockKey(stateSchema), stateSchema, LEASE_TABLE])).rows[0];
  const pids = typeof look.pids === 'string' ? look.pids.replace(/[{}]/g, '').split(',').filter(Boolean).map(Number) : look.pids;
  if (pids.length) {
    return `a migration is running: server process ${pids.join(', ')} holds the runner lock (advisory lock ${advisoryLockKey(stateSchema)})`;
  }
  // Dropped between the look-up and the privilege check (has_table_privilege of a gone oid is null): no lease table, no lease.
  if (!look.lease_table || look.can_read === null) return undefined;
  if (!look.can_read) {
    if (unreadableLease === 'pass') return undefined;
    throw new MigrationError(`the guard cannot tell whether a migration is running: role ${look.role} may not read ${stateSchema}.${LEASE_TABLE}`, {
      fix: `GRANT SELECT ON ${quoteIdent(stateSchema)}.${LEASE_TABLE} TO ${quoteIdent(look.role)}; (${DOCS_POINTERS.roleToGrant})`,
    });
  }
  const lease = await liveLease(q, stateSchema);
  return lease ? `a migration is running: ${lease.owner} holds the runner lease (expires in ${lease.expires_in_s} s unless renewed)` : undefined;
}

async function liveLease(q: Queryable, stateSchema: string): Promise<LeaseRow | undefined> {
  try {
    return (
      await q.query<LeaseRow>(
        `SELECT owner, ceil(extract(epoch FROM expires_at - clock_timestamp()))::int AS expires_in_s
         FROM ${quoteIdent(stateSchema)}.${quoteIdent(LEASE_TABLE)} WHERE name = $1 AND expires_at > clock_timestamp()`,
        [DEFAULT_LEASE_NAME],
      )
    ).rows[0];
  } catch (e) {
    // 42P01: the table went; 3F000: its schema too (a runner that created both removes both).
    const code = sqlstateOf(e);
    throw code === UNDEFINED_TABLE || code === INVALID_SCHEMA_NAME ? new LeaseTableGoneError(e) : e;
  }
}
