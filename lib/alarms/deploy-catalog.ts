/**
 * The alarms on what a deploy runs beside the database's own log, on Step
 * Functions: a fleet's rollout (SchemaMigrations `fleet`) and the backfills
 * that run on after the deploy (SchemaMigrations' backfill workflow,
 * lib/backfill/backfill-workflow.ts). One registry: the constructs, the
 * docs and the tests read it. Plain data, like the error catalog
 * (error-catalog.ts) and the guard's (guard-catalog.ts), so the docs and the
 * tests read it without aws-cdk-lib.
 *
 * The backfills' alarms open a ticket: by the project's rule a page is for
 * an application about to fail, and a backfill's expand keeps the
 * application working while the backfill is unfinished — what waits is the
 * deploy of the file that needs it (`-- schemaguard:after-backfill`), which
 * is refused until the backfill is done.
 */
import { BACKFILL_METRIC } from '../../lambda/handler/constants';
import { QUIET_MINUTES, type Severity } from './error-catalog';

export interface DeployAlarmSpec {
  /** Stable id, kebab-case: the alarm's name (`<prefix>-<severity>-<id>`). */
  readonly id: string;
  readonly title: string;
  readonly severity: Severity;
  /** The DatabaseAlarms prop that adds the alarm. */
  readonly prop: 'fleetRollout' | 'backfillWorkflow';
  /** The metric and threshold, in words (the alarm's metric is built by the construct that owns it). */
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

/** A fleet's rollout that did not finish: one page for the rollout, whichever tenants failed. */
export const FLEET_ROLLOUT_ALARM: DeployAlarmSpec = {
  id: 'fleet-rollout',
  title: 'Fleet rollout failed',
  severity: 'page',
  prop: 'fleetRollout',
  metric: "the rollout state machine's ExecutionsFailed + ExecutionsTimedOut + ExecutionsAborted (AWS/States, by StateMachineArn), Sum per minute",
  runbook: {
    meaning:
      'A rollout of the migrations to the fleet stopped: the canary failed, or more tenants failed than toleratedFailures allows, or it outlasted the deploy and was stopped. No later wave started; the tenants it finished are at the new version, the failed ones at the version they reached whole, the rest untouched. The deploy that started it failed and rolled the stack back.',
    find: "The stack event's reason names the failed tenants and their errors (file, line, SQLSTATE); the state machine's failed execution has the same in its cause, and each tenant's Map Run child execution its own error. The migration function's log group has the detail.",
    fix: "Fix what the tenants say (a new migration file, or the tenant itself), then deploy again: the tenants at the new version run nothing, the others resume. schemaguard status --fleet-schemas PATTERN lists each tenant's version.",
  },
  over: `the alarm clears after ${QUIET_MINUTES} minutes without another.`,
};

/** Seconds without a committed batch after which a backfill counts as stalled. */
export const BACKFILL_STALLED_SECONDS = 1800;

export const BACKFILL_FAILED_ALARM: DeployAlarmSpec = {
  id: 'backfill-failed',
  title: 'Backfill failed',
  severity: 'ticket',
  prop: 'backfillWorkflow',
  metric: "the backfill state machine's ExecutionsFailed + ExecutionsTimedOut + ExecutionsAborted (AWS/States, by StateMachineArn), Sum per minute, ≥ 1",
  runbook: {
    meaning:
      'A backfill stopped before it was done: a batch failed (the backfill is marked failed, its reason kept), its slices could not reach the database through all their retries, or its execution was stopped. The rows done stay done; the file that waits for it (after-backfill) is refused by every deploy until it is done.',
    find: "The failed execution's cause (the Step Functions console, or aws stepfunctions describe-execution); schemaguard status shows the backfill's state and reason; the migration function's log has each slice.",
    fix: "Fix what the reason names (the rows the UPDATE cannot write, the statement in a new file), then finish it: schemaguard migrate against the database, or start the state machine again with the failed execution's input. It goes on after its last committed batch.",
  },
  over: `OK after ${QUIET_MINUTES} minutes without another.`,
};

export const BACKFILL_STALLED_ALARM: DeployAlarmSpec = {
  id: 'backfill-stalled',
  title: 'Backfill stalled',
  severity: 'ticket',
  prop: 'backfillWorkflow',
  metric: `${BACKFILL_METRIC.secondsSinceProgress} (Schemaguard/Backfill, by MigrationFunction), Maximum per 5 minutes, ≥ ${BACKFILL_STALLED_SECONDS} s`,
  runbook: {
    meaning: `A backfill committed no batch for ${BACKFILL_STALLED_SECONDS / 60} minutes: it is paused while the database is not healthy (a standby or reader lagging, a logical slot retaining WAL, autovacuum on the table, sessions waiting behind its batches), or its batches keep waiting for locks.`,
    find: "schemaguard status (or the backfill lines of the migration function's log) says why it is paused; pg_stat_replication, pg_replication_slots and pg_stat_progress_vacuum show the cause.",
    fix: "Clear the cause (a slot's consumer, a long transaction holding locks) and it resumes by itself; or change the bounds (the backfill prop or the project file's backfill) and deploy.",
  },
  over: 'OK with the first slice after a batch committed.',
};

/** Every deploy alarm: the registry. */
export const DEPLOY_ALARMS: readonly DeployAlarmSpec[] = [FLEET_ROLLOUT_ALARM, BACKFILL_FAILED_ALARM, BACKFILL_STALLED_ALARM];

/** The backfills' alarms (DatabaseAlarms `backfillWorkflow`). */
export const BACKFILL_ALARMS: readonly DeployAlarmSpec[] = DEPLOY_ALARMS.filter((a) => a.prop === 'backfillWorkflow');

/** The alarm's description: the runbook, within CloudWatch's 1024 characters (the catalog tests check). */
export function deployAlarmDescription(spec: DeployAlarmSpec): string {
  return [
    `[${spec.severity.toUpperCase()}] ${spec.title}: ${spec.runbook.meaning}`,
    `Find: ${spec.runbook.find}`,
    `Fix: ${spec.runbook.fix}`,
    `Over: ${spec.over}`,
  ].join('\n');
}
