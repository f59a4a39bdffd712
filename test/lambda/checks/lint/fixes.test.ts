/**
 * Every fix a rule prints is itself SQL that lint passes: each case below
 * triggers one of the fix texts a rule can print (every branch of every
 * rule), and the fix is linted as the migration files it describes, after
 * the same existing tables: all pending at once, and each file in a release
 * of its own (the earlier files applied when a later one is linted).
 */
import { describe, expect, it } from 'vitest';
import { fixFiles } from '../../../../lambda/checks/lint/fix';
import { LINT_RULES, lintMigrations, lintSourceFromText } from '../../../../lambda/checks/lint';
import { formatFinding } from '../../../../lambda/checks/findings/finding';
import { FIX_CASES, TABLES } from './fix-cases';
import { lintAfter } from './pending';

describe('Fixes: every fix a rule prints passes lint', () => {
  it('the cases cover every rule', () => {
    expect(new Set(FIX_CASES.map((c) => c.rule))).toEqual(new Set(LINT_RULES.map((r) => r.id)));
  });

  it.each(FIX_CASES)('$rule ($what)', async ({ rule, sql }) => {
    const findings = (await lintAfter(TABLES, sql)).findings.filter((f) => f.rule === rule);
    expect(findings.length, `${rule} does not fire on: ${sql}`).toBeGreaterThan(0);
    for (const f of findings) {
      const files = fixFiles(f.fix);
      const again = await lintAfter(TABLES, ...files);
      expect(again.findings.map(formatFinding), `the fix of:\n${formatFinding(f)}`).toEqual([]);
    }
  });

  it.each(FIX_CASES)('$rule ($what), its files released one at a time', async ({ rule, sql }) => {
    const findings = (await lintAfter(TABLES, sql)).findings.filter((f) => f.rule === rule);
    for (const f of findings) {
      const files = fixFiles(f.fix);
      for (let k = 1; k < files.length; k++) {
        const sources = [
          lintSourceFromText('1_existing.sql', TABLES, true),
          ...files.slice(0, k).map((text, j) => lintSourceFromText(`${j + 2}_released.sql`, text, true)),
          ...files.slice(k).map((text, j) => lintSourceFromText(`${k + j + 2}_pending.sql`, text)),
        ];
        const again = await lintMigrations(sources);
        expect(again.findings.map(formatFinding), `the fix of:\n${formatFinding(f)}\nfrom its file ${k + 1} on`).toEqual([]);
      }
    }
  });
});
