/**
 * The backfills' alarms and their dashboard graph, from BACKFILL_ALARMS
 * (deploy-catalog.ts), on the workflow's metrics (lib/backfill/backfill-workflow.ts):
 * children of DatabaseAlarms, their actions its topics.
 */
import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type { Construct } from 'constructs';
import { BACKFILL_METRIC } from '../../lambda/handler/constants';
import type { BackfillWorkflow } from '../backfill/backfill-workflow';
import { BACKFILL_FAILED_ALARM, BACKFILL_STALLED_ALARM, BACKFILL_STALLED_SECONDS, deployAlarmDescription, type DeployAlarmSpec } from './deploy-catalog';
import { QUIET_MINUTES } from './error-catalog';

export interface BackfillAlarmsOptions {
  readonly alarmNamePrefix?: string;
  /** The topic of each severity. */
  readonly action: (severity: DeployAlarmSpec['severity']) => cloudwatch.IAlarmAction;
}

/** The stalled metric's period: slices report at least every few minutes (a paused one every 30 s). */
const STALL_PERIOD = Duration.minutes(5);

/** The failed and the stalled backfill's alarms, by id. */
export function backfillAlarms(scope: Construct, workflow: BackfillWorkflow, o: BackfillAlarmsOptions): Record<string, cloudwatch.Alarm> {
  const failed = alarm(scope, 'BackfillFailedAlarm', BACKFILL_FAILED_ALARM, o, {
    metric: workflow.metricStoppedBackfills(Duration.minutes(1)),
    threshold: 1,
    // One failure alarms; the alarm clears after QUIET_MINUTES without another, as the error classes' do.
    evaluationPeriods: QUIET_MINUTES,
  });
  const stalled = alarm(scope, 'BackfillStalledAlarm', BACKFILL_STALLED_ALARM, o, {
    metric: workflow.metric(BACKFILL_METRIC.secondsSinceProgress, cloudwatch.Stats.MAXIMUM, STALL_PERIOD),
    threshold: BACKFILL_STALLED_SECONDS,
    evaluationPeriods: 1,
  });
  return { [BACKFILL_FAILED_ALARM.id]: failed, [BACKFILL_STALLED_ALARM.id]: stalled };
}

function alarm(
  scope: Construct,
  id: string,
  spec: DeployAlarmSpec,
  o: BackfillAlarmsOptions,
  props: Pick<cloudwatch.AlarmProps, 'metric' | 'threshold' | 'evaluationPeriods'>,
): cloudwatch.Alarm {
  const alarm = new cloudwatch.Alarm(scope, id, {
    ...props,
    alarmName: o.alarmNamePrefix ? `${o.alarmNamePrefix}-${spec.severity}-${spec.id}` : undefined,
    alarmDescription: deployAlarmDescription(spec),
    comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
    datapointsToAlarm: 1,
    // No backfill running is no data: nothing is wrong.
    treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
  });
  alarm.addAlarmAction(o.action(spec.severity));
  alarm.addOkAction(o.action(spec.severity));
  return alarm;
}

/** Rows done (left) and rows per second (right), per slice, for the dashboard's graphs. */
export function backfillGraph(workflow: BackfillWorkflow): cloudwatch.GraphWidget {
  const period = Duration.minutes(1);
  return new cloudwatch.GraphWidget({
    title: 'Backfills: rows done, rows per second',
    left: [workflow.metric(BACKFILL_METRIC.rowsDone, cloudwatch.Stats.MAXIMUM, period)],
    right: [workflow.metric(BACKFILL_METRIC.rowsPerSecond, cloudwatch.Stats.AVERAGE, period)],
    width: 12,
    height: 6,
  });
}
