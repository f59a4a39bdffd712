/**
 * The alarms on backfills that run on after the deploy (SchemaMigrations'
 * backfill workflow, lib/backfill/backfill-workflow.ts): one when a
 * backfill's execution stops before the backfill is done, one when a
 * backfill makes no progress for too long. Plain data and one string
 * function, like the error catalog (error-catalog.ts) and the guard's
 * (guard-catalog.ts), so the docs and the tests read it without aws-cdk-lib.
 *
 * Both open a ticket: by the project's rule a page is for an application
 * about to fail, and a backfill's expand keeps the application working
 * while the backfill is unfinished — what waits is the deploy of the file
 * that needs it (`-- schemaguard:after-backfill`), which is refused until
 * the backfill is done.
 */
import { BACKFILL_METRIC } from '../../lambda/handler/constants';
import { QUIET_MINUTES, type Severity } from './error-catalog';

export interface BackfillAlarmSpec {
  /** Stable id, kebab-case: the alarm's name (`<prefix>-<severity>-<id>`). */
  readonly id: string;
  readonly title: string;
  readonly severity: Severity;
  /** The metric and threshold, in words (the alarm's metric is the workflow construct's). */
  readonly metric: string;
  readonly runbook: {
    readonly meaning: string;
    /** Where to look. */
    readonly find: string;
    readonly fix: string;
  };
  /** When the alarm clears. */
  readonly over: string;
}

/** Seconds without a committed batch after which a backfill counts as stalled. */
export const BACKFILL_STALLED_SECONDS = 1800;

export const BACKFILL_FAILED_ALARM: BackfillAlarmSpec = {
  id: 'backfill-failed',
  title: 'Backfill failed',
  severity: 'ticket',
  metric: "the backfill state machine's ExecutionsFailed + ExecutionsTimedOut + ExecutionsAborted (AWS/States, by StateMachineArn), Sum per minute, ≥ 1",
  runbook: {
    meaning:
      'A backfill stopped before it was done: a batch failed (the backfill is marked failed, its reason kept), its slices could not reach the database through all their retries, or its execution was stopped. The rows done stay done; the file that waits for it (after-backfill) is refused by every deploy until it is done.',
    find: "The failed execution's cause (the Step Functions console, or aws stepfunctions describe-execution); schemaguard status shows the backfill's state and reason; the migration function's log has each slice.",
    fix: "Fix what the reason names (the rows the UPDATE cannot write, the statement in a new file), then finish it: schemaguard migrate against the database, or start the state machine again with the failed execution's input. It goes on after its last committed batch.",
  },
  over: `OK after ${QUIET_MINUTES} minutes without another.`,
};

export const BACKFILL_STALLED_ALARM: BackfillAlarmSpec = {
  id: 'backfill-stalled',
  title: 'Backfill stalled',
  severity: 'ticket',
  metric: `${BACKFILL_METRIC.secondsSinceProgress} (Schemaguard/Backfill, by MigrationFunction), Maximum per 5 minutes, ≥ ${BACKFILL_STALLED_SECONDS} s`,
  runbook: {
    meaning: `A backfill committed no batch for ${BACKFILL_STALLED_SECONDS / 60} minutes: it is paused while the database is not healthy (a standby or reader lagging, a logical slot retaining WAL, autovacuum on the table, sessions waiting behind its batches), or its batches keep waiting for locks.`,
    find: "schemaguard status (or the backfill lines of the migration function's log) says why it is paused; pg_stat_replication, pg_replication_slots and pg_stat_progress_vacuum show the cause.",
    fix: "Clear the cause (a slot's consumer, a long transaction holding locks) and it resumes by itself; or change the bounds (the backfill prop or the project file's backfill) and deploy.",
  },
  over: 'OK with the first slice after a batch committed.',
};

export const BACKFILL_ALARMS: readonly BackfillAlarmSpec[] = [BACKFILL_FAILED_ALARM, BACKFILL_STALLED_ALARM];

/** The alarm's description: the runbook, within CloudWatch's 1024 characters (the catalog test checks). */
export function backfillAlarmDescription(spec: BackfillAlarmSpec): string {
  return [
    `[${spec.severity.toUpperCase()}] ${spec.title}: ${spec.runbook.meaning}`,
    `Find: ${spec.runbook.find}`,
    `Fix: ${spec.runbook.fix}`,
    `Over: ${spec.over}`,
  ].join('\n');
}
