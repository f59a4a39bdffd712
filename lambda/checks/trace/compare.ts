/**
 * Each plan row beside what the server did: `predicted` (the row's own lock,
 * rewrite and scan) and `observed`, and whether they differ. A difference
 * is a finding (`trace-mismatch`); a statement that fails on the copy is
 * one too (`trace-failed`). In the trace, `rewrites` means a new file node:
 * TRUNCATE's empty file is one (the plan's rewrite column says whether rows
 * are copied, which a copy without rows cannot show).
 */
import type { Finding } from '../findings/finding';
import { LOCK_FORMS, type TracedDifference } from '../locks/forms';
import { strongest, type LockMode } from '../locks/modes';
import type { StatementLockReport } from '../locks/plan-locks';
import type { ObservedRow, StatementTrace } from './run-files';
import { present } from '../../engine/errors/present';

export const TRACE_MISMATCH_RULE = {
  id: 'trace-mismatch',
  severity: 'warning' as const,
  title: 'plan --trace: the lock, rewrite or scan PostgreSQL showed differs from the one plan predicted',
  why: "plan's lock table is a model of PostgreSQL: where the server does otherwise, the table misleads the reviewer",
  fix: 'read the observed value: it is what the server did on a copy of the schema; report the difference so the model learns it',
};

export const TRACE_FAILED_RULE = {
  id: 'trace-failed',
  severity: 'warning' as const,
  title: "plan --trace: the statement failed on the copy of the target's schema",
  why: 'a statement that fails on a copy of the schema will likely fail on the target too, and roll its file back',
  fix: 'read the error; if the copy lacks what the target has (plan --trace names what it could not copy), the statement may still run there',
};

/** What the model says of a row, as the trace compares it. */
export interface Predicted {
  lock: LockMode | null;
  rewrites: boolean;
  scans: boolean;
  indexLock?: LockMode;
  other?: LockMode;
}

/** What the server did, as plan --trace --json gives it. */
export interface Observed extends ObservedRow {
  /** Every lock the statement took on a relation that existed before it. */
  locks: StatementTrace['locks'];
  unpredicted?: StatementTrace['unpredicted'];
  outside?: true;
  error?: string;
  skipped?: string;
}

export interface RowTrace {
  predicted: Predicted;
  observed: Observed;
  mismatch: boolean;
  /** What differs, in words. */
  differences?: string[];
  /** What differs as the model says it does on this server, and why the row stands (`LockForm.traced`). */
  explained?: string[];
}

type Aspect = TracedDifference['aspect'];

interface Difference {
  aspect: Aspect;
  text: string;
}

const EMPTIES_TABLE = new Set(LOCK_FORMS.filter((f) => f.emptiesTable).map((f) => f.statement));
const FORM_OF = new Map(LOCK_FORMS.map((f) => [f.statement, f]));

export function predictedOf(row: StatementLockReport): Predicted {
  return {
    lock: row.lock,
    rewrites: row.rewrites || EMPTIES_TABLE.has(row.form),
    scans: row.scans,
    ...(row.indexLock ? { indexLock: row.indexLock } : {}),
    ...(row.other ? { other: row.other.lock } : {}),
  };
}

const yesNo = (b: boolean | null) => (b === null ? 'not known' : b ? 'yes' : 'no');
const lockText = (l: LockMode | null | undefined) => l ?? 'none';

/** The differences between a row's prediction and the server; none where the row says nothing to compare (a DO block, a table the copy lacks). */
export function differences(row: StatementLockReport, p: Predicted, o: Observed, first: boolean): Difference[] {
  const unnamed = first ? unnamedDifferences(o) : [];
  if (o.error || o.skipped || o.absent || o.on !== undefined || row.table === null || row.notRead) return unnamed;
  const out: Difference[] = [];
  // A mode the transaction held already is not taken again: only a stronger one newly taken would contradict the row.
  const seenAgain = p.lock !== null && o.held?.includes(p.lock) && (o.lock === null || strongest(o.lock, p.lock) === p.lock);
  const unseenOutside = o.outside && p.lock !== null && o.lock === null && !atLeastShareUpdate(p.lock);
  if (o.lock !== p.lock && !seenAgain && !unseenOutside)
    out.push({ aspect: 'lock', text: `lock: plan says ${lockText(p.lock)}, the server took ${lockText(o.lock)}` });
  if (o.rewrites !== p.rewrites)
    out.push({
      aspect: 'rewrites',
      text: `rewrites: plan says ${yesNo(p.rewrites)}, the server ${o.rewrites ? 'gave it a new file node' : 'kept its file node'}`,
    });
  if (o.scans !== null && o.scans !== p.scans)
    out.push({ aspect: 'scans', text: `scans: plan says ${yesNo(p.scans)}, the server ${o.scans ? 'read it' : 'did not read it'}` });
  if (p.indexLock && !o.outside && o.indexLock !== p.indexLock)
    out.push({ aspect: 'lock', text: `lock on its indexes: plan says ${p.indexLock}, the server took ${lockText(o.indexLock)}` });
  if (p.other && !o.outside && o.other !== undefined && o.other !== p.other)
    out.push({ aspect: 'lock', text: `lock on ${present(row.other).table}: plan says ${p.other}, the server took ${lockText(o.other)}` });
  return [...out, ...unnamed];
}

/** Outside a transaction only a wait at SHARE UPDATE EXCLUSIVE or above is seen. */
function atLeastShareUpdate(l: LockMode): boolean {
  return !['ACCESS SHARE', 'ROW SHARE', 'ROW EXCLUSIVE'].includes(l);
}

function unnamedDifferences(o: Observed): Difference[] {
  return (o.unpredicted ?? []).map((u) => ({ aspect: 'unnamed', text: `also ${u.lock} on ${u.relation}, which plan does not name` }));
}

/** The form's named difference that explains `d` on `major`, if any. */
function explanation(row: StatementLockReport, d: Difference, major: number): string | undefined {
  const named = FORM_OF.get(row.form)?.traced?.find(
    (t) => t.aspect === d.aspect && (t.majors?.from ?? 0) <= major && major <= (t.majors?.to ?? Number.POSITIVE_INFINITY),
  );
  return named && `${d.text}: ${named.why}`;
}

/** Each row with its trace on a server of `major`, in the plan's order; rows no trace covers (inside a run of statements alike) keep none. */
export function traceRows(rows: readonly StatementLockReport[], traces: readonly StatementTrace[], major: number): (RowTrace | undefined)[] {
  const byPlace = new Map(traces.map((t) => [`${t.file}:${t.line}:${t.column}`, t]));
  const seen = new Map<string, number>();
  return rows.map((row) => {
    const key = `${row.file}:${row.line}:${row.column}`;
    const t = byPlace.get(key);
    if (!t) return undefined;
    const k = seen.get(key) ?? 0;
    seen.set(key, k + 1);
    const o = t.rows[k] ?? { lock: null, rewrites: false, scans: null };
    const observed: Observed = {
      ...o,
      locks: t.locks,
      ...(k === 0 && t.unpredicted ? { unpredicted: t.unpredicted } : {}),
      ...(t.outside ? { outside: true as const } : {}),
      ...(t.error ? { error: t.error } : {}),
      ...(t.skipped ? { skipped: t.skipped } : {}),
    };
    const predicted = predictedOf(row);
    const found = differences(row, predicted, observed, k === 0);
    const explained = found.map((d) => explanation(row, d, major));
    const diffs = found.filter((_d, j) => explained[j] === undefined).map((d) => d.text);
    const why = explained.filter((e): e is string => e !== undefined);
    return { predicted, observed, mismatch: diffs.length > 0, ...(diffs.length ? { differences: diffs } : {}), ...(why.length ? { explained: why } : {}) };
  });
}

/** The findings of a traced plan: each row that differs, each statement that failed. */
export function traceFindings(rows: readonly StatementLockReport[], traced: readonly (RowTrace | undefined)[]): Finding[] {
  const out: Finding[] = [];
  rows.forEach((row, k) => {
    const t = traced[k];
    if (!t) return;
    const at = { file: row.file, line: row.line, column: row.column };
    if (t.observed.error && (k === 0 || rows[k - 1].line !== row.line || rows[k - 1].file !== row.file)) {
      out.push({
        rule: TRACE_FAILED_RULE.id,
        severity: 'warning',
        ...at,
        message: `the statement failed on the copy: ${t.observed.error}`,
        why: TRACE_FAILED_RULE.why,
        fix: TRACE_FAILED_RULE.fix,
      });
    }
    if (t.mismatch) {
      out.push({
        rule: TRACE_MISMATCH_RULE.id,
        severity: 'warning',
        ...at,
        message: `${row.table ?? 'the statement'}: ${present(t.differences).join('; ')}`,
        why: TRACE_MISMATCH_RULE.why,
        fix: TRACE_MISMATCH_RULE.fix,
      });
    }
  });
  return out;
}
