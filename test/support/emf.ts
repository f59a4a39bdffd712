/**
 * Reads an embedded metric format (EMF) log line the way CloudWatch Logs
 * does, checking the MUST rules of "Specification: Embedded metric format"
 * (Amazon CloudWatch user guide) that decide whether a metric is extracted:
 * a root `_aws` object with a numeric `Timestamp` and a `CloudWatchMetrics`
 * array; each directive with a `Namespace`, `Dimensions` (arrays of at most
 * 30 names, each naming a root member whose value is a string) and `Metrics`
 * (at most 100, each with a `Name` naming a root member whose value is a
 * number, and a `Unit` from the CloudWatch list when present).
 */
const UNITS = new Set([
  'Seconds',
  'Microseconds',
  'Milliseconds',
  'Bytes',
  'Kilobytes',
  'Megabytes',
  'Gigabytes',
  'Terabytes',
  'Bits',
  'Kilobits',
  'Megabits',
  'Gigabits',
  'Terabits',
  'Percent',
  'Count',
  'Bytes/Second',
  'Kilobytes/Second',
  'Megabytes/Second',
  'Gigabytes/Second',
  'Terabytes/Second',
  'Bits/Second',
  'Kilobits/Second',
  'Megabits/Second',
  'Gigabits/Second',
  'Terabits/Second',
  'Count/Second',
  'None',
]);

export interface ExtractedMetrics {
  namespace: string;
  timestamp: number;
  /** The dimension values of the (only) dimension set. */
  dimensions: Record<string, string>;
  /** Metric name → value. */
  metrics: Record<string, number>;
  /** Metric name → unit. */
  units: Record<string, string | undefined>;
  /** Every root member, for the log-only fields. */
  root: Record<string, unknown>;
}

/** The metrics CloudWatch would extract from `line`; throws naming the rule a line breaks. */
export function extractEmf(line: string): ExtractedMetrics {
  const root = JSON.parse(line) as Record<string, unknown>;
  const aws = root._aws as { Timestamp?: unknown; CloudWatchMetrics?: unknown } | undefined;
  if (!aws || typeof aws !== 'object') throw new Error('EMF: no _aws object at the root');
  if (typeof aws.Timestamp !== 'number') throw new Error('EMF: _aws.Timestamp must be a number (ms since the epoch)');
  if (!Array.isArray(aws.CloudWatchMetrics) || aws.CloudWatchMetrics.length !== 1) throw new Error('EMF: expected exactly one CloudWatchMetrics directive');
  const directive = aws.CloudWatchMetrics[0] as { Namespace?: unknown; Dimensions?: unknown; Metrics?: unknown };
  if (typeof directive.Namespace !== 'string' || directive.Namespace.length < 1 || directive.Namespace.length > 255)
    throw new Error('EMF: Namespace must be 1-255 characters');
  const dimensions = dimensionValues(root, directive.Dimensions);
  const { metrics, units } = metricValues(root, directive.Metrics);
  return { namespace: directive.Namespace, timestamp: aws.Timestamp, dimensions, metrics, units, root };
}

function dimensionValues(root: Record<string, unknown>, sets: unknown): Record<string, string> {
  if (!Array.isArray(sets) || sets.length !== 1 || !Array.isArray(sets[0])) throw new Error('EMF: Dimensions must be one array of dimension names');
  const names = sets[0] as unknown[];
  if (names.length > 30) throw new Error('EMF: a dimension set has at most 30 names');
  const out: Record<string, string> = {};
  for (const name of names) {
    if (typeof name !== 'string' || typeof root[name] !== 'string') throw new Error(`EMF: dimension ${String(name)} has no string value at the root`);
    out[name] = root[name] as string;
  }
  return out;
}

function metricValues(root: Record<string, unknown>, list: unknown): { metrics: Record<string, number>; units: Record<string, string | undefined> } {
  if (!Array.isArray(list) || list.length < 1 || list.length > 100) throw new Error('EMF: Metrics must list 1 to 100 metrics');
  const metrics: Record<string, number> = {};
  const units: Record<string, string | undefined> = {};
  for (const m of list as { Name?: unknown; Unit?: unknown }[]) {
    if (typeof m.Name !== 'string' || typeof root[m.Name] !== 'number') throw new Error(`EMF: metric ${String(m.Name)} has no numeric value at the root`);
    if (m.Unit !== undefined && (typeof m.Unit !== 'string' || !UNITS.has(m.Unit)))
      throw new Error(`EMF: metric ${m.Name} has unit ${String(m.Unit)}, not a CloudWatch unit`);
    metrics[m.Name] = root[m.Name] as number;
    units[m.Name] = m.Unit as string | undefined;
  }
  return { metrics, units };
}
