/** Rule renaming-table: the findings it reports, and what it lets pass. */
import { describe, expect, it } from 'vitest';
import { lint, lintAfter, rules } from '../pending';

describe('Rule: renaming-table', () => {
  it('reports RENAME TO of an existing table, naming the old name', async () => {
    const r = await lint('CREATE TABLE notes (id int);\nALTER TABLE leads RENAME TO customers;');
    expect(r.findings).toMatchObject([{ rule: 'renaming-table', severity: 'error', file: '2_pending.sql', line: 2, column: 1 }]);
    expect(r.findings[0]!.message).toBe(
      'RENAME TO customers of existing table leads: the running application still names it leads, and fails with 42P01 until its new version has replaced it',
    );
  });
  it('fix: the rename with a view under the old name in the same transaction, the view dropped in a later migration', async () => {
    const fix = (await lint('ALTER TABLE leads RENAME TO customers;')).findings[0]!.fix;
    expect(fix).toContain(
      ['-- file 1 of 2: in place of the statement', 'ALTER TABLE leads RENAME TO customers;', 'CREATE VIEW leads AS SELECT * FROM customers;'].join('\n'),
    );
    expect(fix).toContain('-- or: a new table customers that both versions write');
    expect(fix).toContain('-- file 2 of 2: a later migration\n-- once no running code names leads\nDROP VIEW leads;');
  });
  it('reports SET SCHEMA, saying which schema it leaves; its view stays in the old schema', async () => {
    const r = await lint('ALTER TABLE leads SET SCHEMA app;');
    expect(r.findings[0]!.message).toBe(
      'SET SCHEMA app moves existing table leads out of schema public: the running application that names it public.leads, or finds it through a search_path without app, fails with 42P01 until its new version has replaced it',
    );
    expect(r.findings[0]!.fix).toContain('ALTER TABLE leads SET SCHEMA app;\nCREATE VIEW public.leads AS SELECT * FROM app.leads;');
  });
  it('reports existing views and materialized views, each as what it is', async () => {
    const existing = 'CREATE VIEW v AS SELECT 1 AS x;\nCREATE MATERIALIZED VIEW m AS SELECT 1 AS x;';
    const r = await lintAfter(existing, 'ALTER VIEW v RENAME TO w;\nALTER MATERIALIZED VIEW m RENAME TO n;');
    expect(r.findings.map((f) => f.message.split(':')[0])).toEqual(['RENAME TO w of existing view v', 'RENAME TO n of existing materialized view m']);
    expect(r.findings[1]!.fix).toContain('-- the running code reads through it; a REFRESH MATERIALIZED VIEW of the old name fails');
  });
  it.each([
    ['a table created in the same file', 'CREATE TABLE t (a int);\nALTER TABLE t RENAME TO u;'],
    [
      'a table created in an earlier pending file, renamed twice and moved',
      'CREATE TABLE t (a int);',
      'ALTER TABLE t RENAME TO u;\nALTER TABLE u RENAME TO w;\nALTER TABLE w SET SCHEMA app;',
    ],
    ['a view created in the pending set', 'CREATE VIEW v AS SELECT 1 AS x;\nALTER VIEW v RENAME TO w;'],
    ['a materialized view created in the pending set', 'CREATE MATERIALIZED VIEW m AS SELECT 1 AS x;\nALTER MATERIALIZED VIEW m RENAME TO n;'],
    ['ALTER INDEX … RENAME', 'ALTER INDEX leads_pkey RENAME TO leads_key;'],
  ])('does not report %s', async (_what, ...sql) => {
    expect((await rules(...sql)).filter((r) => r === 'renaming-table')).toEqual([]);
  });
  it('reports only the first rename of an existing table: the running code does not know its later names', async () => {
    const r = await lint('ALTER TABLE leads RENAME TO customers;\nALTER TABLE customers RENAME TO clients;\nALTER TABLE clients SET SCHEMA app;');
    expect(r.findings.map((f) => [f.rule, f.line])).toEqual([['renaming-table', 1]]);
  });
  it('a swap in one transaction: not the table whose name is taken again, only the existing table that takes it', async () => {
    const r = await lint('ALTER TABLE leads RENAME TO leads_old;\nALTER TABLE purchases RENAME TO leads;');
    expect(r.findings.map((f) => [f.rule, f.line])).toEqual([['renaming-table', 2]]);
    expect(await rules('CREATE TABLE leads_new (id uuid);\nALTER TABLE leads RENAME TO leads_old;\nALTER TABLE leads_new RENAME TO leads;')).toEqual([]);
    expect(
      await rules(
        'CREATE SCHEMA archive;\nALTER TABLE leads SET SCHEMA archive;\nALTER TABLE archive.leads RENAME TO old_leads;\nCREATE TABLE archive.x (a int);\nALTER TABLE archive.x SET SCHEMA public;\nALTER TABLE x RENAME TO leads;',
      ),
    ).toEqual([]);
  });
  it('does not report a name taken again in the same transaction by a view, a table or a materialized view', async () => {
    for (const create of [
      'CREATE VIEW leads AS SELECT * FROM leads_old;',
      'CREATE TABLE leads (id uuid);',
      'CREATE TABLE leads AS SELECT * FROM leads_old;',
      'CREATE MATERIALIZED VIEW public.leads AS SELECT * FROM leads_old;',
    ]) {
      expect(await rules(`ALTER TABLE leads RENAME TO leads_old;\n${create}`), create).toEqual([]);
    }
  });
  it('reports what is taken again only in a later file, or in a no-transaction file (each statement commits on its own: the name is missing in between)', async () => {
    expect(await rules('ALTER TABLE leads RENAME TO leads_old;', 'CREATE VIEW leads AS SELECT * FROM leads_old;')).toEqual(['renaming-table']);
    expect(await rules('-- schemaguard:no-transaction\nALTER TABLE leads RENAME TO leads_old;\nALTER TABLE purchases RENAME TO leads;')).toEqual([
      'renaming-table',
      'renaming-table',
    ]);
  });
  it('is silenced by an allow with a reason, kept as allowed', async () => {
    const r = await lint(
      '-- schemaguard:allow renaming-table only the batch job reads leads, and it is stopped for this release\nALTER TABLE leads RENAME TO customers;',
    );
    expect(r.findings).toEqual([]);
    expect(r.allowed).toMatchObject([{ rule: 'renaming-table', allowed: { line: 1 } }]);
  });
});
