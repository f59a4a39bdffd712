/**
 * Writing the state without running migrations (`baseline`, `repair`): the
 * same runner lock `migrate` takes (`Driver.createLock`, so the advisory lock
 * or the lease that fits the driver), the state read only once the lock is
 * held, and every write in one transaction whose commit is the last thing
 * done under the lock.
 */
import { DEFAULT_LOCK_WAIT_MS } from '../defaults';
import type { Blocker } from '../errors/errors';
import { validateSchemaName } from './identifiers';
import type { Driver, Session } from '../ports';
import { DEFAULT_STATE_SCHEMA, readApplied, type AppliedMigration } from './state';

export interface StateWriteOptions {
  driver: Driver;
  /** @default 'schemaguard' */
  stateSchema?: string;
  /** Who writes: recorded with the rows and by the lock. */
  actor: string;
  /** How long to wait for another runner's lock. @default 60000 */
  lockWaitMs?: number;
  /** Called once when the lock is busy, with its holders. */
  onLockWait?: (holders: Blocker[]) => void;
}

/** What a state write sees once the lock is held. */
export interface LockedState {
  session: Session;
  schema: string;
  applied: AppliedMigration[];
  /** Run `write` in one transaction (short lock_timeout), committed only while the runner lock is still held. */
  transaction(write: (session: Session) => Promise<void>): Promise<void>;
}

/** Lock timeout for the state writes: they touch schemaguard's own tables only. */
const STATE_LOCK_TIMEOUT_MS = 5000;

export async function withLockedState<T>(options: StateWriteOptions, work: (state: LockedState) => Promise<T>): Promise<T> {
  const schema = validateSchemaName(options.stateSchema ?? DEFAULT_STATE_SCHEMA);
  const lock = options.driver.createLock({ stateSchema: schema, owner: options.actor });
  let session: Session | undefined;
  try {
    await lock.acquire(options.lockWaitMs ?? DEFAULT_LOCK_WAIT_MS, options.onLockWait);
    const s = (session = await options.driver.connect());
    const applied = await readApplied(s, schema);
    const transaction = async (write: (q: Session) => Promise<void>): Promise<void> => {
      await s.begin({ lockTimeoutMs: STATE_LOCK_TIMEOUT_MS, statementTimeoutMs: 0 });
      try {
        await write(s);
        // A lease fences the commit itself; asking it here would wait, through a pool of one server connection, for this COMMIT.
        if (!lock.fencesCommits) await lock.assertHeld();
        await s.commit();
      } catch (e) {
        if (!s.broken) await s.rollback().catch(() => undefined);
        throw e;
      }
    };
    return await work({ session: s, schema, applied, transaction });
  } finally {
    if (session) await session.close();
    await lock.release();
  }
}
