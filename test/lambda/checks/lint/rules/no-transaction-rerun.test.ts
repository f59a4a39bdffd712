/** Rule no-transaction-rerun: the findings it reports, and what it lets pass. */
import { describe, expect, it } from 'vitest';
import { lint, rules } from '../pending';

const NO_TX = '-- schemaguard:no-transaction\n';
const FIX = `-- file 1 of 1: in place of the statement\n${NO_TX}`;

describe('Rule: no-transaction-rerun', () => {
  // Regression (tester): this file passed lint; after line 3 failed, the rerun failed at line 2, "relation "leads_name_idx" already exists".
  it('reports a named concurrent build without IF NOT EXISTS followed by another statement; the fix adds IF NOT EXISTS', async () => {
    const r = await lint(`${NO_TX}CREATE INDEX CONCURRENTLY leads_name_idx ON leads (name);\nALTER TABLE leads ADD COLUMN IF NOT EXISTS rank int;`);
    expect(r.findings).toMatchObject([
      {
        rule: 'no-transaction-rerun',
        severity: 'warning',
        line: 2,
        message:
          'CREATE INDEX leads_name_idx without IF NOT EXISTS, with statements after it in a no-transaction file: if one of them fails, the rerun starts again from the first line and fails here (42P07)',
        fix: `${FIX}CREATE INDEX CONCURRENTLY IF NOT EXISTS leads_name_idx ON leads (name);`,
      },
    ]);
  });

  it('reports CREATE TABLE and each ADD COLUMN without IF NOT EXISTS, at the column', async () => {
    const r = await lint(
      `${NO_TX}CREATE TABLE app."Notes" (id int);\nALTER TABLE leads ADD COLUMN nickname text, ADD COLUMN IF NOT EXISTS city text, ADD "Note" text;\nSELECT 1;`,
    );
    expect(r.findings.map((f) => [f.rule, f.line, f.column, f.fix])).toEqual([
      ['no-transaction-rerun', 2, 1, `${FIX}CREATE TABLE IF NOT EXISTS app."Notes" (id int);`],
      [
        'no-transaction-rerun',
        3,
        30,
        `${FIX}ALTER TABLE leads ADD COLUMN IF NOT EXISTS nickname text, ADD COLUMN IF NOT EXISTS city text, ADD IF NOT EXISTS "Note" text;`,
      ],
    ]);
    expect(r.findings[1]!.message).toMatch(/^ADD COLUMN nickname, "Note" without IF NOT EXISTS, .* \(42701\)$/);
  });

  it('lets pass the last statement, one file of one statement, IF NOT EXISTS, and a transactional file (rolled back whole)', async () => {
    expect(await rules(`${NO_TX}SELECT 1;\nCREATE INDEX CONCURRENTLY leads_name_idx ON leads (name);`)).toEqual([]);
    expect(
      await rules(
        `${NO_TX}CREATE INDEX CONCURRENTLY IF NOT EXISTS leads_name_idx ON leads (name);\nCREATE INDEX CONCURRENTLY IF NOT EXISTS leads_email_idx ON leads (email);`,
      ),
    ).toEqual([]);
    expect(await rules('CREATE TABLE notes (id int);\nALTER TABLE leads ADD COLUMN rank int;\nSELECT 1;')).toEqual([]);
  });
});
