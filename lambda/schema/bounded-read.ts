/**
 * Catalog reads with a bounded wait. A read that prints a default, an index,
 * a constraint or a view (`pg_get_expr`, `pg_get_indexdef`, …) opens that
 * table and waits behind a migration's ACCESS EXCLUSIVE on it until the
 * migration commits (`lock-holders.ts`): `diff`, `lint --database-url` and
 * `plan` waited as long as the migration ran, with nothing said. Each now
 * reads in a transaction of its own with doctor's lock_timeout (1 s), rolled
 * back after, and a read that waited past it is an error naming the session
 * that holds the lock. A read in its caller's transaction (doctor's rule,
 * the guard's pass) is bounded by that transaction's settings.
 */
import { databaseFields, isConnectionLoss, MigrationError, sqlstateOf } from '../engine/errors/errors';
import type { Session, TransactionSettings } from '../engine/ports';
import { lockWait } from './lock-holders';
import { LOCK_NOT_AVAILABLE, QUERY_CANCELED } from '../engine/errors/sqlstate';

/** The catalog read's transaction: doctor's lock_timeout (`RULE_SETTINGS`), and a minute for the read itself. */
export const CATALOG_READ_SETTINGS: TransactionSettings = { lockTimeoutMs: 1000, statementTimeoutMs: 60_000 };

/** A catalog read that waited past its lock_timeout or statement_timeout: the message names who held the lock. */
export class CatalogReadTimeoutError extends MigrationError {
  /** A lock timeout's (55P03) holder, as the message names it: "a lock held (ACCESS EXCLUSIVE) by pid 4242 (…) on public.t". */
  readonly holder?: string;

  constructor(message: string, options: ConstructorParameters<typeof MigrationError>[1] & { holder?: string }) {
    super(message, options);
    this.name = 'CatalogReadTimeoutError';
    this.holder = options?.holder;
  }
}

/**
 * `work` (catalog reads on `session`, which has no transaction open) in a
 * transaction of its own with {@link CATALOG_READ_SETTINGS}, rolled back
 * after (a setting `work` made goes with it). `what` names the read in the
 * error: "the live schema could not be read: waiting on a lock held
 * (ACCESS EXCLUSIVE) by pid 4242 (…: ALTER TABLE …) on public.t, past
 * lock_timeout 1 s (55P03)".
 */
export async function boundedCatalogRead<T>(session: Session, what: string, work: () => Promise<T>): Promise<T> {
  await session.begin(CATALOG_READ_SETTINGS);
  let failed: unknown;
  try {
    return await work();
  } catch (e) {
    failed = e;
  } finally {
    if (!session.broken) await session.rollback().catch(() => undefined);
  }
  throw await readTimeoutError(session, what, failed);
}

/** A lock or statement timeout as {@link CatalogReadTimeoutError}; any other error as it was. */
async function readTimeoutError(session: Session, what: string, e: unknown): Promise<unknown> {
  const code = sqlstateOf(e);
  if ((code !== LOCK_NOT_AVAILABLE && code !== QUERY_CANCELED) || isConnectionLoss(e) || session.broken) return e;
  const fields = { ...databaseFields(e), cause: e };
  if (code === QUERY_CANCELED) {
    return new CatalogReadTimeoutError(
      `${what} could not be read: a query ran past statement_timeout ${CATALOG_READ_SETTINGS.statementTimeoutMs / 1000} s (57014)`,
      {
        ...fields,
        fix: 'run it again when the server is less busy; a catalog this big reads faster over a direct connection',
      },
    );
  }
  const held = await lockWait(session);
  return new CatalogReadTimeoutError(
    `${what} could not be read: waiting on ${held.text}, past lock_timeout ${CATALOG_READ_SETTINGS.lockTimeoutMs / 1000} s (55P03)`,
    {
      ...fields,
      holder: held.text,
      fix:
        `run it again ${held.migration ? 'once the migration has committed (schemaguard status shows it applied)' : 'once that transaction ends (a migration holds its tables until it commits)'}; ` +
        'the catalog is read through pg_get_expr, pg_get_indexdef, pg_get_constraintdef and (plan) pg_relation_size, which wait for such a lock',
    },
  );
}
