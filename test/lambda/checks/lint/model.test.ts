/** The pending-set model: what lint knows of the schema after each statement, renames included. */
import { beforeAll, describe, expect, it } from 'vitest';
import { PendingModel } from '../../../../lambda/checks/lint/model';
import { lintSourceFromText } from '../../../../lambda/checks/lint';
import { loadParser, parseSql } from '../../../../lambda/checks/parser/parse';

beforeAll(loadParser);

/** A model after the files (the first applied, the rest pending). */
function modelAfter(...files: string[]): PendingModel {
  const model = new PendingModel();
  files.forEach((text, k) => {
    model.startFile(lintSourceFromText(`${k + 1}_f.sql`, text, k === 0));
    for (const s of parseSql(text).statements) model.apply(s);
  });
  return model;
}

const BASE = 'CREATE TABLE leads (id uuid PRIMARY KEY, code varchar(20) NOT NULL, score int);';

describe('Class: PendingModel', () => {
  describe('Method: apply (tables)', () => {
    it('knows an applied table as existing, a pending one as new, an unknown one as existing without columns', () => {
      const m = modelAfter(BASE, 'CREATE TABLE notes (id int);');
      expect(m.isExisting({ name: 'leads' })).toBe(true);
      expect(m.isExisting({ name: 'notes' })).toBe(false);
      expect(m.isExisting({ name: 'elsewhere' })).toBe(true);
      expect(m.table({ name: 'elsewhere' })).toBeUndefined();
      expect(m.table({ name: 'leads' })?.columns.get('code')).toEqual({ type: 'character varying(20)', notNull: true, noDefault: true });
      expect(m.table({ name: 'leads' })?.primaryKey).toEqual(['id']);
    });
    it('moves a table on RENAME TO and SET SCHEMA, keeping its columns and whether it is new', () => {
      const m = modelAfter(
        BASE,
        'CREATE TABLE tmp (a int);\nALTER TABLE tmp RENAME TO t;\nCREATE SCHEMA app;\nALTER TABLE leads SET SCHEMA app;\nALTER TABLE app.leads RENAME TO prospects;',
      );
      expect(m.table({ name: 'tmp' })).toBeUndefined();
      expect(m.isExisting({ name: 't' })).toBe(false);
      expect(m.table({ name: 'leads' })).toBeUndefined();
      expect(m.table({ schema: 'app', name: 'prospects' })?.columns.get('score')?.type).toBe('integer');
      expect(m.isExisting({ schema: 'app', name: 'prospects' })).toBe(true);
    });
    it("knows which names the application running before this run knows: not a new table's, nor a name given in the pending set", () => {
      const m = modelAfter(
        `${BASE}\nCREATE TABLE old (a int);\nALTER TABLE old RENAME TO older;`,
        'CREATE TABLE notes (id int);\nALTER TABLE leads RENAME TO prospects;',
      );
      expect(m.isNamedBeforeRun({ name: 'older' })).toBe(true);
      expect(m.isNamedBeforeRun({ name: 'elsewhere' })).toBe(true);
      expect(m.isNamedBeforeRun({ name: 'notes' })).toBe(false);
      expect(m.isNamedBeforeRun({ name: 'prospects' })).toBe(false);
      expect(m.isExisting({ name: 'prospects' })).toBe(true);
    });
    it('renames a column, its primary key entry and the CHECK that proves it not null', () => {
      const m = modelAfter(
        BASE,
        'ALTER TABLE leads ADD CONSTRAINT s_nn CHECK (score IS NOT NULL) NOT VALID;\nALTER TABLE leads RENAME COLUMN score TO points;\nALTER TABLE leads RENAME id TO lead_id;',
      );
      const t = m.table({ name: 'leads' })!;
      expect([...t.columns.keys()]).toEqual(['code', 'points', 'lead_id']);
      expect(t.primaryKey).toEqual(['lead_id']);
      expect(t.constraints.get('s_nn')).toMatchObject({ kind: 'check', notNullOf: ['points'], checkColumns: ['points'], validated: false });
    });
    it("knows an index's key columns through renames, and the primary key ADD PRIMARY KEY USING INDEX makes of them (NOT NULL)", () => {
      const m = modelAfter(
        `${BASE}\nCREATE TABLE w (a int, b int, c int);`,
        'CREATE UNIQUE INDEX w_ab ON w (a, b);\nCREATE UNIQUE INDEX w_lower ON w (lower(c::text));\nALTER INDEX w_ab RENAME TO w_key;\nALTER TABLE w RENAME COLUMN b TO b2;',
      );
      expect(m.indexKey({ name: 'w_key' })?.columns).toEqual(['a', 'b2']);
      expect(m.indexKey({ name: 'w_ab' })).toBeUndefined();
      expect(m.indexKey({ name: 'w_lower' })).toBeUndefined();
      m.startFile(lintSourceFromText('3_f.sql', 'ALTER TABLE w ADD CONSTRAINT w_pkey PRIMARY KEY USING INDEX w_key;'));
      for (const s of parseSql('ALTER TABLE w ADD CONSTRAINT w_pkey PRIMARY KEY USING INDEX w_key;').statements) m.apply(s);
      const w = m.table({ name: 'w' })!;
      expect(w.primaryKey).toEqual(['a', 'b2']);
      expect([w.columns.get('a')?.notNull, w.columns.get('b2')?.notNull, w.columns.get('c')?.notNull]).toEqual([true, true, false]);
      expect(m.indexKey({ name: 'w_key' })).toBeUndefined();
      // The named constraint renamed the index; an unnamed one takes the index's name (as PostgreSQL 15 and 18 do).
      expect([m.hasIndex(undefined, 'w_key'), m.hasIndex(undefined, 'w_pkey'), w.constraints.has('w_pkey')]).toEqual([false, true, true]);
      m.apply(parseSql('CREATE UNIQUE INDEX w_c ON w (c);\nALTER TABLE w ADD UNIQUE USING INDEX w_c;').statements[0]!);
      m.apply(parseSql('ALTER TABLE w ADD UNIQUE USING INDEX w_c;').statements[0]!);
      expect([w.constraints.has('w_c'), m.hasIndex(undefined, 'w_c')]).toEqual([true, true]);
    });
    it('forgets an index dropped, or one whose column is dropped', () => {
      const m = modelAfter(
        `${BASE}\nCREATE TABLE w (a int, b int);\nCREATE UNIQUE INDEX w_a ON w (a);\nCREATE UNIQUE INDEX w_b ON w (b);`,
        'DROP INDEX w_a;\nALTER TABLE w DROP COLUMN b;',
      );
      expect([m.indexKey({ name: 'w_a' }), m.indexKey({ name: 'w_b' })]).toEqual([undefined, undefined]);
    });
    it('knows a column added by a pending migration as added in the pending set, through a rename', () => {
      const m = modelAfter(
        `${BASE}\nALTER TABLE leads ADD COLUMN old_note text;`,
        'ALTER TABLE leads ADD COLUMN note text;\nALTER TABLE leads RENAME COLUMN note TO remark;',
      );
      const t = m.table({ name: 'leads' })!;
      expect(t.columns.get('remark')?.addedInPending).toBe(true);
      expect(t.columns.get('old_note')?.addedInPending).toBeUndefined();
      expect(t.columns.get('score')?.addedInPending).toBeUndefined();
    });
    it('follows views and materialized views by name: created (new when pending), renamed, moved, dropped', () => {
      const m = modelAfter(
        'CREATE VIEW old_v AS SELECT 1 AS x;\nCREATE SCHEMA app;',
        'CREATE VIEW v AS SELECT 1 AS x;\nALTER VIEW v RENAME TO w;\nCREATE MATERIALIZED VIEW mv AS SELECT 1 AS x;\nALTER MATERIALIZED VIEW mv SET SCHEMA app;\nCREATE OR REPLACE VIEW old_v AS SELECT 2 AS x;\nCREATE VIEW gone AS SELECT 1;\nDROP VIEW gone;',
      );
      expect(m.table({ name: 'v' })).toBeUndefined();
      expect(m.table({ name: 'w' })).toMatchObject({ view: true, isNew: true });
      expect(m.isExisting({ schema: 'app', name: 'mv' })).toBe(false);
      expect(m.isExisting({ name: 'old_v' })).toBe(true);
      expect(m.table({ name: 'gone' })).toBeUndefined();
    });
    it('follows ALTER SCHEMA … RENAME and DROP SCHEMA … CASCADE', () => {
      const m = modelAfter('CREATE SCHEMA a;\nCREATE TABLE a.t (x int);', 'ALTER SCHEMA a RENAME TO b;');
      expect(m.table({ schema: 'b', name: 't' })?.columns.has('x')).toBe(true);
      expect(m.table({ schema: 'a', name: 't' })).toBeUndefined();
      expect(modelAfter('CREATE SCHEMA a;\nCREATE TABLE a.t (x int);', 'DROP SCHEMA a CASCADE;').table({ schema: 'a', name: 't' })).toBeUndefined();
    });
    it('follows column types through ALTER … TYPE, DROP COLUMN and ADD COLUMN', () => {
      const m = modelAfter(BASE, 'ALTER TABLE leads ALTER COLUMN score TYPE bigint, DROP COLUMN code, ADD COLUMN at timestamptz(3);');
      const t = m.table({ name: 'leads' })!;
      expect(Object.fromEntries([...t.columns].map(([k, v]) => [k, v.type]))).toEqual({ id: 'uuid', score: 'bigint', at: 'timestamp(3) with time zone' });
    });
    it("knows a partitioned table's key columns (named or in a key expression), through RENAME COLUMN", () => {
      const m = modelAfter('CREATE TABLE p (a int, b text, c int) PARTITION BY RANGE (a, lower(b));', 'ALTER TABLE p RENAME COLUMN a TO k;');
      expect(m.table({ name: 'p' })?.partitionKey).toEqual(['k', 'b']);
    });
    it('copies columns for LIKE, INHERITS and PARTITION OF', () => {
      const m = modelAfter(
        BASE,
        'CREATE TABLE l2 (LIKE leads, extra text);\nCREATE TABLE p (a int, b text) PARTITION BY LIST (a);\nCREATE TABLE p1 PARTITION OF p FOR VALUES IN (1);',
      );
      expect([...m.table({ name: 'l2' })!.columns.keys()]).toEqual(['id', 'code', 'score', 'extra']);
      expect([...m.table({ name: 'p1' })!.columns.keys()]).toEqual(['a', 'b']);
    });
    it('names unnamed constraints as PostgreSQL does, and marks NOT VALID ones with where they were added', () => {
      const m = modelAfter(BASE, 'ALTER TABLE leads ADD CHECK (score > 0) NOT VALID, ADD UNIQUE (code), ADD FOREIGN KEY (score) REFERENCES x;');
      const c = m.table({ name: 'leads' })!.constraints;
      expect([...c.keys()]).toEqual(['leads_pkey', 'leads_score_check', 'leads_code_key', 'leads_score_fkey']);
      expect(c.get('leads_score_check')!.addedNotValid).toMatchObject({ file: '2_f.sql', line: 1, transactional: true });
    });
  });

  describe('Method: keyOf (search_path)', () => {
    it('resolves unqualified names through SET search_path, and each file starts from the default', () => {
      const m = new PendingModel();
      m.startFile(lintSourceFromText('1_a.sql', ''));
      for (const s of parseSql('CREATE SCHEMA app;\nSET search_path TO app, public;\nCREATE TABLE users (id int);').statements) m.apply(s);
      expect(m.keyOf({ name: 'users' })).toBe('app.users');
      m.startFile(lintSourceFromText('2_b.sql', ''));
      expect(m.keyOf({ name: 'users' })).toBe('public.users');
      expect(m.isExisting({ schema: 'app', name: 'users' })).toBe(false);
    });
    // Regression: `SET search_path = '<over 63 bytes>'` was looked up whole, so a table of that schema made in the file read as one of the database (index-not-concurrent reported its index).
    it("cuts a SET search_path constant to 63 bytes, at a character's end, as PostgreSQL does", () => {
      const wide = 'é'.repeat(40);
      const m = new PendingModel();
      m.startFile(lintSourceFromText('1_a.sql', ''));
      for (const s of parseSql(`CREATE SCHEMA "${wide}";\nCREATE TABLE "${wide}".t (id int);\nSET search_path = '${wide}';`).statements) m.apply(s);
      expect(m.searchPath).toEqual(['é'.repeat(31)]);
      expect(m.isExisting({ name: 't' })).toBe(false);
    });
  });

  describe('Method: hasIndex', () => {
    it('follows index names through CREATE INDEX, constraints, ALTER INDEX … RENAME and DROP INDEX', () => {
      const m = modelAfter(BASE, 'CREATE INDEX leads_score ON leads (score);\nALTER INDEX leads_score RENAME TO leads_points;');
      expect(m.hasIndex(undefined, 'leads_score')).toBe(false);
      expect(m.hasIndex(undefined, 'leads_points')).toBe(true);
      expect(m.hasIndex('public', 'leads_pkey')).toBe(true);
      expect(modelAfter(BASE, 'CREATE INDEX i ON leads (score);\nDROP INDEX i;').hasIndex(undefined, 'i')).toBe(false);
    });
  });

  describe('Property: functions', () => {
    it('holds created functions with their volatility (VOLATILE by default), replaced, altered and dropped', () => {
      const m = modelAfter(
        "CREATE FUNCTION f() RETURNS int LANGUAGE sql AS 'SELECT 1';\nCREATE FUNCTION f(a int, b int DEFAULT 0) RETURNS int LANGUAGE sql IMMUTABLE AS 'SELECT a';",
        "CREATE OR REPLACE FUNCTION f() RETURNS int LANGUAGE sql STABLE AS 'SELECT 1';\nCREATE FUNCTION g(VARIADIC x int[]) RETURNS int LANGUAGE sql AS 'SELECT 1';\nALTER FUNCTION g(int[]) IMMUTABLE;\nDROP FUNCTION f(int, int);",
      );
      expect(m.functions.map(({ name, nargs, ndefaults, variadic, volatility }) => ({ name, nargs, ndefaults, variadic, volatility }))).toEqual([
        { name: 'f', nargs: 0, ndefaults: 0, variadic: false, volatility: 'stable' },
        { name: 'g', nargs: 1, ndefaults: 0, variadic: true, volatility: 'immutable' },
      ]);
    });
  });
});
