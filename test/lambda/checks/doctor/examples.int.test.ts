/**
 * Each doctor rule's examples, which its reference page shows: the schema it
 * reports on is reported by it and by no other rule, and the schema as it
 * should be by none, on every PostgreSQL the tests run.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { DOCTOR_RULES } from '../../../../lambda/checks/doctor';
import { splitSql } from '../../../../lambda/engine/sql/splitter';
import { dropDatabases, freshDatabase, targets, withClient } from '../../../support/db';
import { findingsOn } from './bad-schema';

afterAll(dropDatabases);

/** A fresh database after `sql`, run as `psql -f` runs a file: statement by statement, going on past a failed one. */
async function databaseAfter(target: (typeof targets)[number], label: string, sql: string): Promise<string> {
  const url = await freshDatabase(target, label);
  await withClient(url, async (c) => {
    for (const s of splitSql(sql)) await c.query(s.text).catch(() => undefined);
  });
  return url;
}

const withExamples = DOCTOR_RULES.filter((r) => r.examples).map((r) => [r.id, r] as const);

describe('Constant: DOCTOR_RULES, examples', () => {
  it('every rule has them but log-language, whose state needs a server with a locale other than English', () => {
    expect(DOCTOR_RULES.filter((r) => !r.examples).map((r) => r.id)).toEqual(['log-language']);
  });
});

describe.each(targets)('Doctor rule examples on $name', (target) => {
  it.each(withExamples)('%s: its "finds" schema is reported by it alone', async (id, rule) => {
    const findings = await findingsOn(await databaseAfter(target, `doctor_example_${id.replace(/-/g, '_')}`, rule.examples!.finds));
    expect(findings.length).toBeGreaterThan(0);
    expect(findings.map((f) => f.rule)).toEqual(findings.map(() => id));
  });

  it.each(withExamples)('%s: its "passes" schema is reported by no rule', async (id, rule) => {
    const findings = await findingsOn(await databaseAfter(target, `doctor_example_ok_${id.replace(/-/g, '_')}`, rule.examples!.passes));
    expect(findings.map((f) => `${f.rule}: ${f.message}`)).toEqual([]);
  });
});
