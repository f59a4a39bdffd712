/** The rule list itself: what a reader (and README) learns about each rule before running one. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DOCTOR_RULES } from '../../../../lambda/checks/doctor';
import { ROOT } from '../../../support/cli';

describe('Constant: DOCTOR_RULES', () => {
  it('holds the six rules, each id once, in report order', () => {
    expect(DOCTOR_RULES.map((r) => r.id)).toEqual([
      'pk-without-default', 'fk-missing', 'fk-type-mismatch', 'invalid-index', 'constraint-not-validated', 'extension-missing',
    ]);
  });

  it.each(DOCTOR_RULES.map((r) => [r.id, r] as const))('%s has its severity, title, one-line why and fix beside its check', (_id, rule) => {
    expect(['error', 'warning']).toContain(rule.severity);
    for (const text of [rule.title, rule.why, rule.fix]) {
      expect(text.length).toBeGreaterThan(10);
      expect(text).not.toContain('\n');
    }
    expect(typeof rule.check).toBe('function');
  });

  it('README\'s doctor table has a row for every rule, and no other', () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    const table = readme.slice(readme.indexOf('| finding | severity | fix it gives |'));
    const lines = table.split('\n').slice(2);
    const rows = lines.slice(0, lines.findIndex((l) => !l.startsWith('|'))).map((l) => /^\| `([^`]+)`/.exec(l)?.[1]);
    expect(rows).toEqual(DOCTOR_RULES.map((r) => r.id));
  });
});
