/** Rule dropping-table: the findings it reports, and what it lets pass. */
import { describe, expect, it } from 'vitest';
import { lint, lintAfter, rules } from '../pending';

describe('Rule: dropping-table', () => {
  it('reports DROP TABLE of an existing table as a warning, naming the table', async () => {
    const r = await lint('CREATE TABLE notes (id int);\nDROP TABLE purchases;');
    expect(r.findings).toMatchObject([{ rule: 'dropping-table', severity: 'warning', file: '2_pending.sql', line: 2, column: 1 }]);
    expect(r.findings[0]!.message).toBe(
      "DROP TABLE of existing table purchases: the running application's statements that name purchases fail with 42P01 until its new version has replaced it",
    );
  });

  it('fix: nothing in place of the statement, the DROP in a later migration after the allow directive, without CASCADE (drop-cascade)', async () => {
    expect((await lint('DROP TABLE IF EXISTS purchases CASCADE;')).findings.find((f) => f.rule === 'dropping-table')!.fix).toBe(
      [
        '-- file 1 of 2: in place of the statement',
        "-- nothing in its place: first release code that no longer names purchases; the statement's other tables, if any, are judged on their own",
        '-- file 2 of 2: a later migration',
        '-- once no running code names purchases',
        '-- without CASCADE (drop-cascade): PostgreSQL refuses the drop while anything depends on it, and names each dependent; drop those explicitly first',
        '-- schemaguard:allow dropping-table no running code names purchases any more',
        'DROP TABLE IF EXISTS purchases;',
      ].join('\n'),
    );
  });

  it('reports each existing table of a statement that drops several, quoting names that need it', async () => {
    const r = await lintAfter(
      'CREATE SCHEMA app;\nCREATE TABLE app."Accounts" (id int);\nCREATE TABLE logs (id int);',
      'CREATE TABLE scratch (id int);\nDROP TABLE app."Accounts", scratch, logs;',
    );
    expect(r.findings.map((f) => f.message.split(':')[0])).toEqual(['DROP TABLE of existing table app."Accounts"', 'DROP TABLE of existing table logs']);
    expect(r.findings[0]!.fix).toContain('\nDROP TABLE app."Accounts";');
  });

  // Regression (issue 56): a table a DO block of an earlier pending file created counted as existing, and its drop as data loss.
  it('a table a pending file created inside a DO block is new: its drop is not reported', async () => {
    const made = "DO $$ BEGIN\n  IF to_regclass('subscribers') IS NULL THEN\n    CREATE TABLE subscribers (id int);\n  END IF;\nEND $$;";
    expect(await rules(made, 'DROP TABLE IF EXISTS subscribers;\nCREATE TABLE subscribers (id int, email text);')).toEqual([]);
    // What the DO block builds for EXECUTE is not read: that table still counts as existing.
    expect(await rules("DO $$ BEGIN EXECUTE 'CREATE TABLE built (id int)'; END $$;", 'DROP TABLE built;')).toEqual(['dropping-table']);
  });

  // Issue 56, without a database (lint --since): the replay follows a DO block's rename.
  it('a column an applied file renamed inside a DO block is gone from its old name: ADD COLUMN IF NOT EXISTS under it adds one', async () => {
    const applied =
      'CREATE TABLE users (id int PRIMARY KEY, a timestamptz, b timestamptz, confirmed_at timestamptz);\nDO $$ BEGIN ALTER TABLE users RENAME COLUMN confirmed_at TO confirmed_at_old; END $$;';
    const r = await lintAfter(applied, 'ALTER TABLE users ADD COLUMN IF NOT EXISTS confirmed_at timestamptz GENERATED ALWAYS AS (LEAST(a, b)) STORED;');
    expect(r.findings.map((f) => f.rule)).toEqual(['volatile-default']);
  });

  it('an allow directive with a reason silences it', async () => {
    const r = await lint('-- schemaguard:allow dropping-table purchases moved to the billing service in release 40\nDROP TABLE purchases;');
    expect(r.findings).toEqual([]);
    expect(r.allowed).toMatchObject([{ rule: 'dropping-table', allowed: { reason: 'purchases moved to the billing service in release 40' } }]);
  });

  it.each([
    ['a table created in the pending set', 'CREATE TABLE t (a int);', 'DROP TABLE t;'],
    ['a table renamed in the pending set (renaming-table reports the rename)', 'ALTER TABLE purchases RENAME TO orders;\nDROP TABLE orders;'],
    [
      'a table whose name another table is renamed into in the same transaction',
      'CREATE TABLE purchases_v2 (id bigint);\nDROP TABLE purchases;\nALTER TABLE purchases_v2 RENAME TO purchases;',
    ],
    [
      'a view dropped and created again with another query',
      'CREATE VIEW lead_names AS SELECT name FROM leads;',
      'DROP VIEW lead_names;\nCREATE VIEW lead_names AS SELECT name, score FROM leads;',
    ],
  ])('leaves alone %s', async (_what, ...files) => {
    expect((await rules(...files)).filter((r) => r === 'dropping-table')).toEqual([]);
  });

  // Regression: DROP TABLE IF EXISTS users; CREATE TABLE users (…) (as pg_dump --clean writes every table) gave no finding: the CREATE was taken for a swap, though the new table is empty.
  it('reports a table dropped and created again in the same transaction: its rows are lost; the fix keeps only the DROP, after an allow directive', async () => {
    const r = await lint('DROP TABLE IF EXISTS purchases;\nCREATE TABLE purchases (id bigint PRIMARY KEY, email text);');
    expect(r.findings).toMatchObject([{ rule: 'dropping-table', severity: 'warning', line: 1 }]);
    expect(r.findings[0]!.message).toBe(
      'DROP TABLE of existing table purchases, and line 2 creates a new, empty table under its name: every row of purchases is lost when the migration commits',
    );
    expect(r.findings[0]!.fix.split('\n').slice(-2)).toEqual([
      '-- schemaguard:allow dropping-table the rows of purchases are not needed: this migration creates it again',
      'DROP TABLE IF EXISTS purchases;',
    ]);
  });

  it.each([
    ['a view', 'CREATE VIEW purchases AS SELECT 1 AS id;', 'a view'],
    ['a table from a query', 'CREATE TABLE purchases AS SELECT 1 AS id;', 'a table from a query'],
    ['a table in the schema the name resolves to', 'CREATE TABLE public.purchases (id int);', 'a new, empty table'],
  ])('reports the drop when %s takes the name after it', async (_what, create, what) => {
    const r = await lint(`DROP TABLE purchases;\n${create}`);
    expect(r.findings.map((f) => f.message)).toEqual([
      `DROP TABLE of existing table purchases, and line 2 creates ${what} under its name: every row of purchases is lost when the migration commits`,
    ]);
  });

  it('a rename swap (the new table renamed into the name, as it was filled) stays unreported; a drop and a create in separate files is the plain finding', async () => {
    expect(
      await rules(
        'CREATE TABLE purchases_v2 (id bigint);\nINSERT INTO purchases_v2 SELECT id FROM purchases;\nDROP TABLE purchases;\nALTER TABLE purchases_v2 RENAME TO purchases;',
      ),
    ).toEqual([]);
    const r = await lint('DROP TABLE purchases;', 'CREATE TABLE purchases (id bigint);');
    expect(r.findings.map((f) => f.message.split(':')[0])).toEqual(['DROP TABLE of existing table purchases']);
  });

  it('leaves alone an existing view or materialized view (no data is lost)', async () => {
    const r = await lintAfter(
      'CREATE TABLE leads (name text);\nCREATE VIEW lead_names AS SELECT name FROM leads;\nCREATE MATERIALIZED VIEW lead_count AS SELECT count(*) FROM leads;',
      'DROP VIEW lead_names;\nDROP MATERIALIZED VIEW lead_count;',
    );
    expect(r.findings).toEqual([]);
    expect((await lintAfter('CREATE TABLE leads (name text);', 'DROP TABLE leads;')).findings.map((f) => f.rule)).toEqual(['dropping-table']);
  });

  it('leaves alone a partition, attached or detached in the pending set (retention), and reports the partitioned table itself', async () => {
    const existing = [
      'CREATE TABLE ledger (id bigint, at date NOT NULL) PARTITION BY RANGE (at);',
      "CREATE TABLE ledger_2020 PARTITION OF ledger FOR VALUES FROM ('2020-01-01') TO ('2021-01-01');",
      "CREATE TABLE ledger_2021 PARTITION OF ledger FOR VALUES FROM ('2021-01-01') TO ('2022-01-01');",
    ].join('\n');
    const r = await lintAfter(
      existing,
      'DROP TABLE ledger_2020;',
      '-- schemaguard:no-transaction\nALTER TABLE ledger DETACH PARTITION ledger_2021 CONCURRENTLY;',
      'DROP TABLE ledger_2021;',
      'DROP TABLE ledger;',
    );
    expect(r.findings.map((f) => `${f.file} ${f.rule}`)).toEqual(['5_pending.sql dropping-table']);
  });

  it('in a no-transaction file each statement commits on its own: a drop and a create of the same name are both seen', async () => {
    expect(await rules('-- schemaguard:no-transaction\nDROP TABLE purchases;\nCREATE TABLE purchases (id bigint PRIMARY KEY);')).toEqual(['dropping-table']);
  });
});
