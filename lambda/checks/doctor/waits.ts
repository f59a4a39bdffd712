/**
 * What a doctor read that ran out of time waited for. Doctor is run during an
 * incident, often while a migration holds a table: a read that waits past
 * lock_timeout or statement_timeout ends, and its rule (or batch) is a note
 * naming the sessions that held or queued for ACCESS EXCLUSIVE on a relation
 * of this database — the only lock mode a read's ACCESS SHARE waits for
 * (`schema/lock-holders.ts`, which catalog reads outside doctor name too).
 */
import { isConnectionLoss, sqlstateOf } from '../../engine/errors/errors';
import type { Queryable } from '../../engine/ports';
import { lockWait } from '../../schema/lock-holders';
import { LOCK_NOT_AVAILABLE, QUERY_CANCELED } from '../../engine/errors/sqlstate';

/** lock_timeout (55P03) or statement_timeout (57014): the read waited too long, the session is fine. */
export function isTimeout(e: unknown): boolean {
  const code = sqlstateOf(e);
  return (code === LOCK_NOT_AVAILABLE || code === QUERY_CANCELED) && !isConnectionLoss(e);
}

/**
 * Why the read ended, and when to try again, for a note: "waiting on a lock
 * held by pid … past lock_timeout (55P03); run doctor again once that
 * transaction ends", or the statement_timeout it ran past. The session must
 * be out of the failed transaction.
 */
export async function timedOut(q: Queryable, e: unknown): Promise<string> {
  if (sqlstateOf(e) === QUERY_CANCELED) return 'a query ran past statement_timeout (57014); the next run tries again';
  const held = await lockWait(q);
  return `waiting on ${held.text}, past lock_timeout (55P03); try again once ${held.migration ? 'the migration has committed' : 'that transaction ends'}`;
}
