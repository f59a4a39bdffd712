/**
 * Volatility against real PostgreSQL (18 and 15): every
 * entry of the built-in table matches `pg_proc` and what `ADD COLUMN` with it
 * does to a populated table (a new file node = a rewrite); and with a
 * database, lint judges a default by the database's own `provolatile` —
 * user-defined, overloaded, schema-qualified — and by its domains, agreeing
 * with what PostgreSQL does.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lintMigrations, lintSourceFromText, readLintCatalog, type LintCatalog } from '../../../../lambda/checks/lint';
import { BUILTIN_FUNCTIONS, type BuiltinFunction } from '../../../../lambda/checks/lint/volatility';
import { dropDatabases, freshDatabase, rows, versionPair, withClient } from '../../../support/db';
import type pg from 'pg';

afterAll(dropDatabases);

const SETUP = `
CREATE EXTENSION IF NOT EXISTS "uuid-ossp";
CREATE EXTENSION IF NOT EXISTS pgcrypto;
CREATE SEQUENCE lint_seq;
CREATE SCHEMA util;
CREATE FUNCTION util.code() RETURNS text LANGUAGE plpgsql IMMUTABLE AS $$BEGIN RETURN 'a'; END$$;
CREATE FUNCTION util.code(n int) RETURNS text LANGUAGE plpgsql VOLATILE AS $$BEGIN RETURN n::text; END$$;
CREATE FUNCTION tenant() RETURNS text LANGUAGE plpgsql STABLE AS $$BEGIN RETURN 't'; END$$;
CREATE FUNCTION ticket() RETURNS bigint LANGUAGE plpgsql AS $$BEGIN RETURN 1; END$$;
CREATE DOMAIN positive_int AS int CHECK (VALUE > 0);
CREATE DOMAIN label AS text;
CREATE DOMAIN positive_ref AS positive_int;
`;

/** Whether `ALTER TABLE t ADD COLUMN x <column>` gives t a new file node (a rewrite); rolled back. */
async function rewrites(c: pg.Client, column: string): Promise<boolean> {
  await c.query('BEGIN');
  try {
    await c.query('CREATE TABLE t (id int)');
    await c.query('INSERT INTO t SELECT g FROM generate_series(1, 50) g');
    const before = (await c.query("SELECT pg_relation_filenode('t') AS n")).rows[0].n;
    await c.query(`ALTER TABLE t ADD COLUMN x ${column}`);
    return (await c.query("SELECT pg_relation_filenode('t') AS n")).rows[0].n !== before;
  } finally {
    await c.query('ROLLBACK');
  }
}

/** Whether lint reports the same ADD COLUMN on an existing table as volatile-default. */
async function lintReports(column: string, catalog?: LintCatalog): Promise<boolean> {
  const r = await lintMigrations([lintSourceFromText('1_a.sql', `ALTER TABLE t ADD COLUMN x ${column};`)], { catalog });
  return r.findings.some((f) => f.rule === 'volatile-default');
}

const applies = (b: BuiltinFunction, major: number) => major >= (b.since ?? 0);

describe.each(versionPair)('Volatility on $name', (target) => {
  let url: string;
  beforeAll(async () => {
    url = await freshDatabase(target, 'lint_volatility');
    await withClient(url, (c) => c.query(SETUP));
  });

  it.each(BUILTIN_FUNCTIONS.map((b) => [`${b.name}/${b.nargs}`, b] as const))('built-in %s: pg_proc says what the table says', async (_id, b) => {
    const found = await rows<{ v: string }>(
      url,
      `
      SELECT p.provolatile AS v FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
       WHERE p.proname = $1 AND ($2::text IS NULL OR n.nspname = 'pg_catalog')
         AND ($3 BETWEEN p.pronargs - p.pronargdefaults AND p.pronargs OR (p.provariadic <> 0 AND $3 >= p.pronargs - 1))`,
      [b.name, b.extension ? null : 'core', b.nargs],
    );
    if (!applies(b, target.major)) {
      expect(found, `${b.name} is new in PostgreSQL ${b.since}`).toEqual([]);
      return;
    }
    const rank = { i: 0, s: 1, v: 2 } as Record<string, number>;
    const most = found.map((r) => r.v).sort((x, y) => rank[y]! - rank[x]!)[0];
    expect(most).toBe(b.volatility[0]);
  });

  it.each(BUILTIN_FUNCTIONS.map((b) => [b.example, b] as const))('ADD COLUMN x %s: rewrites exactly when lint says so', async (example, b) => {
    if (!applies(b, target.major)) return;
    const rewrote = await withClient(url, (c) => rewrites(c, example));
    expect(rewrote).toBe(b.volatility === 'volatile');
    expect(await lintReports(example)).toBe(rewrote);
  });

  it.each([
    ['a STABLE function of the database', 'text DEFAULT tenant()', false],
    ['a function of the database declared without volatility (VOLATILE)', 'bigint DEFAULT ticket()', true],
    ['the IMMUTABLE overload, schema-qualified', 'text DEFAULT util.code()', false],
    ['the VOLATILE overload, schema-qualified', 'text DEFAULT util.code(2)', true],
    ['a domain with a CHECK', 'positive_int DEFAULT 1', true],
    ['a domain without constraints', 'label', false],
    ['a domain over a domain with a CHECK (checked against it too)', 'positive_ref DEFAULT 1', true],
    ['now() and a constant', "timestamptz DEFAULT now() + interval '1 day'", false],
  ])("with the database's catalog, %s: lint and PostgreSQL agree", async (_what, column, expected) => {
    const catalog = await withClient(url, (c) => readLintCatalog(c));
    expect(await withClient(url, (c) => rewrites(c, column))).toBe(expected);
    expect(await lintReports(column, catalog)).toBe(expected);
  });

  it('without the catalog, a function lint cannot know is reported as one that may rewrite', async () => {
    expect(await lintReports('text DEFAULT tenant()')).toBe(true);
  });

  it('a virtual generated column does not rewrite (PostgreSQL 18; 15 has none), and lint does not report it', async () => {
    const column = 'int GENERATED ALWAYS AS (id * 2) VIRTUAL';
    if (target.major >= 18) expect(await withClient(url, (c) => rewrites(c, column))).toBe(false);
    else await expect(withClient(url, (c) => rewrites(c, column))).rejects.toThrow(/syntax error/);
    expect(await lintReports(column)).toBe(false);
  });
});
