/**
 * The foreign keys a statement drops or rebuilds, read-only from the live
 * catalog. Dropping a foreign key (DROP TABLE, DROP COLUMN, DROP CONSTRAINT,
 * with CASCADE for one that references the table) or changing the type of a
 * column it uses (PostgreSQL drops the key and adds it again, validating it)
 * removes its triggers from both tables, under ACCESS EXCLUSIVE on each
 * (pg_locks, PostgreSQL 18 and 15): the statement's table, and the table at
 * the key's other end. A key that references its own table adds no other
 * table; a partition's copy of its parent's key (`conparentid`) goes with
 * the parent's and is not listed.
 */
import { qualifiedIdent } from '../../engine/state/identifiers';
import type { Queryable } from '../../engine/ports';
import { refKey } from './table-sizes';
import type { ForeignKeysTouched, RelationRef } from './statement-lock';
import { present } from '../../engine/errors/present';

export interface ForeignKey {
  constraint: string;
  /** `schema.table` at the key's other end, as the catalog names it. */
  other: string;
  /** The other table's schema and name, unquoted. */
  otherRef: { schema: string; name: string };
  /** The other table references this one (the key is on it); else this table's key references it. */
  referencing: boolean;
  /** The key's columns on this table: its own, or the referenced ones. */
  columns: string[];
  /** For a key that references this table: the unique or primary key constraint of this table it relies on. */
  via: string | null;
}

const FOREIGN_KEYS_SQL = `
SELECT t.k, c.conname AS constraint, format('%I.%I', n.nspname, o.relname) AS other, n.nspname AS other_schema, o.relname AS other_name, c.confrelid = t.oid AS referencing,
       ARRAY(SELECT a.attname::text FROM unnest(CASE WHEN c.conrelid = t.oid THEN c.conkey ELSE c.confkey END) AS x(attnum)
               JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = x.attnum) AS columns,
       (SELECT u.conname FROM pg_constraint u WHERE c.confrelid = t.oid AND u.conrelid = t.oid AND u.conindid = c.conindid AND u.contype IN ('p', 'u') LIMIT 1) AS via
  FROM (SELECT k, to_regclass(name) AS oid FROM unnest($1::text[], $2::text[]) AS x(k, name)) AS t
  JOIN pg_constraint c ON c.contype = 'f' AND c.conparentid = 0 AND c.confrelid <> c.conrelid AND t.oid IN (c.conrelid, c.confrelid)
  JOIN pg_class o ON o.oid = CASE WHEN c.conrelid = t.oid THEN c.confrelid ELSE c.conrelid END
  JOIN pg_namespace n ON n.oid = o.relnamespace
 ORDER BY c.confrelid = t.oid, c.conname`;

/** The foreign keys at either end of each table, by `refKey`; a table the catalog does not have, or without one, is absent. */
export async function readForeignKeys(q: Queryable, tables: RelationRef[]): Promise<Map<string, ForeignKey[]>> {
  const unique = [...new Map(tables.map((t) => [refKey(t), t])).entries()];
  if (unique.length === 0) return new Map();
  const rows = (
    await q.query<Omit<ForeignKey, 'otherRef'> & { k: string; other_schema: string; other_name: string }>(FOREIGN_KEYS_SQL, [
      unique.map(([k]) => k),
      unique.map(([, t]) => qualifiedIdent(t.schema, t.name)),
    ])
  ).rows;
  const byTable = new Map<string, ForeignKey[]>();
  for (const { k, other_schema: schema, other_name: name, ...fk } of rows) byTable.set(k, [...(byTable.get(k) ?? []), { ...fk, otherRef: { schema, name } }]);
  return byTable;
}

/** Whether the statement's `t` reaches the key: all keys, the key by name (one referencing this table: by the constraint it relies on), or the keys using a column. */
function touches(t: ForeignKeysTouched, fk: ForeignKey): boolean {
  if (t.by === 'all') return true;
  if (t.by === 'column') return fk.columns.includes(present(t.name));
  return fk.referencing ? fk.via === t.name : fk.constraint === t.name;
}

/** Of a table's foreign keys, those the statement drops or rebuilds, with what it does to each. */
export function touchedKeys(keys: ForeignKey[], touched: ForeignKeysTouched[]): (ForeignKey & { action: ForeignKeysTouched['action'] })[] {
  const found = new Map<string, ForeignKey & { action: ForeignKeysTouched['action'] }>();
  for (const t of touched) {
    for (const fk of keys) {
      const id = `${fk.referencing}:${fk.other}:${fk.constraint}`;
      // Dropped wins over rebuilt: a key both rebuilt and dropped by one statement ends dropped.
      if (touches(t, fk) && found.get(id)?.action !== 'drops') found.set(id, { ...fk, action: t.action });
    }
  }
  return [...found.values()];
}
