/**
 * The lock-timeout retry executor that every apply path runs its attempts in
 * (a transactional file, a statement of a no-transaction file, files in
 * flight together). Each attempt gets a BlockerWatcher that samples who
 * blocks the session while it waits (the attempt starts and pauses it around
 * what may wait); a failed attempt is undone by the path's own `undo` (a
 * rollback and reset, or nothing outside a transaction). A lock timeout
 * (55P03) on a live session is retried after a backoff that doubles with
 * jitter; once `lockRetries` are spent it gives up with a LockTimeoutError
 * naming the last blockers seen, and under a deadline it stops when the
 * backoff would end past it. Any other error is thrown as it is.
 */
import { lockTimeoutError, outOfTimeError, wrapUnknown } from './apply-errors';
import { BlockerWatcher, carriedBlockers } from '../lock/blockers';
import { MigrationError, type Blocker } from '../errors/errors';
import type { Queryable, Session } from '../ports';
import { sleep } from '../runtime/sleep';
import type { Migration } from '../files/source';
import { LOCK_NOT_AVAILABLE } from '../errors/sqlstate';

/** How retries go: the part of `ApplySettings` the executor reads. */
export interface LockRetryPolicy {
  /** How many times a lock timeout is retried before giving up. */
  lockRetries: number;
  /** First backoff delay; doubles each retry (with jitter). */
  retryDelayMs: number;
  /** A second connection for sampling blockers, if there is one. */
  monitor?: Queryable;
  /** Epoch ms after which no retry starts. @default - no deadline */
  endsAt?: number;
  onRetry?: (attempt: number, delayMs: number, blockers: Blocker[], error: MigrationError) => void;
  /** After the backoff, before the next attempt: throws when the file must not run again. */
  beforeRetry?: (m: Migration) => Promise<void>;
}

export interface LockRetryRun<T> {
  /** The applying session: its pid is watched, and a broken one is never retried on. */
  session: Pick<Session, 'pid' | 'broken'>;
  m: Migration;
  policy: LockRetryPolicy;
  /** The attempts' lock_timeout: how often the watcher samples, and what the final error says. */
  lockTimeoutMs: number;
  /** One attempt (`n` from 1). */
  attempt: (watcher: BlockerWatcher, n: number) => Promise<T>;
  /** Undoes a failed attempt, before the decision. */
  undo: (e: unknown) => Promise<void>;
  /**
   * The error to throw (`lockTimeout` false) or to retry and give up with
   * (true), where the path names it otherwise than the attempt's own.
   * @default - the attempt's error as a MigrationError
   */
  errorOf?: (e: unknown, err: MigrationError, lockTimeout: boolean) => MigrationError;
}

/** What follows a failed attempt. */
export type LockRetryDecision = { action: 'throw' } | { action: 'give-up' } | { action: 'out-of-time'; delayMs: number } | { action: 'retry'; delayMs: number };

/** The wait before retry `attempt` (from 1): `baseMs` doubled each time up to 10 s, the upper half of it at random. */
export function backoffMs(attempt: number, baseMs: number, random: () => number = Math.random): number {
  const exp = Math.min(baseMs * 2 ** (attempt - 1), 10_000);
  return Math.round(exp / 2 + random() * (exp / 2));
}

/** Whether a failed attempt is retried: a lock timeout on a session still alive, with retries and time left. */
export function decideLockRetry(
  err: MigrationError,
  broken: boolean,
  attempt: number,
  policy: Pick<LockRetryPolicy, 'lockRetries' | 'retryDelayMs' | 'endsAt'>,
  now = Date.now(),
  random: () => number = Math.random,
): LockRetryDecision {
  if (err.sqlstate !== LOCK_NOT_AVAILABLE || broken) return { action: 'throw' };
  if (attempt > policy.lockRetries) return { action: 'give-up' };
  const delayMs = backoffMs(attempt, policy.retryDelayMs, random);
  if (policy.endsAt !== undefined && now + delayMs >= policy.endsAt) return { action: 'out-of-time', delayMs };
  return { action: 'retry', delayMs };
}

/** Runs `run.attempt` until it succeeds or a failure is not retried; returns its value and how many attempts it took. */
export async function retryLockTimeouts<T>(run: LockRetryRun<T>): Promise<{ value: T; attempts: number }> {
  const { session, m, policy } = run;
  let lastBlockers: Blocker[] = [];
  for (let attempt = 1; ; attempt++) {
    const watcher = new BlockerWatcher(policy.monitor, () => session.pid, run.lockTimeoutMs);
    try {
      return { value: await run.attempt(watcher, attempt), attempts: attempt };
    } catch (e) {
      await run.undo(e);
      watcher.pause();
      const seen = watcher.blockers.length ? watcher.blockers : carriedBlockers(e);
      if (seen.length) lastBlockers = seen;
      const own = e instanceof MigrationError ? e : wrapUnknown(m, e);
      const decision = decideLockRetry(own, session.broken === true, attempt, policy);
      const err = run.errorOf?.(e, own, decision.action !== 'throw') ?? own;
      await afterFailure(run, decision, err, attempt, lastBlockers);
    } finally {
      watcher.pause();
    }
  }
}

/** Throws the error the decision gives, or reports the retry, waits its backoff and asks `beforeRetry`. */
async function afterFailure<T>(run: LockRetryRun<T>, decision: LockRetryDecision, err: MigrationError, attempt: number, blockers: Blocker[]): Promise<void> {
  const { m, policy } = run;
  switch (decision.action) {
    case 'throw':
      throw err;
    case 'give-up':
      throw lockTimeoutError(m, err, attempt, blockers, run.lockTimeoutMs);
    case 'out-of-time':
      throw outOfTimeError(m, err.line, `${err.message.replace(/^[^:]*:\d+: /, '')}, and no time is left before the deadline for another attempt`, err);
    case 'retry':
      policy.onRetry?.(attempt, decision.delayMs, blockers, err);
      await sleep(decision.delayMs);
      await policy.beforeRetry?.(m);
  }
}
