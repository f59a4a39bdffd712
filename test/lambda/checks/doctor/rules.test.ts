/** The rule list itself: what a reader (and README) learns about each rule before running one. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DOCTOR_RULES } from '../../../../lambda/checks/doctor';
import { ROOT } from '../../../support/cli';

describe('Constant: DOCTOR_RULES', () => {
  it('holds the ten rules, each id once, in report order', () => {
    expect(DOCTOR_RULES.map((r) => r.id)).toEqual([
      'pk-without-default', 'sequence-behind', 'fk-missing', 'fk-type-mismatch', 'fk-without-index', 'invalid-index', 'constraint-not-validated', 'extension-missing', 'replication-role-replica', 'log-language',
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
    expect(readmeDoctorRows().map((r) => r.id)).toEqual(DOCTOR_RULES.map((r) => r.id));
  });

  it.each(DOCTOR_RULES.map((r) => [r.id, r] as const))('README names the squawk rule %s corresponds to, or says none does', (id, rule) => {
    const row = readmeDoctorRows().find((r) => r.id === id)!;
    expect(row.squawk.startsWith(rule.squawk ? `\`${rule.squawk}\`` : 'none')).toBe(true);
  });
});

/** README's doctor table: each row's rule id and its squawk cell. */
function readmeDoctorRows(): { id: string | undefined; squawk: string }[] {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const table = readme.slice(readme.indexOf('| finding | severity | fix it gives | squawk |'));
  const lines = table.split('\n').slice(2);
  return lines.slice(0, lines.findIndex((l) => !l.startsWith('|'))).map((l) => {
    const cells = l.split(' | ');
    return { id: /^\| `([^`]+)`/.exec(l)?.[1], squawk: cells[cells.length - 1]!.replace(/ \|$/, '') };
  });
}
