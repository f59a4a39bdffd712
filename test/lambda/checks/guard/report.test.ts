/** The guard's report: severities per rule, metrics per finding kind, page findings first. */
import { describe, expect, it } from 'vitest';
import { CONTRACT_RULES } from '../../../../lambda/checks/drift/report-findings';
import { findingsReport, metricsOf, skippedReport, type GuardFinding } from '../../../../lambda/checks/guard/report';
import { GUARD_RULES, guardRules } from '../../../../lambda/checks/guard/rules';

const finding = (kind: GuardFinding['kind'], severity: GuardFinding['severity'], object: string): GuardFinding => ({
  kind,
  rule: kind,
  severity,
  object,
  message: `${kind} ${object}`,
  why: 'why',
  fix: 'fix',
});

describe('Function: guardRules', () => {
  it('pages on drift of a checked object and on every contract stage; everything else is a ticket', () => {
    const pages = guardRules()
      .filter((r) => r.severity === 'page')
      .map((r) => r.id);
    expect(pages).toEqual(['schema-drift', ...Object.values(CONTRACT_RULES).map((r) => r.id)]);
    expect(GUARD_RULES.invalidIndex.exception).toMatch(/^page when a contract's ON CONFLICT/);
    expect(GUARD_RULES.schemaDrift.exception).toMatch(/^ticket while the database is not at the snapshot's migrations/);
    for (const r of guardRules()) expect(r.why.length * r.fix.length * r.title.length).toBeGreaterThan(0);
  });
});

describe('Function: metricsOf', () => {
  it('counts distinct objects per kind, drift split by severity, contracts by contract', () => {
    const m = metricsOf([
      finding('drift', 'page', 'public.a.id'),
      finding('drift', 'page', 'public.b'),
      finding('drift', 'ticket', 'public.c'),
      finding('contract', 'page', 'a.sql'),
      finding('contract', 'page', 'a.sql'),
      finding('contract', 'page', 'b.sql'),
      finding('doctor', 'ticket', 'a.id'),
      finding('not-validated', 'ticket', 'a.k'),
      finding('invalid-index', 'page', 'i'),
      finding('invalid-index', 'ticket', 'j'),
      finding('migration', 'ticket', '1_a.sql'),
    ]);
    expect(m).toEqual({ DriftedObjects: 2, MinorDrift: 1, ContractFailures: 2, DoctorErrors: 2, InvalidIndexes: 2, PendingMigrations: 1 });
  });
});

describe('Function: findingsReport', () => {
  it('puts page findings first and pages when there is one', () => {
    const r = findingsReport([finding('migration', 'ticket', 'm'), finding('drift', 'page', 'd')], 12);
    expect(r.findings.map((f) => f.object)).toEqual(['d', 'm']);
    expect(r).toMatchObject({ outcome: 'findings', page: true, durationMs: 12 });
  });

  it('is clean with no finding; tickets alone do not page', () => {
    expect(findingsReport([], 1)).toMatchObject({ outcome: 'clean', page: false, findings: [] });
    expect(findingsReport([finding('doctor', 'ticket', 'x')], 1)).toMatchObject({ outcome: 'findings', page: false });
  });

  it('a skip has its reason, no finding and every metric 0', () => {
    const r = skippedReport('a migration is running: server process 7 holds the runner lock', 3);
    expect(r).toMatchObject({ outcome: 'skipped', skippedReason: 'a migration is running: server process 7 holds the runner lock', page: false, findings: [] });
    expect(Object.values(r.metrics)).toEqual([0, 0, 0, 0, 0, 0]);
  });
});
