import { describe, expect, it } from 'vitest';
import { form } from '../../../../lambda/checks/locks/forms';
import type { StatementLockReport } from '../../../../lambda/checks/locks/plan-locks';
import { TRACE_FAILED_RULE, TRACE_MISMATCH_RULE, traceFindings, traceRows } from '../../../../lambda/checks/trace/compare';
import type { ObservedRow, StatementTrace } from '../../../../lambda/checks/trace/run-files';

function row(formId: string, extra: Partial<StatementLockReport> = {}): StatementLockReport {
  const f = form(formId);
  return {
    file: '2_x.sql',
    version: 2,
    line: 1,
    column: 1,
    statement: f.example,
    form: f.statement,
    lock: f.lock ?? null,
    table: 'public.t',
    rows: 10,
    bytes: 8192,
    rewrites: f.rewrites,
    scans: f.scans,
    ...extra,
  };
}

function trace(observed: Partial<ObservedRow>, extra: Partial<StatementTrace> = {}): StatementTrace {
  return { file: '2_x.sql', line: 1, column: 1, locks: [], rows: [{ lock: null, rewrites: false, scans: false, ...observed }], ...extra };
}

describe('Function: traceRows', () => {
  it('agrees where the server took the lock, rewrite and scan plan predicts', () => {
    const [t] = traceRows([row('add-column')], [trace({ lock: 'ACCESS EXCLUSIVE' })], 18);
    expect(t).toMatchObject({ predicted: { lock: 'ACCESS EXCLUSIVE', rewrites: false, scans: false }, mismatch: false });
  });

  it('names each difference: the lock, the rewrite and the scan', () => {
    const [t] = traceRows([row('set-statistics')], [trace({ lock: 'ACCESS EXCLUSIVE', rewrites: true, scans: true })], 18);
    expect(t).toMatchObject({
      mismatch: true,
      differences: [
        'lock: plan says SHARE UPDATE EXCLUSIVE, the server took ACCESS EXCLUSIVE',
        'rewrites: plan says no, the server gave it a new file node',
        'scans: plan says no, the server read it',
      ],
    });
  });

  it('reads a lock the transaction held already as not taken again, unless a stronger one is taken', () => {
    const held = traceRows([row('create-index')], [trace({ lock: null, held: ['ACCESS EXCLUSIVE', 'SHARE'], scans: true })], 18);
    expect(held[0]).toMatchObject({ mismatch: false });
    const stronger = traceRows([row('create-index')], [trace({ lock: 'ACCESS EXCLUSIVE', held: ['SHARE'], scans: true })], 18);
    expect(stronger[0]).toMatchObject({ mismatch: true, differences: ['lock: plan says SHARE, the server took ACCESS EXCLUSIVE'] });
  });

  it('explains a difference the model names for that form (TRUNCATE reads its new, empty file), and no other', () => {
    const [t] = traceRows([row('truncate')], [trace({ lock: 'ACCESS EXCLUSIVE', rewrites: true, scans: true })], 15);
    expect(t).toMatchObject({
      mismatch: false,
      explained: [expect.stringMatching(/^scans: plan says no, the server read it: the scan counter counts the rebuild/)],
    });
  });

  it('compares nothing for a DO block, a table the copy lacks, or a statement that failed or did not run', () => {
    const code = { ...row('code'), lock: null, table: null, notRead: true as const };
    const rows = traceRows(
      [code, row('add-column', { line: 2 }), row('add-column', { line: 3 }), row('add-column', { line: 4 })],
      [
        trace({ lock: 'ACCESS EXCLUSIVE', on: 'public.t' }),
        trace({ absent: true }, { line: 2 }),
        trace({}, { line: 3, error: '42P01: relation "t" does not exist' }),
        trace({}, { line: 4, skipped: 'not run: an earlier statement failed' }),
      ],
      18,
    );
    expect(rows.map((r) => r?.mismatch)).toEqual([false, false, false, false]);
    expect(traceFindings([code, row('add-column', { line: 2 }), row('add-column', { line: 3 }), row('add-column', { line: 4 })], rows)).toEqual([
      expect.objectContaining({ rule: TRACE_FAILED_RULE.id, line: 3, message: 'the statement failed on the copy: 42P01: relation "t" does not exist' }),
    ]);
  });

  it('reports a lock that blocks writes on a table no row names, once per statement', () => {
    const rows = [row('drop-table'), row('drop-table', { table: 'public.t2' })];
    const traced = traceRows(
      rows,
      [
        {
          ...trace({ lock: 'ACCESS EXCLUSIVE' }),
          rows: [
            { lock: 'ACCESS EXCLUSIVE', rewrites: false, scans: false },
            { lock: 'ACCESS EXCLUSIVE', rewrites: false, scans: false },
          ],
          unpredicted: [{ relation: 'public.mv', lock: 'ACCESS EXCLUSIVE' }],
        },
      ],
      18,
    );
    expect(traced.map((t) => t?.differences)).toEqual([['also ACCESS EXCLUSIVE on public.mv, which plan does not name'], undefined]);
    expect(traceFindings(rows, traced)).toEqual([
      expect.objectContaining({
        rule: TRACE_MISMATCH_RULE.id,
        severity: 'warning',
        message: 'public.t: also ACCESS EXCLUSIVE on public.mv, which plan does not name',
      }),
    ]);
  });
});
