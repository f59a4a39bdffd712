/**
 * The scheduled guard's metrics as embedded metric format (EMF) log lines:
 * one JSON object per run, written to stdout, from which CloudWatch Logs
 * extracts the metrics itself (no PutMetricData call, no permission beyond
 * writing the function's own log). Pure: the same run gives the same line.
 *
 * Format: "Specification: Embedded metric format" in the Amazon CloudWatch
 * user guide — an `_aws` member with the timestamp and one metric directive
 * (namespace, dimension set, metric names and units), and the dimension and
 * metric values as members of the root object. Other root members (outcome,
 * duration, skip reason) stay in the log only and are searchable in Logs
 * Insights.
 *
 * What a run reports:
 * - clean or findings: the six counts and GuardErrors 0 (1 when some of a
 *   fleet's tenants could not be checked: the counts are the others');
 * - skipped (a migration is running): GuardErrors 0 only — the counts are
 *   not known, so none is sent, and the finding alarms keep their state;
 * - failed (the database unreachable, a refused password, …): GuardErrors 1.
 */
import type { GuardMetrics } from '../../checks/guard';
import { GUARD_DIMENSION, GUARD_METRIC, type GuardMetricName } from '../constants';

/** The counts a guard pass measures (GuardReport.metrics). */
export type GuardCounts = GuardMetrics;

/** What one scheduled run ended with: the guard's report, or the failure that stopped it. */
export type GuardRunResult =
  /** `unchecked`: a fleet's tenants whose pass failed or was not reached in time (a guard error beside the others' counts). */
  | { kind: 'report'; outcome: 'clean' | 'findings'; metrics: GuardCounts; durationMs: number; unchecked?: number }
  | { kind: 'report'; outcome: 'skipped'; skippedReason?: string; durationMs: number }
  | { kind: 'failed'; error: string; durationMs: number };

/** Where the metrics go: the namespace and the dimension values that name the database. */
export interface MetricTarget {
  namespace: string;
  databaseIdentifier: string;
  databaseName: string;
}

const COUNT_NAMES = [
  GUARD_METRIC.driftedObjects,
  GUARD_METRIC.minorDrift,
  GUARD_METRIC.contractFailures,
  GUARD_METRIC.doctorErrors,
  GUARD_METRIC.invalidIndexes,
  GUARD_METRIC.pendingMigrations,
] as const satisfies readonly (keyof GuardCounts)[];

/** The EMF line(s) of one run, at `timestamp` (ms since the epoch). */
export function guardMetricLines(result: GuardRunResult, target: MetricTarget, timestamp: number): string[] {
  const values = metricValues(result);
  const names = Object.keys(values) as GuardMetricName[];
  const document = {
    _aws: {
      Timestamp: timestamp,
      CloudWatchMetrics: [
        {
          Namespace: target.namespace,
          Dimensions: [[GUARD_DIMENSION.databaseIdentifier, GUARD_DIMENSION.databaseName]],
          Metrics: names.map((name) => ({ Name: name, Unit: 'Count' })),
        },
      ],
    },
    [GUARD_DIMENSION.databaseIdentifier]: target.databaseIdentifier,
    [GUARD_DIMENSION.databaseName]: target.databaseName,
    ...values,
    ...properties(result),
  };
  return [JSON.stringify(document)];
}

/** Metric name → value for this run; every value a non-negative integer. */
function metricValues(result: GuardRunResult): Partial<Record<GuardMetricName, number>> {
  if (result.kind === 'failed') return { [GUARD_METRIC.guardErrors]: 1 };
  if (result.outcome === 'skipped') return { [GUARD_METRIC.guardErrors]: 0 };
  const values: Partial<Record<GuardMetricName, number>> = {};
  for (const name of COUNT_NAMES) {
    const n = result.metrics[name];
    if (!Number.isSafeInteger(n) || n < 0) {
      throw new Error(`guard metric ${name} is ${JSON.stringify(n)}, not a count: the guard report is malformed`);
    }
    values[name] = n;
  }
  values[GUARD_METRIC.guardErrors] = result.unchecked ? 1 : 0;
  return values;
}

/** Log-only members: what happened, how long it took, why it skipped or failed. */
function properties(result: GuardRunResult): Record<string, string | number> {
  const outcome = result.kind === 'failed' ? 'failed' : result.outcome;
  const out: Record<string, string | number> = { message: `schema guard: ${outcome}`, outcome, durationMs: Math.round(result.durationMs) };
  if (result.kind === 'failed') out.error = result.error;
  if (result.kind === 'report' && result.outcome !== 'skipped' && result.unchecked) out.uncheckedTenants = result.unchecked;
  if (result.kind === 'report' && result.outcome === 'skipped' && result.skippedReason) out.skippedReason = result.skippedReason;
  return out;
}
