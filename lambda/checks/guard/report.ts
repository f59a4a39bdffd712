/**
 * The guard's report: what the CLI prints and the scheduled function turns
 * into metrics. Every finding names the exact object and the fix; its
 * severity is defined in `rules.ts`.
 */
import { reported } from '../findings/finding';
import type { GuardFindingKind, GuardSeverity } from './rules';

export interface GuardFinding {
  /** The check it comes from; decides the metric it counts in. */
  kind: GuardFindingKind;
  /** Stable id: a guard rule (`schema-drift`, `migration-pending`, …), a contract stage (`contract-plan`) or a doctor rule (`pk-without-default`). */
  rule: string;
  severity: GuardSeverity;
  /** The exact object: `public.lead_purchases.id`, `public.unique_active_purchase`, a contract or migration file. */
  object: string;
  /** What is wrong, naming the object. */
  message: string;
  why: string;
  /** The statement or command that fixes it. */
  fix: string;
}

/**
 * Counts for CloudWatch (namespace `Schemaguard/Schema`), one per finding
 * kind; all 0 when the run was clean or skipped.
 */
export interface GuardMetrics {
  /** Objects with page-severity drift: in the snapshot, missing or changed live. */
  DriftedObjects: number;
  /** Objects with ticket-severity drift: added by hand, a comment changed, or any drift while the migrations are not settled. */
  MinorDrift: number;
  /** Contracts that fail (one contract may fail for several reasons). */
  ContractFailures: number;
  /** Doctor's errors (other than INVALID indexes) and constraints never validated. */
  DoctorErrors: number;
  /** INVALID indexes, whether a contract relies on them (page) or not (ticket). */
  InvalidIndexes: number;
  /** Migrations whose state differs from the files: pending, changed after they ran, or unknown to the files. */
  PendingMigrations: number;
}

export interface GuardReport {
  /** `skipped`: a migration was running, nothing was checked. */
  outcome: 'clean' | 'findings' | 'skipped';
  /** Why it skipped, e.g. `a migration is running: server process 4242 holds the runner lock`. */
  skippedReason?: string;
  /** Page findings first, then ticket findings, each in check order. */
  findings: GuardFinding[];
  metrics: GuardMetrics;
  /** True when any finding has page severity (the CLI then exits 1). */
  page: boolean;
  durationMs: number;
  /** What was checked less, and why (views not compared across major versions): said, no finding. Absent when nothing. */
  notes?: string[];
}

const EMPTY: GuardMetrics = { DriftedObjects: 0, MinorDrift: 0, ContractFailures: 0, DoctorErrors: 0, InvalidIndexes: 0, PendingMigrations: 0 };

/** The metrics of a list of findings: distinct objects per kind (contracts counted by contract). */
export function metricsOf(findings: readonly GuardFinding[]): GuardMetrics {
  const distinct = (pick: (f: GuardFinding) => boolean) => new Set(findings.filter(pick).map((f) => f.object)).size;
  return {
    DriftedObjects: distinct((f) => f.kind === 'drift' && f.severity === 'page'),
    MinorDrift: distinct((f) => f.kind === 'drift' && f.severity === 'ticket'),
    ContractFailures: distinct((f) => f.kind === 'contract'),
    DoctorErrors: distinct((f) => f.kind === 'doctor' || f.kind === 'not-validated'),
    InvalidIndexes: distinct((f) => f.kind === 'invalid-index'),
    PendingMigrations: distinct((f) => f.kind === 'migration'),
  };
}

export function skippedReport(reason: string, durationMs: number): GuardReport {
  return { outcome: 'skipped', skippedReason: reason, findings: [], metrics: { ...EMPTY }, page: false, durationMs };
}

export function findingsReport(findings: GuardFinding[], durationMs: number, notes: readonly string[] = []): GuardReport {
  const ordered = [...findings.filter((f) => f.severity === 'page'), ...findings.filter((f) => f.severity === 'ticket')].map(reported);
  return {
    outcome: ordered.length ? 'findings' : 'clean',
    findings: ordered,
    metrics: metricsOf(ordered),
    page: ordered.some((f) => f.severity === 'page'),
    durationMs,
    ...(notes.length ? { notes: [...notes] } : {}),
  };
}
