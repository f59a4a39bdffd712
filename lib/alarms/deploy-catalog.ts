/**
 * The alarms on what a deploy runs beside the database's own log: a fleet's
 * rollout on Step Functions (SchemaMigrations `fleet`). Plain data, like the
 * error catalog (error-catalog.ts) and the guard's (guard-catalog.ts), so the
 * docs and the tests read it without aws-cdk-lib.
 */
import { QUIET_MINUTES, type Severity } from './error-catalog';

export interface DeployAlarmSpec {
  /** Stable id, kebab-case: the alarm's name (`<prefix>-<severity>-<id>`). */
  readonly id: string;
  readonly title: string;
  readonly severity: Severity;
  /** The metric, in words (the alarm's metric is built by the construct that owns it). */
  readonly metric: string;
  readonly runbook: {
    readonly meaning: string;
    /** Where to look. */
    readonly find: string;
    readonly fix: string;
  };
}

/** A fleet's rollout that did not finish: one page for the rollout, whichever tenants failed. */
export const FLEET_ROLLOUT_ALARM: DeployAlarmSpec = {
  id: 'fleet-rollout',
  title: 'Fleet rollout failed',
  severity: 'page',
  metric: "the rollout state machine's ExecutionsFailed + ExecutionsTimedOut + ExecutionsAborted (AWS/States, by StateMachineArn), Sum per minute",
  runbook: {
    meaning:
      'A rollout of the migrations to the fleet stopped: the canary failed, or more tenants failed than toleratedFailures allows, or it outlasted the deploy and was stopped. No later wave started; the tenants it finished are at the new version, the failed ones at the version they reached whole, the rest untouched. The deploy that started it failed and rolled the stack back.',
    find: "The stack event's reason names the failed tenants and their errors (file, line, SQLSTATE); the state machine's failed execution has the same in its cause, and each tenant's Map Run child execution its own error. The migration function's log group has the detail.",
    fix: "Fix what the tenants say (a new migration file, or the tenant itself), then deploy again: the tenants at the new version run nothing, the others resume. schemaguard status --fleet-schemas PATTERN lists each tenant's version.",
  },
};

/** The alarm's description: the runbook, within CloudWatch's 1024 characters. */
export function deployAlarmDescription(spec: DeployAlarmSpec): string {
  return [
    `[${spec.severity.toUpperCase()}] ${spec.title}: ${spec.runbook.meaning}`,
    `Find: ${spec.runbook.find}`,
    `Fix: ${spec.runbook.fix}`,
    `Over: the alarm clears after ${QUIET_MINUTES} minutes without another.`,
  ].join('\n');
}
