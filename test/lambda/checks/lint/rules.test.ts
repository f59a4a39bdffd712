/**
 * The rule list itself: every rule module's metadata, its two examples (the
 * SQL that triggers it, and the same change written safely), and README's
 * table, which must list the same rules with the same severities and squawk
 * counterparts.
 */
import { describe, expect, it } from 'vitest';
import { LINT_RULES, RULES } from '../../../../lambda/checks/lint';
import { readmeTableRows } from '../../../support/readme';
import { lintAfter } from './pending';

const readmeRows = () => readmeTableRows('| rule | severity | squawk | fires on | safe rewrite |');
const byId = LINT_RULES.map((r) => [r.id, r] as const);

describe('Constant: LINT_RULES', () => {
  it('holds each id once, and RULES describes the same rules in the same order', () => {
    expect(new Set(LINT_RULES.map((r) => r.id)).size).toBe(LINT_RULES.length);
    expect(RULES.map((r) => r.id)).toEqual(LINT_RULES.map((r) => r.id));
  });

  it.each(byId)('%s has its severity, title, one-line why and fix, and its examples', (_id, rule) => {
    expect(['error', 'warning']).toContain(rule.severity);
    for (const text of [rule.title, rule.why, rule.fix]) {
      expect(text.length).toBeGreaterThan(10);
      expect(text).not.toContain('\n');
    }
    expect(rule.examples.triggers.trim()).not.toBe('');
    expect(rule.examples.passes.trim()).not.toBe('');
  });

  it.each(byId)('%s: its triggering example is reported by it, and by no other rule', async (id, rule) => {
    const r = await lintAfter(rule.examples.existing, rule.examples.triggers);
    expect(r.findings.length).toBeGreaterThan(0);
    expect(r.findings.map((f) => f.rule)).toEqual(r.findings.map(() => id));
  });

  it.each(byId)('%s: its passing example is reported by no rule', async (_id, rule) => {
    expect((await lintAfter(rule.examples.existing, rule.examples.passes)).findings).toEqual([]);
  });
});

describe('README: the lint table', () => {
  it('has a row for every rule, and no other, in order', () => {
    expect(readmeRows().map((r) => /^`([^`]+)`$/.exec(r[0]!)?.[1])).toEqual(LINT_RULES.map((r) => r.id));
  });

  it.each(byId)('%s: its row gives its severity and the squawk rules it matches', (id, rule) => {
    const row = readmeRows().find((r) => r[0] === `\`${id}\``)!;
    expect(row[1]!.split(' ')[0]).toBe(rule.severity);
    const squawk = row[2] === 'none' ? [] : row[2]!.split(', ').map((c) => /^`([^`]+)`$/.exec(c)?.[1]);
    expect(squawk).toEqual([...rule.squawk]);
  });
});
