/**
 * Another runner holds the migration lock (another deploy of the same
 * database, or a `schemaguard migrate`). An invocation waits for it only
 * `SCHEMAGUARD_LOCK_WAIT_MS` (and never into its reserve), then answers not
 * complete, having applied nothing: the Provider framework calls isComplete
 * again after its query interval, with a fresh invocation. The request gives
 * up, naming the holder and SchemaMigrations' `totalTimeout`, when the next
 * invocation's wait would end past that timeout (the construct passes it as
 * `SCHEMAGUARD_TOTAL_TIMEOUT_MS`; without it the framework's own timeout ends
 * the request).
 */
import { LockWaitTimeoutError } from '../engine/errors';
import type { RunSettings } from './config';
import { REQUEST_STARTED_FIELD } from './constants';
import type { Logger } from './log';
import type { IsCompleteRequest } from './request';

/** Log that the lock is busy; throw when the request's time for it is spent. */
export function lockBusy(e: LockWaitTimeoutError, event: Partial<IsCompleteRequest>, run: RunSettings, log: Logger, now = Date.now()): void {
  const started = Number(event[REQUEST_STARTED_FIELD]);
  const elapsedMs = Number.isFinite(started) ? now - started : undefined;
  if (run.totalTimeoutMs !== undefined && elapsedMs !== undefined && elapsedMs + run.lockWaitMs >= run.totalTimeoutMs) {
    throw lockBusyError(e, elapsedMs, run.totalTimeoutMs);
  }
  log.warn('another runner holds the migration lock; nothing was applied; isComplete tries again', {
    holders: e.holders.map((h) => h.pid), elapsedMs, totalTimeoutMs: run.totalTimeoutMs,
  });
}

/** The lock was busy for the whole of the request's time: said with the handler's settings, not the CLI's flag. */
export function lockBusyError(e: LockWaitTimeoutError, elapsedMs: number, totalTimeoutMs: number): LockWaitTimeoutError {
  return new LockWaitTimeoutError(
    `another migration runner holds the lock: ${e.holder}; this request tried for ${Math.round(elapsedMs / 1000)} s of its ${Math.round(totalTimeoutMs / 1000)} s (SchemaMigrations totalTimeout) and applied nothing`,
    {
      holders: e.holders, holder: e.holder, cause: e,
      fix: 'let that runner (another deploy of this database, or a schemaguard migrate) finish and deploy again; or raise the SchemaMigrations totalTimeout; '
        + 'or end the holder with SELECT pg_terminate_backend(pid) if it is stuck',
    },
  );
}
