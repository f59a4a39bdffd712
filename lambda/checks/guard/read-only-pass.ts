/**
 * The guard's one pass: a single READ ONLY transaction (READ COMMITTED, so no
 * snapshot is held between statements) with a short lock_timeout and
 * statement_timeout, always rolled back. The checks it calls run their own
 * transactions on a Session (the contracts); inside the pass they get a
 * `SavepointSession`, whose transactions are savepoints: rolling one back
 * also releases the locks its statements took (planning an INSERT takes
 * ROW EXCLUSIVE on its table), so no lock outlives the contract that took it.
 */
import type { QueryResult, Session, TransactionSettings } from '../../engine/ports';

export interface PassSettings {
  /** lock_timeout for every statement of the pass. */
  lockTimeoutMs: number;
  /** statement_timeout for every statement of the pass. */
  statementTimeoutMs: number;
}

/** Run `work` inside one READ ONLY transaction on `session`, then roll it back. */
export async function readOnlyPass<T>(session: Session, settings: PassSettings, work: (pass: Session) => Promise<T>): Promise<T> {
  await session.begin(settings);
  try {
    await session.query('SET TRANSACTION READ ONLY');
    return await work(new SavepointSession(session));
  } finally {
    if (!session.broken) await session.rollback().catch(() => undefined);
  }
}

const SAVEPOINT = 'schemaguard_guard';

/**
 * A Session whose transactions are savepoints of the pass. `begin`'s settings
 * are not applied: the pass's own (shorter) timeouts hold for every statement.
 */
export class SavepointSession implements Session {
  constructor(private readonly outer: Session) {}

  get pid(): number | undefined {
    return this.outer.pid;
  }

  get broken(): boolean {
    return this.outer.broken;
  }

  query<R = Record<string, unknown>>(sql: string, params?: readonly unknown[]): Promise<QueryResult<R>> {
    return this.outer.query<R>(sql, params);
  }

  async begin(_settings: TransactionSettings): Promise<void> {
    await this.outer.query(`SAVEPOINT ${SAVEPOINT}`);
  }

  async commit(): Promise<void> {
    await this.outer.query(`RELEASE SAVEPOINT ${SAVEPOINT}`);
  }

  async rollback(): Promise<void> {
    await this.outer.query(`ROLLBACK TO SAVEPOINT ${SAVEPOINT}`);
    await this.outer.query(`RELEASE SAVEPOINT ${SAVEPOINT}`);
  }

  async setTimeouts(): Promise<void> {
    throw new Error('the guard\'s pass runs in one transaction: session-level timeouts are not available inside it');
  }

  /** The pass owns the connection. */
  async close(): Promise<void> {}
}
