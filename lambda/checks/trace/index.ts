/**
 * `plan --trace`: the pending files run on a copy of the target's schema
 * without its rows (`copy.ts`), statement by statement (`run-files.ts`), and
 * each plan row beside what the server did (`compare.ts`). The copy is a
 * database of its own that the caller makes and drops; the target is only
 * read, for its catalog.
 */
import type { Queryable, Session } from '../../engine/ports';
import type { Migration } from '../../engine/files/source';
import type { Finding } from '../findings/finding';
import type { LockPlan } from '../locks/plan-locks';
import { makeCopy, schemaStatements, type CopyResult } from './copy';
import { traceFindings, traceRows, type RowTrace } from './compare';
import { runFiles, type CopyConnection } from './run-files';

export { TRACE_FAILED_RULE, TRACE_MISMATCH_RULE, type Observed, type Predicted, type RowTrace } from './compare';
export type { CopyConnection } from './run-files';
export type { CopyResult } from './copy';

export interface TraceOptions {
  /** The copy: an empty database of its own, thrown away after. */
  copy: CopyConnection;
  /** The database whose schema is copied (the target). @default - none: the copy starts empty, as the files do offline */
  source?: Queryable | Session;
  /** schemaguard's state schema on the source, not copied. @default 'schemaguard' */
  stateSchema?: string;
}

export interface PlanTrace {
  /** The copy server's major version. */
  major: number;
  copied: CopyResult;
  /** One per `plan.statements` entry; undefined for a row no statement of its own stands for (inside a run of statements alike). */
  rows: (RowTrace | undefined)[];
  /** A finding per row that differs and per statement that failed on the copy. */
  findings: Finding[];
}

/** Copies the schema, runs `pending` on the copy and compares each row of `plan` (predicted for the copy server's major) with it. */
export async function tracePlan(plan: LockPlan, pending: readonly Migration[], options: TraceOptions): Promise<PlanTrace> {
  const copied = options.source
    ? await makeCopy(options.copy.session, await schemaStatements(options.source, options.stateSchema))
    : { made: 0, notCopied: [] };
  const traces = await runFiles(options.copy, pending, plan.statements);
  const rows = traceRows(plan.statements, traces, options.copy.major);
  return { major: options.copy.major, copied, rows, findings: traceFindings(plan.statements, rows) };
}
