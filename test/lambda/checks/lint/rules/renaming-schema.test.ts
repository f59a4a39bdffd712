/** Rule renaming-schema: the findings it reports, and what it lets pass. */
import { describe, expect, it } from 'vitest';
import { lintAfter } from '../pending';

const BILLING =
  'CREATE SCHEMA billing;\nCREATE TABLE billing.invoices (id bigint PRIMARY KEY);\nCREATE TABLE billing.payments (id bigint PRIMARY KEY);\nCREATE VIEW billing.open_invoices AS SELECT * FROM billing.invoices;';

async function rulesAfter(existing: string, ...pending: string[]): Promise<string[]> {
  return (await lintAfter(existing, ...pending)).findings.map((f) => f.rule);
}

describe('Rule: renaming-schema', () => {
  it('reports RENAME TO of an existing schema, naming the relations the running code loses', async () => {
    const r = await lintAfter(BILLING, 'SELECT 1;\nALTER SCHEMA billing RENAME TO accounts;');
    expect(r.findings).toMatchObject([{ rule: 'renaming-schema', severity: 'error', file: '2_pending.sql', line: 2 }]);
    expect(r.findings[0]!.message).toBe(
      'RENAME TO accounts of existing schema billing: the running application that names billing.invoices, billing.open_invoices, billing.payments, or finds them through a search_path with billing, fails with 42P01 (3F000 for its functions) until its new version has replaced it',
    );
  });

  it('fix: the old schema again with a view of each relation, dropped in a later migration', async () => {
    const fix = (await lintAfter(BILLING, 'ALTER SCHEMA billing RENAME TO accounts;')).findings[0]!.fix;
    expect(fix).toContain(
      [
        '-- file 1 of 2: in place of the statement',
        'ALTER SCHEMA billing RENAME TO accounts;',
        'CREATE SCHEMA billing;',
        'CREATE VIEW billing.invoices AS SELECT * FROM accounts.invoices;',
        'CREATE VIEW billing.open_invoices AS SELECT * FROM accounts.open_invoices;',
        'CREATE VIEW billing.payments AS SELECT * FROM accounts.payments;',
      ].join('\n'),
    );
    expect(fix).toContain('grant its role USAGE on the schema');
    expect(fix).toContain('DROP VIEW billing.payments;\nDROP SCHEMA billing;');
  });

  it('names "and N more" past three relations, and says what to do when lint knows none', async () => {
    const more = await lintAfter(`${BILLING}\nCREATE TABLE billing.refunds (id int);`, 'ALTER SCHEMA billing RENAME TO accounts;');
    expect(more.findings[0]!.message).toContain('names billing.invoices, billing.open_invoices, billing.payments and 1 more,');
    const unknown = await lintAfter(undefined, 'ALTER SCHEMA "Legacy" RENAME TO legacy;');
    expect(unknown.findings[0]!.message).toContain(
      'RENAME TO legacy of existing schema "Legacy": the running application that names its tables and functions as "Legacy".name,',
    );
    expect(unknown.findings[0]!.fix).toContain(
      'CREATE SCHEMA "Legacy";\n-- CREATE VIEW "Legacy".<table> AS SELECT * FROM legacy.<table>; for each table and view the running code names (lint knows none in "Legacy")',
    );
  });

  it.each([
    ['a schema created in the same file', undefined, ['CREATE SCHEMA fresh;\nCREATE TABLE fresh.t (a int);\nALTER SCHEMA fresh RENAME TO stale;']],
    [
      'a schema created by an earlier pending file, renamed twice',
      undefined,
      ['CREATE SCHEMA fresh;', 'ALTER SCHEMA fresh RENAME TO stale;\nALTER SCHEMA stale RENAME TO old;'],
    ],
    [
      'a swap: another schema renamed into the old name in the same transaction',
      BILLING,
      ['CREATE SCHEMA billing_v2;\nALTER SCHEMA billing RENAME TO billing_old;\nALTER SCHEMA billing_v2 RENAME TO billing;'],
    ],
    [
      'the old schema made again with its views in the same transaction',
      BILLING,
      ['ALTER SCHEMA billing RENAME TO accounts;\nCREATE SCHEMA billing;\nCREATE VIEW billing.invoices AS SELECT * FROM accounts.invoices;'],
    ],
  ])('does not report %s', async (_what, existing, pending) => {
    expect(await rulesAfter(existing as string, ...pending)).toEqual([]);
  });

  it('reports the rename in a no-transaction file at once: the old name is missing from its commit on', async () => {
    const r = await lintAfter(BILLING, '-- schemaguard:no-transaction\nALTER SCHEMA billing RENAME TO accounts;\nCREATE SCHEMA billing;');
    expect(r.findings.map((f) => f.rule)).toEqual(['renaming-schema']);
  });

  it('the tables of the renamed schema keep what they are: a later rename of one is not reported again', async () => {
    const r = await lintAfter(BILLING, 'ALTER SCHEMA billing RENAME TO accounts;\nALTER TABLE accounts.invoices RENAME TO bills;');
    expect(r.findings.map((f) => f.rule)).toEqual(['renaming-schema']);
  });
});
