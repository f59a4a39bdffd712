/**
 * The foreign keys a statement drops or rebuilds, read-only from the live
 * catalog: dropping a foreign key (DROP TABLE, DROP COLUMN, DROP CONSTRAINT,
 * or a type change of its column, which drops and adds it again) removes its
 * triggers from the referenced table too, under ACCESS EXCLUSIVE there
 * (pg_locks, PostgreSQL 18 and 15). A key that references its own table adds
 * no other table.
 */
import { quoteIdent } from '../../engine/identifiers';
import type { Queryable } from '../../engine/ports';
import { refKey } from './table-sizes';
import type { ForeignKeysTouched, RelationRef } from './statement-lock';

export interface ForeignKey {
  constraint: string;
  /** `schema.table` of the referenced table, as the catalog names it. */
  referenced: string;
  columns: string[];
}

const FOREIGN_KEYS_SQL = `
SELECT k.k, c.conname AS constraint, format('%I.%I', n.nspname, r.relname) AS referenced,
       ARRAY(SELECT a.attname::text FROM unnest(c.conkey) AS x(attnum)
               JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = x.attnum) AS columns
  FROM unnest($1::text[], $2::text[]) AS k(k, name)
  JOIN pg_constraint c ON c.conrelid = to_regclass(k.name) AND c.contype = 'f' AND c.confrelid <> c.conrelid
  JOIN pg_class r ON r.oid = c.confrelid
  JOIN pg_namespace n ON n.oid = r.relnamespace
 ORDER BY c.conname`;

/** The foreign keys of each table, by `refKey`; a table the catalog does not have, or without one, is absent. */
export async function readForeignKeys(q: Queryable, tables: RelationRef[]): Promise<Map<string, ForeignKey[]>> {
  const unique = [...new Map(tables.map((t) => [refKey(t), t])).entries()];
  if (unique.length === 0) return new Map();
  const names = unique.map(([, t]) => `${t.schema ? `${quoteIdent(t.schema)}.` : ''}${quoteIdent(t.name)}`);
  const rows = (await q.query<ForeignKey & { k: string }>(FOREIGN_KEYS_SQL, [unique.map(([k]) => k), names])).rows;
  const byTable = new Map<string, ForeignKey[]>();
  for (const { k, ...fk } of rows) byTable.set(k, [...(byTable.get(k) ?? []), fk]);
  return byTable;
}

/** Of a table's foreign keys, those the statement drops or rebuilds, with what it does to each. */
export function touchedKeys(keys: ForeignKey[], touched: ForeignKeysTouched[]): (ForeignKey & { action: ForeignKeysTouched['action'] })[] {
  const found = new Map<string, ForeignKey & { action: ForeignKeysTouched['action'] }>();
  for (const t of touched) {
    for (const fk of keys) {
      const hit = t.by === 'all' || (t.by === 'constraint' ? fk.constraint === t.name : fk.columns.includes(t.name!));
      // Dropped wins over rebuilt: a key both rebuilt and dropped by one statement ends dropped.
      if (hit && found.get(fk.constraint)?.action !== 'drops') found.set(fk.constraint, { ...fk, action: t.action });
    }
  }
  return [...found.values()];
}
