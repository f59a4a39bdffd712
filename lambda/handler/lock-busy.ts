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
import { lockWaitFix, LockWaitTimeoutError, type MigrationError } from '../engine/errors/errors';
import type { RunSettings } from './config';
import { REQUEST_STARTED_FIELD } from './constants';
import type { Logger } from './log';
import type { IsCompleteRequest } from './request';
import { present } from '../engine/errors/present';

/** How long the request has run (from onEvent's start, which the framework passes to every isComplete), when known. */
export function elapsedOf(event: Partial<IsCompleteRequest>, now: number): number | undefined {
  const started = Number(event[REQUEST_STARTED_FIELD]);
  return Number.isFinite(started) ? now - started : undefined;
}

/** Whether another try (an invocation's lock wait, about) would end past the request's total timeout. */
export function timeSpent(elapsedMs: number | undefined, run: RunSettings): elapsedMs is number {
  return run.totalTimeoutMs !== undefined && elapsedMs !== undefined && elapsedMs + run.lockWaitMs >= run.totalTimeoutMs;
}

/** Log that the lock is busy; throw when the request's time for it is spent. */
export function lockBusy(e: LockWaitTimeoutError, event: Partial<IsCompleteRequest>, run: RunSettings, log: Logger, now = Date.now()): void {
  const elapsedMs = elapsedOf(event, now);
  if (timeSpent(elapsedMs, run)) throw lockBusyError(e, elapsedMs, present(run.totalTimeoutMs, 'totalTimeoutMs'));
  log.warn('another runner holds the migration lock; nothing was applied; isComplete tries again', {
    holders: e.holders.map((h) => h.pid),
    elapsedMs,
    totalTimeoutMs: run.totalTimeoutMs,
  });
}

/**
 * The connection was lost while a transactional migration ran (a Multi-AZ
 * failover, a reboot, a session ended by hand): that migration was rolled
 * back, or committed with its state row, and the next invocation reads which
 * under the lock. Log it and let isComplete try again; throw `e` when the
 * request's time is spent.
 */
export function connectionLost(e: MigrationError, event: Partial<IsCompleteRequest>, run: RunSettings, log: Logger, now = Date.now()): void {
  const elapsedMs = elapsedOf(event, now);
  if (timeSpent(elapsedMs, run)) throw e;
  log.warn('the connection was lost while a migration ran (rolled back, or committed with its state row); isComplete tries again', {
    file: e.file,
    error: e.message,
    elapsedMs,
    totalTimeoutMs: run.totalTimeoutMs,
  });
}

/** The lock was busy for the whole of the request's time: said with the handler's settings, not the CLI's flag. */
export function lockBusyError(e: LockWaitTimeoutError, elapsedMs: number, totalTimeoutMs: number): LockWaitTimeoutError {
  return new LockWaitTimeoutError(
    `another migration runner holds the lock: ${e.holder}; this request tried for ${Math.round(elapsedMs / 1000)} s of its ${Math.round(totalTimeoutMs / 1000)} s (SchemaMigrations totalTimeout) and applied nothing`,
    {
      holders: e.holders,
      holder: e.holder,
      cause: e,
      fix: lockWaitFix(
        e.holders,
        'let that runner (another deploy of this database, or a schemaguard migrate) finish and deploy again; or raise the SchemaMigrations totalTimeout',
      ),
    },
  );
}
