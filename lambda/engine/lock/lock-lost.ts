/**
 * What the runner does about a runner lock that was lost while it ran: a
 * lock-timeout retry that must not run its file again, and which files
 * committed before the loss (their answers went with the dropped
 * connection), read back from the state table.
 */
import { MigrationError } from '../errors/errors';
import type { Driver, MigrationLock, Session } from '../ports';
import type { Migration } from '../files/source';
import { stateTable } from '../state/state';

/**
 * Before a lock timeout's retry runs a file again: the lock is still held, and
 * the file is still not recorded (read again: a runner that took the lock
 * after this one lost it may have applied it meanwhile).
 */
export async function refuseRetry(session: Session, schema: string, lock: MigrationLock, m: Migration): Promise<void> {
  await lock.assertHeld();
  const r = await session.query<{ applied_by: string | null; applied_at: string }>(
    `SELECT applied_by, applied_at::text FROM ${stateTable(schema)} WHERE version = $1`,
    [m.version],
  );
  const row = r.rows[0];
  if (!row) return;
  throw new MigrationError(
    `${m.file} was applied meanwhile by another runner (${row.applied_by ? `applied_by ${row.applied_by}, ` : ''}at ${row.applied_at}) while this one waited to retry it after a lock timeout; it is not run again`,
    {
      file: m.file,
      version: m.version,
      fix: "nothing to do for this file. Two runners ran at once: this one's runner lock was lost (its connection ended); run again to apply what is left",
    },
  );
}

/** Which of `versions` the state table holds (with their execution time), read on a connection of its own; undefined when it cannot be read. */
export async function recordedOf(driver: Driver, schema: string, versions: number[]): Promise<Map<number, number> | undefined> {
  try {
    const s = await driver.connect();
    try {
      const r = await s.query<{ version: string; execution_ms: number }>(
        `SELECT version, execution_ms FROM ${stateTable(schema)} WHERE version = ANY($1::bigint[])`,
        [versions],
      );
      return new Map(r.rows.map((x) => [Number(x.version), Number(x.execution_ms)]));
    } finally {
      await s.close();
    }
  } catch {
    return undefined;
  }
}
