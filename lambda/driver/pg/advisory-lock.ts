/**
 * Session-level advisory lock on a dedicated connection. The lock lives as long
 * as that session: released in `finally` by `release()`, and by PostgreSQL when
 * the connection drops (a killed runner never leaves it behind).
 */
import { createHash } from 'node:crypto';
import { LockWaitTimeoutError, MigrationError, sqlstateOf, type Blocker } from '../../engine/errors';
import type { Driver, MigrationLock, Session } from '../../engine/ports';

/** The 64-bit advisory-lock key for a state schema (stable across versions of schemaguard). */
export function advisoryLockKey(stateSchema: string): string {
  return createHash('sha256').update(`schemaguard:${stateSchema}`).digest().readBigInt64BE(0).toString();
}

const HOLDERS_SQL = `
SELECT a.pid, a.usename AS user, a.application_name AS application, a.state,
       left(a.query, 300) AS query,
       floor(extract(epoch FROM now() - a.backend_start))::int AS xact_age_seconds
  FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
 WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1
   AND ((l.classid::bigint << 32) | l.objid::bigint) = $1::bigint
   AND a.pid <> pg_backend_pid()`;

export async function lockHolders(q: { query: Session['query'] }, key: string): Promise<Blocker[]> {
  const r = await q.query<{ pid: number; user: string; application: string; state: string; query: string; xact_age_seconds: number }>(HOLDERS_SQL, [key]);
  return r.rows.map((x) => ({
    pid: x.pid, user: x.user, application: x.application, state: x.state, query: x.query, xactAgeSeconds: x.xact_age_seconds,
  }));
}

export class AdvisoryLock implements MigrationLock {
  private session?: Session;
  private held = false;
  readonly key: string;

  constructor(private readonly driver: Driver, stateSchema: string) {
    this.key = advisoryLockKey(stateSchema);
  }

  get monitor(): Session | undefined {
    return this.held ? this.session : undefined;
  }

  async acquire(waitMs: number, onWait?: (holders: Blocker[]) => void): Promise<void> {
    this.session = await this.driver.connect();
    const s = this.session;
    const tried = await s.query<{ ok: boolean }>('SELECT pg_try_advisory_lock($1::bigint) AS ok', [this.key]);
    if (tried.rows[0]?.ok) {
      this.held = true;
      return;
    }
    const holders = await lockHolders(s, this.key);
    onWait?.(holders);
    if (waitMs <= 0) throw this.waitError(waitMs, holders);
    // Wait in the server, not in a polling loop: lock_timeout bounds it.
    await s.query(`SET lock_timeout = ${Math.max(1, Math.floor(waitMs))}`);
    try {
      await s.query('SELECT pg_advisory_lock($1::bigint)', [this.key]);
      this.held = true;
    } catch (e) {
      if (sqlstateOf(e) === '55P03') throw this.waitError(waitMs, await lockHolders(s, this.key).catch(() => holders), e);
      throw e;
    } finally {
      if (!s.broken) await s.query('SET lock_timeout = 0').catch(() => undefined);
    }
  }

  private waitError(waitMs: number, holders: Blocker[], cause?: unknown): LockWaitTimeoutError {
    const who = holders.length
      ? holders.map((h) => `pid ${h.pid}${h.application ? ` (${h.application})` : ''}`).join(', ')
      : 'another session';
    return new LockWaitTimeoutError(
      `another migration runner holds the lock: ${who}; waited ${waitMs} ms`,
      { holders, cause, fix: 'wait for it to finish, raise --lock-wait, or end the holder with pg_terminate_backend(pid) if it is stuck' },
    );
  }

  assertHeld(): void {
    if (!this.held || !this.session || this.session.broken) {
      throw new MigrationError('lost the migration lock: its connection closed; stopping before the next migration', {
        fix: 'run again: every migration that committed is recorded, the others will be applied by the next run',
      });
    }
  }

  async release(): Promise<void> {
    const s = this.session;
    this.session = undefined;
    if (!s) return;
    try {
      if (this.held && !s.broken) await s.query('SELECT pg_advisory_unlock($1::bigint)', [this.key]);
    } catch {
      // The lock goes with the session below either way.
    } finally {
      this.held = false;
      await s.close();
    }
  }
}
