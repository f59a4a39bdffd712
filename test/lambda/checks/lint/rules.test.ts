/**
 * The rule list itself: every rule module's metadata, its squawk
 * counterparts and its two examples (the SQL that triggers it, and the same
 * change written safely), from which its reference page is generated.
 */
import { describe, expect, it } from 'vitest';
import { LINT_RULES, RULES } from '../../../../lambda/checks/lint';
import { lintAfter } from './pending';

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
    // squawk's rule names, each once: the reference page links each to squawk's documentation.
    for (const name of rule.squawk) expect(name).toMatch(/^[a-z]+(?:-[a-z]+)*$/);
    expect(new Set(rule.squawk).size).toBe(rule.squawk.length);
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

describe('Lint messages: identifiers as the fixes write them', () => {
  // Regression: a Prisma history's messages printed CHECK (secondaryId IS NOT NULL) and INDEX VerificationToken_secondaryId_key bare, though PostgreSQL folds them to lower case; the fixes quoted them.
  it('quotes mixed-case names in messages (quote_ident rules), and leaves lower-case ones bare', async () => {
    const r = await lintAfter(
      'CREATE TABLE "VerificationToken" (token text, "secondaryId" text); CREATE TABLE "User" (id text PRIMARY KEY, "Email" text);',
      [
        'ALTER TABLE "VerificationToken" ALTER COLUMN "secondaryId" SET NOT NULL;',
        'CREATE UNIQUE INDEX "VerificationToken_secondaryId_key" ON "VerificationToken" ("secondaryId");',
        'ALTER TABLE "User" ADD COLUMN "Age" integer NOT NULL;',
        'ALTER TABLE "User" ALTER COLUMN "Email" TYPE varchar(5);',
        'ALTER TABLE "VerificationToken" ADD CONSTRAINT "VT_fk" FOREIGN KEY (token) REFERENCES "User" (id);',
      ].join('\n'),
    );
    expect(r.findings.map((f) => f.message)).toEqual([
      'SET NOT NULL on "VerificationToken"."secondaryId" without a validated CHECK ("secondaryId" IS NOT NULL) first',
      'CREATE UNIQUE INDEX "VerificationToken_secondaryId_key" on existing table "VerificationToken" without CONCURRENTLY',
      'ADD COLUMN "Age" on existing table "User" is NOT NULL without a default: it fails with 23502 on any row already there',
      '"User"."Email": type change from text to character varying(5) rewrites the table',
      'foreign key "VT_fk" is added to existing table "VerificationToken" and validated at once',
    ]);
  });
});
