/** Rule drop-cascade: the findings it reports, and what it lets pass. */
import { describe, expect, it } from 'vitest';
import { lintSourceFromText, needsDependencies } from '../../../../../lambda/checks/lint';
import { lint, lintAfter, rules } from '../pending';

const EXISTING = [
  'CREATE SCHEMA billing;',
  'CREATE SEQUENCE lead_numbers;',
  "CREATE TYPE mood AS ENUM ('ok', 'bad');",
  "CREATE TABLE leads (id bigint PRIMARY KEY DEFAULT nextval('lead_numbers'), name text, m mood);",
  'CREATE TABLE buys (id bigint, lead_id bigint REFERENCES leads (id));',
  'CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $$BEGIN RETURN NEW; END$$;',
].join('\n');

describe('Rule: drop-cascade', () => {
  it('reports DROP … CASCADE of an existing object as a warning, at the CASCADE keyword, naming the object', async () => {
    const r = await lintAfter(EXISTING, 'CREATE TABLE notes (id int);\nDROP SEQUENCE lead_numbers\n  CASCADE;');
    expect(r.findings).toMatchObject([{ rule: 'drop-cascade', severity: 'warning', file: '2_pending.sql', line: 3, column: 3 }]);
    expect(r.findings[0]!.message).toBe(
      'DROP SEQUENCE of lead_numbers with CASCADE: everything that depends on it is dropped too, and the migration does not say what that is',
    );
  });

  it.each([
    ['a type, schema-qualified, and a second one', 'DROP TYPE IF EXISTS public.mood, billing.state CASCADE;', 'DROP TYPE of public.mood, billing.state'],
    ['a function', 'DROP FUNCTION touch() CASCADE;', 'DROP FUNCTION of touch(…)'],
    ['a schema', 'DROP SCHEMA billing CASCADE;', 'DROP SCHEMA of billing'],
    ['a trigger', 'DROP TRIGGER audit ON leads CASCADE;', 'DROP TRIGGER of audit ON leads'],
    ['a materialized view', 'DROP MATERIALIZED VIEW lead_stats CASCADE;', 'DROP MATERIALIZED VIEW of lead_stats'],
    ['a table with a quoted name', 'DROP TABLE billing."Invoices" CASCADE;', 'DROP TABLE of billing."Invoices"'],
    [
      'a primary key and a column of an existing table',
      'ALTER TABLE leads DROP CONSTRAINT leads_pkey CASCADE, DROP COLUMN name CASCADE;',
      'ALTER TABLE leads DROP CONSTRAINT leads_pkey, DROP COLUMN name',
    ],
    ['TRUNCATE of an existing table', 'TRUNCATE leads CASCADE;', 'TRUNCATE of leads'],
    ['a cast by its kind alone', 'DROP CAST (mood AS text) CASCADE;', 'DROP CAST'],
  ])('names %s', async (_what, sql, named) => {
    const r = await lintAfter(EXISTING, sql);
    const [finding] = r.findings.filter((f) => f.rule === 'drop-cascade');
    expect(finding!.message.split(' with CASCADE')[0]).toBe(named);
  });

  it('says "them" of several objects', async () => {
    const [finding] = (await lintAfter(EXISTING, 'DROP TYPE mood, billing.state CASCADE;')).findings;
    expect(finding!.message).toBe(
      'DROP TYPE of mood, billing.state with CASCADE: everything that depends on them is dropped too, and the migration does not say what that is',
    );
  });

  it('TRUNCATE … CASCADE: says the tables that reference it are emptied', async () => {
    const [finding] = (await lintAfter(EXISTING, 'TRUNCATE TABLE leads CASCADE;')).findings;
    expect(finding!.message).toBe(
      'TRUNCATE of leads with CASCADE: every table with a foreign key to it is emptied too, and the migration does not say what that is',
    );
    expect(finding!.fix.split('\n')[0]).toBe('TRUNCATE TABLE leads;');
    expect(finding!.fix).toContain('(0A000)');
  });

  it('fix: the statement without CASCADE, what PostgreSQL then does, and the allow directive for an intended cascade', async () => {
    expect((await lintAfter(EXISTING, 'drop type if exists mood cascade;')).findings[0]!.fix).toBe(
      [
        'drop type if exists mood;',
        '-- without CASCADE, PostgreSQL refuses this (2BP01) while anything depends on it, and its DETAIL names each dependent: drop or change those explicitly before it, in this migration',
        '-- or, when losing everything that depends on it is intended: the statement as it was, after an allow directive for drop-cascade whose reason names what goes with it',
      ].join('\n'),
    );
  });

  it('fix: takes out only the drop behaviour, not a foreign key\'s ON DELETE CASCADE nor a name "cascade"', async () => {
    const sql =
      'ALTER TABLE buys DROP CONSTRAINT buys_lead_id_fkey CASCADE, ADD CONSTRAINT buys_lead_fk FOREIGN KEY (lead_id) REFERENCES leads (id) ON DELETE CASCADE NOT VALID;';
    const [finding] = (await lintAfter(EXISTING, sql)).findings.filter((f) => f.rule === 'drop-cascade');
    expect(finding!.fix.split('\n')[0]).toBe(
      'ALTER TABLE buys DROP CONSTRAINT buys_lead_id_fkey, ADD CONSTRAINT buys_lead_fk FOREIGN KEY (lead_id) REFERENCES leads (id) ON DELETE CASCADE NOT VALID;',
    );
    const quoted = (await lintAfter(`${EXISTING}\nCREATE TYPE "cascade" AS ENUM ('x');`, 'DROP TYPE "cascade" CASCADE;')).findings;
    expect(quoted[0]!.fix.split('\n')[0]).toBe('DROP TYPE "cascade";');
  });

  it('an allow directive with a reason silences it', async () => {
    const r = await lintAfter(
      EXISTING,
      '-- schemaguard:allow drop-cascade the billing schema and its tables were retired in release 40\nDROP SCHEMA billing CASCADE;',
    );
    expect(r.findings).toEqual([]);
    expect(r.allowed).toMatchObject([{ rule: 'drop-cascade', allowed: { reason: 'the billing schema and its tables were retired in release 40' } }]);
  });

  it.each([
    [
      'the same drops without CASCADE',
      'DROP TYPE mood;\nDROP SEQUENCE lead_numbers RESTRICT;\nDROP FUNCTION touch();\nDROP SCHEMA billing;\nTRUNCATE leads, buys;',
    ],
    [
      'objects the pending set created before the statement',
      "CREATE TYPE state AS ENUM ('a');\nCREATE SEQUENCE n;\nCREATE FUNCTION f() RETURNS int LANGUAGE sql AS 'SELECT 1';\nCREATE SCHEMA scratch;\nCREATE TABLE t (a int);\nCREATE VIEW v AS SELECT a FROM t;\nCREATE INDEX t_a ON t (a);\nCREATE EXTENSION IF NOT EXISTS pgcrypto;",
      'DROP TYPE state CASCADE;\nDROP SEQUENCE n CASCADE;\nDROP FUNCTION f() CASCADE;\nDROP SCHEMA scratch CASCADE;\nDROP VIEW v CASCADE;\nDROP INDEX t_a CASCADE;\nDROP EXTENSION pgcrypto CASCADE;\nTRUNCATE t CASCADE;\nALTER TABLE t DROP COLUMN a CASCADE;\nDROP TABLE t CASCADE;',
    ],
    ["a foreign key's ON DELETE CASCADE", 'CREATE TABLE notes (lead_id bigint REFERENCES leads (id) ON DELETE CASCADE ON UPDATE CASCADE);'],
  ])('leaves alone %s', async (_what, ...files) => {
    expect((await rules(...files)).filter((r) => r === 'drop-cascade')).toEqual([]);
  });

  it('reports an object the pending set created only after the statement (the drop meets the one that existed)', async () => {
    expect(await rules("DROP TYPE IF EXISTS state CASCADE;\nCREATE TYPE state AS ENUM ('a');")).toEqual(['drop-cascade']);
  });

  it('without a database every file is pending: an object no file created counts as existing', async () => {
    expect((await lint('DROP EXTENSION IF EXISTS pgcrypto CASCADE;')).findings.map((f) => f.rule)).toEqual(['drop-cascade']);
  });

  it("DROP OWNED BY … CASCADE: the role's objects and what depends on them, whoever owns it; not for a role the pending set created", async () => {
    const r = await lintAfter(
      EXISTING,
      'DROP OWNED BY app_writer CASCADE;\nDROP OWNED BY app_reader, CURRENT_USER CASCADE;\nCREATE ROLE scratch;\nDROP OWNED BY scratch CASCADE;\nDROP OWNED BY app_writer;',
    );
    expect(r.findings.map((f) => [f.line, f.column, f.message])).toEqual([
      [
        1,
        26,
        'DROP OWNED BY app_writer with CASCADE: everything that depends on the objects app_writer owns, whoever owns it, is dropped too, and the migration does not say what that is',
      ],
      [
        2,
        40,
        'DROP OWNED BY app_reader, CURRENT_USER with CASCADE: everything that depends on the objects they own, whoever owns it, is dropped too, and the migration does not say what that is',
      ],
    ]);
    expect(r.findings[0]!.fix.split('\n')[0]).toBe('DROP OWNED BY app_writer;');
  });

  it("needsDependencies: the database's dependencies are read only when a pending file says CASCADE", () => {
    const applied = lintSourceFromText('1_a.sql', 'DROP TABLE t CASCADE;', true);
    expect(needsDependencies([applied, lintSourceFromText('2_b.sql', 'DROP TABLE u;')])).toBe(false);
    expect(needsDependencies([applied, lintSourceFromText('2_b.sql', 'truncate u Cascade;')])).toBe(true);
    expect(needsDependencies([applied, lintSourceFromText('2_b.sql', 'CREATE TABLE v (u_id int REFERENCES u ON DELETE CASCADE ON UPDATE\n  CASCADE);')])).toBe(
      false,
    );
    expect(
      needsDependencies([
        applied,
        lintSourceFromText('2_b.sql', 'CREATE TABLE v (u_id int REFERENCES u ON DELETE CASCADE);\nALTER TABLE w DROP COLUMN x CASCADE;'),
      ]),
    ).toBe(true);
  });

  it('DROP TABLE … CASCADE of an existing table is reported by dropping-table and by drop-cascade', async () => {
    expect(await rules('DROP TABLE purchases CASCADE;')).toEqual(['dropping-table', 'drop-cascade']);
  });
});
