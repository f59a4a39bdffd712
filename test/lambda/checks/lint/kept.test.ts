/** Findings kept per rule per file: the first 100, the rest counted (a file of 1.5 million findings crashed lint). */
import { describe, expect, it } from 'vitest';
import { allowedCount, allowedOmittedLine, FINDINGS_KEPT_PER_RULE, lintCounts, omittedLine } from '../../../../lambda/checks/lint';
import { lint } from './pending';

const RESETS = 'RESET ALL;\n'.repeat(5000);

describe('Function: lintMigrations with many findings', () => {
  // Regression: "Maximum call stack size exceeded" (exit 1, a crash) on a 16 MiB file of RESET ALL lines.
  it('keeps the first 100 findings of a rule in a file and counts the other 4,900 exactly', async () => {
    const r = await lint(RESETS, 'RESET ALL;\nCREATE INDEX leads_name ON leads (name);');
    const first = r.findings.filter((f) => f.file === '2_pending.sql');
    expect(FINDINGS_KEPT_PER_RULE).toBe(100);
    expect(first).toHaveLength(100);
    expect(first.map((f) => f.line)).toEqual(Array.from({ length: 100 }, (_, k) => k + 1));
    expect(r.omitted).toEqual([{ file: '2_pending.sql', rule: 'lock-timeout-disabled', errors: 4900, warnings: 0 }]);
    // The next file starts its own count, and other rules keep theirs.
    expect(r.findings.filter((f) => f.file === '3_pending.sql').map((f) => f.rule)).toEqual(['lock-timeout-disabled', 'index-not-concurrent']);
    expect(lintCounts(r)).toEqual({ errors: 5002, warnings: 0 });
    expect(omittedLine(r.omitted[0]!)).toBe('… and 4900 more lock-timeout-disabled findings in 2_pending.sql');
  });

  it('still applies an allow directive to a statement past the cap, and reports an unused one', async () => {
    const lines = RESETS.split('\n');
    lines.splice(3000, 0, '-- schemaguard:allow lock-timeout-disabled the pool resets it anyway');
    const r = await lint(`${lines.join('\n')}-- schemaguard:allow dropping-table nothing to drop\n`);
    expect(r.allowed).toMatchObject([{ rule: 'lock-timeout-disabled', line: 3002, allowed: { line: 3001 } }]);
    expect(r.findings.filter((f) => f.rule === 'lock-timeout-disabled')).toHaveLength(100);
    expect(r.findings.filter((f) => f.rule === 'unused-allow')).toHaveLength(1);
    expect(r.omitted).toEqual([{ file: '2_pending.sql', rule: 'lock-timeout-disabled', errors: 4899, warnings: 0 }]);
    expect(lintCounts(r)).toEqual({ errors: 4999, warnings: 1 });
  });

  it('caps the findings of a rule an allow directive names, past the statement it silences', async () => {
    const r = await lint(`-- schemaguard:allow lock-timeout-disabled the pool resets it anyway\n${RESETS}`);
    expect(r.allowed).toMatchObject([{ rule: 'lock-timeout-disabled', line: 2 }]);
    expect(r.findings.map((f) => f.line)).toEqual(Array.from({ length: 100 }, (_, k) => k + 3));
    expect(r.omitted).toEqual([{ file: '2_pending.sql', rule: 'lock-timeout-disabled', errors: 4899, warnings: 0 }]);
  });

  // Regression: every allowed finding was kept; with an allow before each statement, a file held one per statement and took minutes (each finding was checked against every directive).
  it('keeps the first 100 allowed findings of a rule in a file and counts the others exactly', async () => {
    const r = await lint('-- schemaguard:allow lock-timeout-disabled the pool resets it anyway\nRESET ALL;\n'.repeat(5000));
    expect(r.findings).toEqual([]);
    expect(r.allowed.map((a) => [a.line, a.allowed.line])).toEqual(Array.from({ length: 100 }, (_, k) => [2 * k + 2, 2 * k + 1]));
    expect(r.allowedOmitted).toEqual([{ file: '2_pending.sql', rule: 'lock-timeout-disabled', errors: 4900, warnings: 0 }]);
    expect(allowedCount(r)).toBe(5000);
    expect(allowedOmittedLine(r.allowedOmitted[0]!)).toBe('… and 4900 more allowed lock-timeout-disabled findings in 2_pending.sql');
    expect(lintCounts(r)).toEqual({ errors: 0, warnings: 0 });
  });
});
