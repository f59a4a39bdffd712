/**
 * The guard's EMF lines: what each kind of run reports, checked with the
 * rules CloudWatch Logs applies when it extracts metrics (test/support/emf.ts).
 */
import { describe, expect, it } from 'vitest';
import { GUARD_METRIC, GUARD_NAMESPACE } from '../../../../lambda/handler/constants';
import { guardMetricLines, type GuardCounts } from '../../../../lambda/handler/guard/metrics';
import { extractEmf } from '../../../support/emf';

const target = { namespace: GUARD_NAMESPACE, databaseIdentifier: 'schemaguard-prod', databaseName: 'app' };
const AT = Date.UTC(2026, 0, 2, 3, 4, 5);
const zero: GuardCounts = { DriftedObjects: 0, MinorDrift: 0, ContractFailures: 0, DoctorErrors: 0, InvalidIndexes: 0, PendingMigrations: 0 };

const one = (lines: string[]) => {
  expect(lines).toHaveLength(1);
  return extractEmf(lines[0]!);
};

describe('Function: guardMetricLines', () => {
  it('a clean pass: every count at 0 and GuardErrors 0, in the namespace, keyed by identifier and database name', () => {
    const m = one(guardMetricLines({ kind: 'report', outcome: 'clean', metrics: zero, durationMs: 412.6 }, target, AT));

    expect(m.namespace).toBe('Schemaguard/Schema');
    expect(m.timestamp).toBe(AT);
    expect(m.dimensions).toEqual({ DatabaseIdentifier: 'schemaguard-prod', DatabaseName: 'app' });
    expect(m.metrics).toEqual({
      DriftedObjects: 0,
      MinorDrift: 0,
      ContractFailures: 0,
      DoctorErrors: 0,
      InvalidIndexes: 0,
      PendingMigrations: 0,
      GuardErrors: 0,
    });
    expect(new Set(Object.values(m.units))).toEqual(new Set(['Count']));
    expect(m.root).toMatchObject({ outcome: 'clean', durationMs: 413, message: 'schema guard: clean' });
  });

  it('findings: each count as the report gives it', () => {
    const metrics = { DriftedObjects: 3, MinorDrift: 2, ContractFailures: 1, DoctorErrors: 2, InvalidIndexes: 1, PendingMigrations: 4 };
    const m = one(guardMetricLines({ kind: 'report', outcome: 'findings', metrics, durationMs: 900 }, target, AT));

    expect(m.metrics).toEqual({ ...metrics, GuardErrors: 0 });
    expect(m.root.outcome).toBe('findings');
  });

  it('skipped while a migration runs: GuardErrors 0 only (the guard reported), no count, the reason kept in the log', () => {
    const m = one(guardMetricLines({ kind: 'report', outcome: 'skipped', skippedReason: 'a migration is running', durationMs: 20 }, target, AT));

    expect(m.metrics).toEqual({ GuardErrors: 0 });
    expect(m.root).toMatchObject({ outcome: 'skipped', skippedReason: 'a migration is running' });
  });

  it('a failed run: GuardErrors 1 and the error in the log, no count', () => {
    const m = one(guardMetricLines({ kind: 'failed', error: 'connect ECONNREFUSED 10.0.0.5:5432', durationMs: 3000 }, target, AT));

    expect(m.metrics).toEqual({ GuardErrors: 1 });
    expect(m.root).toMatchObject({ outcome: 'failed', error: 'connect ECONNREFUSED 10.0.0.5:5432' });
  });

  it('names every metric of GUARD_METRIC across the kinds of run, and no other', () => {
    const names = new Set([
      ...Object.keys(one(guardMetricLines({ kind: 'report', outcome: 'clean', metrics: zero, durationMs: 1 }, target, AT)).metrics),
      ...Object.keys(one(guardMetricLines({ kind: 'failed', error: 'x', durationMs: 1 }, target, AT)).metrics),
    ]);
    expect(names).toEqual(new Set(Object.values(GUARD_METRIC)));
  });

  it('throws on a count that is not a non-negative integer, naming it (the handler reports that as a failed run)', () => {
    for (const bad of [-1, 1.5, Number.NaN, undefined]) {
      const metrics = { ...zero, InvalidIndexes: bad } as unknown as GuardCounts;
      expect(() => guardMetricLines({ kind: 'report', outcome: 'findings', metrics, durationMs: 1 }, target, AT)).toThrow(
        /guard metric InvalidIndexes is .*not a count/,
      );
    }
  });

  it('a dimension value with quotes or newlines stays one JSON line', () => {
    const lines = guardMetricLines({ kind: 'failed', error: 'line one\nline "two"', durationMs: 1 }, { ...target, databaseName: 'a"b' }, AT);
    expect(lines[0]).not.toContain('\n');
    expect(extractEmf(lines[0]!).dimensions.DatabaseName).toBe('a"b');
  });
});

describe('Function: extractEmf (the checker the tests rely on)', () => {
  it('refuses a line CloudWatch would not extract metrics from', () => {
    const good = guardMetricLines({ kind: 'failed', error: 'x', durationMs: 1 }, target, AT)[0]!;
    const doc = JSON.parse(good);
    expect(() => extractEmf(JSON.stringify({ ...doc, GuardErrors: '1' }))).toThrow(/GuardErrors has no numeric value/);
    expect(() => extractEmf(JSON.stringify({ ...doc, DatabaseName: 7 }))).toThrow(/DatabaseName has no string value/);
    expect(() => extractEmf(JSON.stringify({ ...doc, _aws: { ...doc._aws, Timestamp: '2026' } }))).toThrow(/Timestamp must be a number/);
  });
});
