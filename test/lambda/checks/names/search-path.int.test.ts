/**
 * `searchPathSchemas` against PostgreSQL (18; 15 too in the full matrix): for
 * each value given to `set_config('search_path', …)`, the schemas read (those
 * that exist, `$user` the role) equal `current_schemas(false)`; a value
 * PostgreSQL refuses reads as undefined.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { searchPathSchemas } from '../../../../lambda/checks/names/search-path';
import { dropDatabases, freshDatabase, targets, withClient } from '../../../support/db';

afterAll(dropDatabases);

const LONG = 'a'.repeat(63);

const SCHEMAS = `CREATE SCHEMA "a,b"; CREATE SCHEMA "we""ird"; CREATE SCHEMA "B"; CREATE SCHEMA c; CREATE SCHEMA sales; CREATE SCHEMA "Sales";
  CREATE SCHEMA "x, c ,y"; CREATE SCHEMA ${LONG}; CREATE SCHEMA "é"; CREATE SCHEMA "$user"; CREATE SCHEMA postgres`;

const VALUES = [
  '"a,b", public',
  '"we""ird", "$user"',
  '$user, "B"',
  '  c\t,\n"B" ,\r Sales\f ',
  'PUBLIC, "Sales"',
  '"x, c ,y"',
  `${'a'.repeat(70)}, public`,
  `"${'a'.repeat(70)}"`,
  'É, é',
  'c,\u00a0public',
  '""',
  '',
  '   ',
];

const REFUSED = ['"a,b"c', 'a b', 'a,,b', 'a,', '"a', ','];

describe.each(targets)('Function: searchPathSchemas, against PostgreSQL on $name', (target) => {
  let url: string;
  let existing: Set<string>;
  beforeAll(async () => {
    url = await freshDatabase(target, 'search_path_split');
    existing = await withClient(url, async (c) => {
      await c.query(SCHEMAS);
      return new Set((await c.query<{ nspname: string }>('SELECT nspname FROM pg_namespace')).rows.map((r) => r.nspname));
    });
  });

  it.each(VALUES)('%j: the schemas PostgreSQL searches, in its order', async (value) => {
    const postgres = await withClient(url, async (c) => {
      await c.query("SELECT set_config('search_path', $1, false)", [value]);
      return (await c.query<{ s: string[]; role: string }>('SELECT current_schemas(false)::text[] AS s, current_user::text AS role')).rows[0]!;
    });
    const read = searchPathSchemas(value)!
      .map((s) => (s === '$user' ? postgres.role : s))
      .filter((s) => existing.has(s));

    expect([...new Set(read)]).toEqual(postgres.s);
  });

  it.each(REFUSED)('%j: refused by PostgreSQL, undefined here', async (value) => {
    const refused = await withClient(url, (c) =>
      c.query("SELECT set_config('search_path', $1, false)", [value]).then(
        () => undefined,
        (e: Error) => e.message,
      ),
    );

    expect(refused).toContain('invalid value for parameter "search_path"');
    expect(searchPathSchemas(value)).toBeUndefined();
  });

  it('SHOW search_path gives back what SET stored, and it reads as the names SET was given', async () => {
    const shown = await withClient(url, async (c) => {
      await c.query('SET search_path = "a,b", "we""ird", C, \'x, c ,y\'');
      return (await c.query<{ search_path: string }>('SHOW search_path')).rows[0]!.search_path;
    });

    expect(searchPathSchemas(shown)).toEqual(['a,b', 'we"ird', 'c', 'x, c ,y']);
  });
});
