/**
 * The name lint gives an unnamed index (`defaultIndexName`) is the one
 * PostgreSQL (18; 15 too in the full matrix) gives it: each shape of key
 * below is created without a name on a real server, and the name it got is
 * compared.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultIndexName } from '../../../../lambda/checks/lint/index-name';
import { loadParser, parseSql } from '../../../../lambda/checks/parser/parse';
import { dropDatabases, freshDatabase, targets, withClient } from '../../../support/db';

afterAll(dropDatabases);

const LONG = 'orders_with_a_rather_long_table_name_for_truncation_checks_x';
const TABLES = `CREATE TABLE orders (id int, note text, note2 text, code text, total numeric, at timestamp, data jsonb, "Mixed" text);
CREATE TABLE ${LONG} (a_first_column_with_a_long_name text, a_second_column_with_a_long_name text, c text);`;

const KEYS: [table: string, key: string][] = [
  ['orders', '(note)'],
  ['orders', '(lower(note), (total::int))'],
  ['orders', '((total::int))'],
  ['orders', '((total::text::int))'],
  ['orders', '((total::numeric(10,2)))'],
  ['orders', '((note::varchar(5)))'],
  ['orders', '((at::date))'],
  ['orders', '((total + 1))'],
  ['orders', '((1::int + total))'],
  ['orders', "((note || 'x'))"],
  ['orders', '(lower(note), lower(note2), lower(code))'],
  ['orders', '(note, note)'],
  ['orders', "((coalesce(note, '')))"],
  ['orders', "((nullif(note, '')))"],
  ['orders', '((CASE WHEN total > 0 THEN note ELSE code END))'],
  ['orders', '((CASE WHEN total > 0 THEN 1 END))'],
  ['orders', '((greatest(total, 0)))'],
  ['orders', '((least(total, 0)))'],
  ['orders', '((ARRAY[total]))'],
  ['orders', '((note COLLATE "C"))'],
  ['orders', "((data->>'k'))"],
  ['orders', "((data['k']))"],
  ['orders', '((EXTRACT(year FROM at)))'],
  ['orders', '((substring(note from 1 for 3)))'],
  ['orders', '((trim(note)))'],
  ['orders', "((date_trunc('day', at)))"],
  ['orders', '("Mixed", lower("Mixed"))'],
  ['orders', '(id) INCLUDE (note)'],
  ['orders', '(lower(note)) INCLUDE (note, code)'],
  ['orders', '(pg_catalog.lower(note))'],
  [LONG, '(a_first_column_with_a_long_name, a_second_column_with_a_long_name, c)'],
  [LONG, '(c)'],
  [LONG, '(lower(a_first_column_with_a_long_name), lower(a_first_column_with_a_long_name))'],
];

describe.each(targets)("defaultIndexName: PostgreSQL's own name for an unnamed index, on $name", (target) => {
  let url: string;
  beforeAll(async () => {
    url = await freshDatabase(target, 'index_names');
    await withClient(url, (c) => c.query(TABLES));
    await loadParser();
  });

  // Regression: (lower(note), (total::int)) was named orders_lower_expr_idx; PostgreSQL names it orders_lower_total_idx.
  it.each(KEYS)('%s %s', async (table, key) => {
    const sql = `CREATE INDEX ON ${table} ${key}`;
    const given = await withClient(url, async (c) => {
      await c.query('BEGIN');
      try {
        await c.query(sql);
        return (
          await c.query<{ name: string }>(
            'SELECT c.relname AS name FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid WHERE i.indrelid = $1::regclass ORDER BY c.oid DESC LIMIT 1',
            [table],
          )
        ).rows[0]!.name;
      } finally {
        await c.query('ROLLBACK');
      }
    });
    const s = parseSql(`${sql};`).statements[0]!;
    expect(defaultIndexName(table, s.node.indexParams, s.node.indexIncludingParams)).toBe(given);
  });
});
