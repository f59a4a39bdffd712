/**
 * Which columns of an index ADD PRIMARY KEY USING INDEX would make NOT NULL
 * with a scan, read from the live catalog for an index the migrations did
 * not create: its key columns that are not NOT NULL, less those a validated
 * CHECK of the table proves not null (lint's `notNullColumns`, PostgreSQL's
 * own proof). A column whose NOT NULL constraint is NOT VALID (PostgreSQL
 * 18) counts as nullable whatever proves it: `pg_attribute.attnotnull` is
 * true, yet PostgreSQL refuses the key until the constraint is validated
 * (lint's primary-key-not-valid-not-null says so, from the same catalog).
 * Read-only.
 */
import { qualifiedIdent } from '../../engine/state/identifiers';
import type { Queryable } from '../../engine/ports';
import { checkProves } from '../lint';

export interface IndexRef {
  schema?: string;
  name: string;
}

export function indexText(r: IndexRef): string {
  return qualifiedIdent(r.schema, r.name);
}

const KEY_SQL = `
SELECT k.name,
       ARRAY(SELECT a.attname::text FROM unnest(i.indkey) WITH ORDINALITY AS x(attnum, n)
               JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = x.attnum
              WHERE NOT a.attnotnull ORDER BY x.n) AS nullable,
       ARRAY(SELECT a.attname::text FROM unnest(i.indkey) WITH ORDINALITY AS x(attnum, n)
               JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = x.attnum
              WHERE EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conrelid = i.indrelid AND c.contype = 'n'
                                                            AND NOT c.convalidated AND c.conkey[1] = a.attnum)
              ORDER BY x.n) AS "notValid",
       ARRAY(SELECT pg_get_constraintdef(c.oid) FROM pg_constraint c
              WHERE c.conrelid = i.indrelid AND c.contype = 'c' AND c.convalidated) AS checks
  FROM unnest($1::text[]) AS k(name)
  JOIN pg_index i ON i.indexrelid = to_regclass(k.name)`;

/** By `indexText`: the index's key columns that still need NOT NULL (or its validation); an index the catalog does not have is absent. */
export async function readNullableKeyColumns(q: Queryable, indexes: IndexRef[]): Promise<Map<string, string[]>> {
  const names = [...new Set(indexes.map(indexText))];
  if (names.length === 0) return new Map();
  const rows = (await q.query<{ name: string; nullable: string[]; notValid: string[]; checks: string[] }>(KEY_SQL, [names])).rows;
  return new Map(
    rows.map((r) => {
      const proven = new Set(r.checks.flatMap(checkProves));
      return [r.name, [...r.nullable.filter((c) => !proven.has(c)), ...r.notValid]];
    }),
  );
}
