/**
 * A backfill's metrics as one embedded metric format (EMF) log line per
 * slice of its workflow, written to stdout: CloudWatch Logs extracts the
 * metrics itself (no PutMetricData call, no permission beyond the function's
 * own log), as for the guard's (../guard/metrics.ts). Pure: the same slice
 * gives the same line.
 *
 * The values: the rows done so far (all runners), this slice's rows per
 * second, and the seconds since a batch last committed — which grows while
 * the backfill is paused or stuck, and which the stalled-backfill alarm
 * watches (lib/alarms/deploy-catalog.ts). The file, state and reason stay
 * in the log only, searchable in Logs Insights.
 */
import { BACKFILL_DIMENSION, BACKFILL_METRIC, BACKFILL_NAMESPACE } from '../constants';
import type { BackfillSliceResult } from './protocol';

export interface BackfillMetricTarget {
  /** The migration function's name: the dimension's value. */
  functionName: string;
  secondsSinceProgress: number;
}

/** The EMF line of one slice, at `timestamp` (ms since the epoch). */
export function backfillMetricLine(result: BackfillSliceResult, target: BackfillMetricTarget, timestamp: number): string {
  const values = {
    [BACKFILL_METRIC.rowsDone]: result.rowsDone,
    [BACKFILL_METRIC.rowsPerSecond]: result.rowsPerSecond,
    [BACKFILL_METRIC.secondsSinceProgress]: target.secondsSinceProgress,
  };
  return JSON.stringify({
    _aws: {
      Timestamp: timestamp,
      CloudWatchMetrics: [
        {
          Namespace: BACKFILL_NAMESPACE,
          Dimensions: [[BACKFILL_DIMENSION.migrationFunction]],
          Metrics: [
            { Name: BACKFILL_METRIC.rowsDone, Unit: 'Count' },
            { Name: BACKFILL_METRIC.rowsPerSecond, Unit: 'Count/Second' },
            { Name: BACKFILL_METRIC.secondsSinceProgress, Unit: 'Seconds' },
          ],
        },
      ],
    },
    [BACKFILL_DIMENSION.migrationFunction]: target.functionName,
    ...values,
    message: `backfill ${result.file}: ${result.state}`,
    file: result.file,
    version: result.version,
    state: result.state,
    ...(result.reason ? { reason: result.reason } : {}),
  });
}
