/** The rule list itself: what a reader (and the rule's reference page) learns about each rule before running one. */
import { describe, expect, it } from 'vitest';
import { DOCTOR_RULES } from '../../../../lambda/checks/doctor';

describe('Constant: DOCTOR_RULES', () => {
  it('holds the ten rules, each id once, in report order', () => {
    expect(DOCTOR_RULES.map((r) => r.id)).toEqual([
      'pk-without-default',
      'sequence-behind',
      'fk-missing',
      'fk-type-mismatch',
      'fk-without-index',
      'invalid-index',
      'constraint-not-validated',
      'extension-missing',
      'replication-role-replica',
      'log-language',
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

  it.each(DOCTOR_RULES.map((r) => [r.id, r] as const))('%s names the squawk rule nearest to it, or none', (_id, rule) => {
    if (rule.squawk !== undefined) expect(rule.squawk).toMatch(/^[a-z]+(?:-[a-z]+)*$/);
  });
});
