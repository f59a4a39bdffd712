/**
 * A deploy's file that says `-- schemaguard:after-backfill` of a backfill
 * not done: the files before it are applied, and the deploy waits for the
 * backfill's workflow — each isComplete runs the migrations again, and the
 * file runs once the backfill is done — for as long as the request's
 * `totalTimeout` allows, as for a busy runner lock (lock-busy.ts). A failed
 * backfill, or one without a workflow to finish it, is refused at once:
 * waiting would not change it.
 */
import { BackfillPendingError } from '../../engine/errors/errors';
import type { RunSettings } from '../config';
import { elapsedOf, timeSpent } from '../lock-busy';
import type { Logger } from '../log';
import type { IsCompleteRequest } from '../request';
import { present } from '../../engine/errors/present';

/** Log the wait; throw the refusal when the backfill failed, no workflow runs it, or the request's time is spent. */
export function waitForBackfill(
  e: BackfillPendingError,
  event: Partial<IsCompleteRequest>,
  run: RunSettings,
  hasWorkflow: boolean,
  log: Logger,
  now = Date.now(),
): void {
  if (!hasWorkflow || e.awaited?.state === 'failed') throw e;
  const elapsedMs = elapsedOf(event, now);
  if (timeSpent(elapsedMs, run)) throw waitedTooLong(e, elapsedMs, present(run.totalTimeoutMs, 'totalTimeoutMs'));
  log.info('a file waits for a backfill its workflow runs; the files before it are applied; isComplete tries again', {
    file: e.file,
    backfill: e.awaited?.file,
    state: e.awaited?.state,
    elapsedMs,
    totalTimeoutMs: run.totalTimeoutMs,
  });
}

/** The refusal, saying how long this deploy waited. */
function waitedTooLong(e: BackfillPendingError, elapsedMs: number, totalTimeoutMs: number): BackfillPendingError {
  return new BackfillPendingError(
    `${e.message}; this deploy waited ${Math.round(elapsedMs / 1000)} s of its ${Math.round(totalTimeoutMs / 1000)} s (SchemaMigrations totalTimeout)`,
    { file: e.file, version: e.version, fix: e.fix, cause: e, ...(e.awaited ? { awaited: e.awaited } : {}) },
  );
}
