/**
 * One READ ONLY transaction of the guard (READ COMMITTED, so no snapshot is
 * held between statements) with a short lock_timeout and statement_timeout,
 * always rolled back. The guard runs its catalog checks in one; each contract
 * gets a transaction of its own with the same settings (`checkContracts`),
 * rolled back at once, which also releases the lock its planning took
 * (ROW EXCLUSIVE for an INSERT) — and keeps a contract's error to itself
 * where an error ends the transaction (the Data API).
 */
import type { Session } from '../../engine/ports';
import { IDLE_IN_TRANSACTION } from '../contracts/idle-in-transaction';

export interface PassSettings {
  /** lock_timeout for every statement of the pass. */
  lockTimeoutMs: number;
  /** statement_timeout for every statement of the pass. */
  statementTimeoutMs: number;
}

/**
 * Run `work` inside one READ ONLY transaction on `session`, then roll it
 * back. `work` gets `reopen`: after an error that ended the transaction
 * (`Session.errorEndsTransaction`, the Data API), it begins another with the
 * same settings, and the pass goes on there.
 */
export async function readOnlyPass<T>(session: Session, settings: PassSettings, work: (pass: Session, reopen: () => Promise<void>) => Promise<T>): Promise<T> {
  await session.begin(settings);
  try {
    await readOnly(session);
    return await work(session, () => reopenPass(session, settings));
  } finally {
    if (!session.broken) await session.rollback().catch(() => undefined);
  }
}

/** The pass's transaction again: the ended one forgotten (its rollback finds nothing to end), a new one begun READ ONLY. */
async function reopenPass(session: Session, settings: PassSettings): Promise<void> {
  await session.rollback().catch(() => undefined);
  await session.begin(settings);
  await readOnly(session);
}

async function readOnly(session: Session): Promise<void> {
  await session.query('SET TRANSACTION READ ONLY');
  await session.query(IDLE_IN_TRANSACTION);
}
