/**
 * The search path lint follows through a file, against the one PostgreSQL
 * (18; 15 too in the full matrix) sets: after each way of setting it, the
 * schemas lint looks an unqualified name up in (those that exist) equal
 * `current_schemas(false)`. `SET` takes each constant as one schema's name;
 * `set_config` (pg_dump's scripts begin with it) reads its string as a list
 * of names.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lintMigrations, lintSourceFromText, readLintCatalog } from '../../../../lambda/checks/lint';
import { PendingModel } from '../../../../lambda/checks/lint/model';
import { loadParser, parseSql } from '../../../../lambda/checks/parser/parse';
import { dropDatabases, freshDatabase, targets, withClient } from '../../../support/db';

beforeAll(loadParser);
afterAll(dropDatabases);

/** Names over 63 bytes, which PostgreSQL cuts (a multibyte one at a character's end). */
const LONG = 's'.repeat(70);
const WIDE = 'é'.repeat(40);

const SCHEMAS = `CREATE SCHEMA billing; CREATE SCHEMA "X"; CREATE SCHEMA "a, b"; CREATE SCHEMA "Sales"; CREATE SCHEMA sales; CREATE SCHEMA "Ärger"; CREATE SCHEMA "ärger";
  CREATE SCHEMA ${LONG}; CREATE SCHEMA "${WIDE}";`;

const WAYS = [
  'SET search_path = billing, public',
  'SET search_path TO "X", billing',
  "SET search_path = 'a, b', billing",
  "SET search_path = 'Sales'",
  'SET search_path = Sales',
  "SET search_path = ''",
  'SET LOCAL search_path = billing',
  "SELECT set_config('search_path', 'billing, public', false)",
  'SELECT pg_catalog.set_config(\'search_path\', \'Sales, "X", "Sales"\', false)',
  "SELECT pg_catalog.set_config('search_path', '', false)",
  "SELECT set_config('search_path', '  \"a, b\" ,billing', true)",
  "SELECT set_config('application_name', 'billing', false)",
  'SET search_path = billing; RESET search_path',
  "SELECT set_config('search_path', 'Ärger', false)",
  "SELECT set_config('search_path', NULL, false)",
  "SELECT set_config('search_path', 'billing', false) WHERE false",
  "SELECT set_config('search_path', 'billing', false) FROM pg_class WHERE relname = 'no such table'",
  // Regression: a constant over 63 bytes was looked up whole; PostgreSQL cuts it as it cuts a name.
  `SET search_path = '${WIDE}', '${LONG}'`,
  `SET search_path = "${WIDE}", ${LONG}`,
  `SELECT set_config('search_path', '${LONG}, "${WIDE}"', false)`,
];

/** In a no-transaction file each statement commits on its own: what is local to its transaction ends with it. */
const NO_TRANSACTION = [
  'SET LOCAL search_path = billing',
  "SELECT set_config('search_path', 'billing', true)",
  "SELECT set_config('search_path', 'billing', false)",
  'SET search_path = billing',
  "SELECT set_config('search_path', 'billing', 'false')",
  "SELECT set_config('search_path', 'billing', false::boolean)",
  "SELECT set_config('search_path', 'billing', NULL)",
  "SELECT set_config('search_path', 'billing', 'of')",
  "SELECT set_config('search_path', 'billing', 'tr')",
];

/** The path lint follows after `sql`, as the schemas of it that exist, in order, once each. */
function lintPath(sql: string, existing: Set<string>, noTransaction = false): string[] {
  const model = new PendingModel();
  model.startFile({ ...lintSourceFromText('1_a.sql', sql), noTransaction });
  for (const s of parseSql(sql).statements) model.apply(s);
  return [...new Set(model.searchPath.map((s) => (s === '$user' ? 'postgres' : s)).filter((s) => existing.has(s)))];
}

describe.each(targets)('search_path, lint against PostgreSQL, on $name', (target) => {
  let url: string;
  let existing: Set<string>;
  beforeAll(async () => {
    url = await freshDatabase(target, 'search_path');
    existing = await withClient(url, async (c) => {
      await c.query(SCHEMAS);
      return new Set((await c.query<{ nspname: string }>('SELECT nspname FROM pg_namespace')).rows.map((r) => r.nspname));
    });
  });

  it.each(WAYS)('%s: lint looks names up where PostgreSQL does', async (sql) => {
    const postgres = await withClient(url, async (c) => {
      await c.query('BEGIN');
      try {
        await c.query(sql);
        return (await c.query<{ s: string[] }>('SELECT current_schemas(false)::text[] AS s')).rows[0]!.s;
      } finally {
        await c.query('ROLLBACK');
      }
    });

    expect(lintPath(sql, existing)).toEqual(postgres);
  });

  it.each(NO_TRANSACTION)('%s, in a no-transaction file: lint looks names up where PostgreSQL does after the statement', async (sql) => {
    const postgres = await withClient(url, async (c) => {
      await c.query(sql);
      return (await c.query<{ s: string[] }>('SELECT current_schemas(false)::text[] AS s')).rows[0]!.s;
    });

    expect(lintPath(sql, existing, true)).toEqual(postgres);
  });

  it("pg_dump's set_config: drop-cascade looks a name up in the file's path, not the session's", async () => {
    await withClient(url, (c) => c.query('CREATE TABLE billing.invoices (id int); CREATE VIEW billing.open_invoices AS SELECT id FROM billing.invoices'));
    const catalog = await withClient(url, (c) => readLintCatalog(c, { dependencies: true }));
    const messages = async (sql: string) =>
      (await lintMigrations([lintSourceFromText('1_drop.sql', sql)], { catalog })).findings.filter((f) => f.rule === 'drop-cascade').map((f) => f.message);

    expect(await messages("SELECT pg_catalog.set_config('search_path', 'billing', false);\nDROP TABLE invoices CASCADE;")).toEqual([
      'DROP TABLE of invoices with CASCADE: everything that depends on it is dropped too, and the migration does not say what that is: in the database now, view billing.open_invoices',
    ]);
    // The session's path (public) has no invoices: nothing that existed is dropped, nothing reported.
    expect(await messages('DROP TABLE IF EXISTS invoices CASCADE;')).toEqual([]);
  });
});
