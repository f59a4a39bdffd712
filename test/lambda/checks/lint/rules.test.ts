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

describe('Lint messages: identifiers as the fixes write them', () => {
  // Regression: a Prisma history's messages printed CHECK (secondaryId IS NOT NULL) and INDEX VerificationToken_secondaryId_key bare, though PostgreSQL folds them to lower case; the fixes quoted them.
  it('quotes mixed-case names in messages (quote_ident rules), and leaves lower-case ones bare', async () => {
    const r = await lintAfter('CREATE TABLE "VerificationToken" (token text, "secondaryId" text); CREATE TABLE "User" (id text PRIMARY KEY, "Email" text);', [
      'ALTER TABLE "VerificationToken" ALTER COLUMN "secondaryId" SET NOT NULL;',
      'CREATE UNIQUE INDEX "VerificationToken_secondaryId_key" ON "VerificationToken" ("secondaryId");',
      'ALTER TABLE "User" ADD COLUMN "Age" integer NOT NULL;',
      'ALTER TABLE "User" ALTER COLUMN "Email" TYPE varchar(5);',
      'ALTER TABLE "VerificationToken" ADD CONSTRAINT "VT_fk" FOREIGN KEY (token) REFERENCES "User" (id);',
    ].join('\n'));
    expect(r.findings.map((f) => f.message)).toEqual([
      'SET NOT NULL on "VerificationToken"."secondaryId" without a validated CHECK ("secondaryId" IS NOT NULL) first',
      'CREATE UNIQUE INDEX "VerificationToken_secondaryId_key" on existing table "VerificationToken" without CONCURRENTLY',
      'ADD COLUMN "Age" on existing table "User" is NOT NULL without a default: it fails with 23502 on any row already there',
      '"User"."Email": type change from text to character varying(5) rewrites the table',
      'foreign key "VT_fk" is added to existing table "VerificationToken" and validated at once',
    ]);
  });
});
