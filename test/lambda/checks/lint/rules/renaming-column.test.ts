/** Rule renaming-column: the findings it reports, and what it lets pass. */
import { describe, expect, it } from 'vitest';
import { lint, lintAfter, rules } from '../pending';

describe('Rule: renaming-column', () => {
  it('reports RENAME COLUMN on an existing table, naming the old column', async () => {
    const r = await lint('CREATE TABLE notes (id int);\nALTER TABLE leads RENAME COLUMN name TO full_name;');
    expect(r.findings).toMatchObject([{ rule: 'renaming-column', severity: 'error', file: '2_pending.sql', line: 2, column: 1 }]);
    expect(r.findings[0]!.message).toBe(
      'RENAME COLUMN name TO full_name on existing table leads: the running application still names leads.name, and fails with 42703 until its new version has replaced it',
    );
  });
  it('fix: the new column of the same type in place of the statement, the old one dropped in a later migration', async () => {
    const fix = (await lint('ALTER TABLE leads RENAME COLUMN code TO referral_code;')).findings[0]!.fix;
    expect(fix).toContain(
      '-- file 1 of 2: in place of the statement\nALTER TABLE leads ADD COLUMN referral_code character varying(20);\n-- then deploy code that writes both code and referral_code',
    );
    expect(fix).toContain('-- or, when no running code names leads.code: the RENAME alone, after an allow directive for renaming-column');
    expect(fix).toContain(
      '-- file 2 of 2: a later migration\n-- once no running code names code\n-- schemaguard:allow dropping-column no running code names leads.code any more\nALTER TABLE leads DROP COLUMN code;',
    );
  });
  it('fix: a NOT NULL column is proven NOT NULL again by a validated CHECK; an unknown type is left to the reader', async () => {
    expect((await lintAfter('CREATE TABLE t (a int NOT NULL);', 'ALTER TABLE t RENAME a TO b;')).findings[0]!.fix).toContain(
      '-- b NOT NULL like a: once backfilled, through a validated CHECK',
    );
    expect((await lint('ALTER TABLE elsewhere RENAME COLUMN a TO b;')).findings[0]!.fix).toContain(
      '-- ALTER TABLE elsewhere ADD COLUMN b <the type of a>;  (the type of a is not known from the migrations)',
    );
  });
  it('fix: a primary key column moves the key first; a partition key column cannot be replaced, so keep its name', async () => {
    expect((await lint('ALTER TABLE leads RENAME COLUMN id TO lead_id;')).findings[0]!.fix).toContain('-- id is in the primary key: build the key on lead_id');
    const partitioned = 'CREATE TABLE ledger (id bigint, at date NOT NULL) PARTITION BY RANGE (at);';
    expect((await lintAfter(partitioned, 'ALTER TABLE ledger RENAME COLUMN at TO booked_on;')).findings[0]!.fix).toMatch(
      /^-- at is in the partition key of ledger: PostgreSQL drops no key column/,
    );
  });
  it("reports a column of an existing view, with advice instead of SQL (lint does not know the view's query)", async () => {
    const r = await lintAfter('CREATE VIEW lead_names AS SELECT 1 AS name;', 'ALTER VIEW lead_names RENAME COLUMN name TO full_name;');
    expect(r.findings).toMatchObject([{ rule: 'renaming-column', message: expect.stringContaining('on existing view lead_names') }]);
    expect(r.findings[0]!.fix).toMatch(/^-- give lead_names both names \(…, name, name AS full_name: CREATE OR REPLACE VIEW may add it at the end\)/);
  });
  it('quotes names that need it', async () => {
    const r = await lintAfter('CREATE SCHEMA app;\nCREATE TABLE app."Accounts" ("Name" text);', 'ALTER TABLE app."Accounts" RENAME COLUMN "Name" TO "user";');
    expect(r.findings[0]!.message).toContain('RENAME COLUMN "Name" TO "user" on existing table app."Accounts"');
    expect(r.findings[0]!.fix).toContain('ALTER TABLE app."Accounts" ADD COLUMN "user" text;');
  });
  it.each([
    ['a table created in the same file', 'CREATE TABLE t (a int);\nALTER TABLE t RENAME COLUMN a TO b;'],
    ['a table created and renamed in the pending set', 'CREATE TABLE t (a int);\nALTER TABLE t RENAME TO u;\nALTER TABLE u RENAME COLUMN a TO b;'],
    ['a column the pending set added to an existing table', 'ALTER TABLE leads ADD COLUMN note text;\nALTER TABLE leads RENAME COLUMN note TO remark;'],
    ['a view created in the pending set', 'CREATE VIEW v AS SELECT 1 AS x;\nALTER VIEW v RENAME COLUMN x TO y;'],
    ['ALTER INDEX … RENAME', 'ALTER INDEX leads_pkey RENAME TO leads_key;'],
    ['RENAME CONSTRAINT', 'ALTER TABLE leads RENAME CONSTRAINT leads_pkey TO leads_key;'],
  ])('does not report %s', async (_what, sql) => {
    expect((await rules(sql)).filter((r) => r === 'renaming-column')).toEqual([]);
  });
  it('does not report a column of a table renamed in the pending set: the running code does not know that name, renaming-table reports the rename', async () => {
    expect(await rules('ALTER TABLE leads RENAME TO customers;\nALTER TABLE customers RENAME COLUMN name TO full_name;')).toEqual(['renaming-table']);
  });
  it('reports a column added in an earlier pending file once that file is applied (a later deploy)', async () => {
    const r = await lintAfter('CREATE TABLE t (a int);\nALTER TABLE t ADD COLUMN b int;', 'ALTER TABLE t RENAME COLUMN b TO c;');
    expect(r.findings.map((f) => f.rule)).toEqual(['renaming-column']);
  });
  it('does not report a column whose name a later rename of the same transaction takes again (a swap); reports the column that takes it', async () => {
    const swap = 'ALTER TABLE purchases RENAME COLUMN lead_id TO lead_id_varchar;\nALTER TABLE purchases RENAME COLUMN lead_uuid TO lead_id;';
    const r = await lintAfter('CREATE TABLE purchases (id bigint PRIMARY KEY, lead_id varchar(36), lead_uuid uuid);', swap);
    expect(r.findings.map((f) => [f.rule, f.line])).toEqual([['renaming-column', 2]]);
    expect(await rules('ALTER TABLE purchases ADD COLUMN lead_uuid uuid;', swap.replace('purchases', 'purchases'))).toEqual([]);
  });
  it('reports both renames of a swap in a no-transaction file (each commits on its own: the name is missing in between)', async () => {
    const r = await lint('-- schemaguard:no-transaction\nALTER TABLE leads RENAME COLUMN name TO old_name;\nALTER TABLE leads RENAME COLUMN code TO name;');
    expect(r.findings.map((f) => [f.rule, f.line])).toEqual([
      ['renaming-column', 2],
      ['renaming-column', 3],
    ]);
  });
  it('does not report a column whose name an ADD COLUMN of the same transaction takes again', async () => {
    expect(await rules('ALTER TABLE leads RENAME COLUMN name TO old_name;\nALTER TABLE leads ADD COLUMN name text;')).toEqual([]);
  });
  it('reports a rename whose name is taken again only in a later file (another transaction)', async () => {
    expect(await rules('ALTER TABLE leads RENAME COLUMN name TO old_name;', 'ALTER TABLE leads ADD COLUMN name text;')).toEqual(['renaming-column']);
    expect(await rules('ALTER TABLE leads RENAME COLUMN name TO old_name;', 'ALTER TABLE leads RENAME COLUMN code TO name;')).toEqual([
      'renaming-column',
      'renaming-column',
    ]);
  });
  it('is silenced by an allow with a reason, kept as allowed', async () => {
    const r = await lint('-- schemaguard:allow renaming-column leads.name is read by no deployed code yet\nALTER TABLE leads RENAME COLUMN name TO full_name;');
    expect(r.findings).toEqual([]);
    expect(r.allowed).toMatchObject([{ rule: 'renaming-column', allowed: { reason: 'leads.name is read by no deployed code yet', line: 1 } }]);
  });
});
