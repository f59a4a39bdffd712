/**
 * The views and materialized views a DROP TABLE … CASCADE drops with its
 * table, each locked ACCESS EXCLUSIVE (seen by plan --trace on PostgreSQL
 * 13 to 18): those whose query reads the table, and those over them, as
 * pg_depend records them through each view's rewrite rule. Read-only from
 * the live catalog.
 */
import { qualifiedIdent } from '../../engine/state/identifiers';
import type { Queryable } from '../../engine/ports';
import { refKey } from './table-sizes';
import type { RelationRef } from './statement-lock';

const DEPENDENT_VIEWS_SQL = `
WITH RECURSIVE asked AS (
  SELECT x.k, to_regclass(x.name)::oid AS oid FROM unnest($1::text[], $2::text[]) AS x(k, name)
), dep(k, oid) AS (
  SELECT k, oid FROM asked WHERE oid IS NOT NULL
  UNION
  SELECT dep.k, r.ev_class FROM dep
    JOIN pg_depend d ON d.refclassid = 'pg_class'::regclass AND d.refobjid = dep.oid AND d.classid = 'pg_rewrite'::regclass
    JOIN pg_rewrite r ON r.oid = d.objid AND r.ev_class <> dep.oid
)
SELECT DISTINCT dep.k, n.nspname AS schema, c.relname AS name
  FROM dep JOIN pg_class c ON c.oid = dep.oid AND c.relkind IN ('v', 'm') JOIN pg_namespace n ON n.oid = c.relnamespace
 ORDER BY 1, 2, 3`;

/** The views each table's CASCADE drops, by `refKey`; a table with none is absent. */
export async function readDependentViews(q: Queryable, tables: RelationRef[]): Promise<Map<string, RelationRef[]>> {
  const unique = [...new Map(tables.map((t) => [refKey(t), t])).entries()];
  const found = new Map<string, RelationRef[]>();
  if (unique.length === 0) return found;
  const rows = (
    await q.query<{ k: string; schema: string; name: string }>(DEPENDENT_VIEWS_SQL, [
      unique.map(([k]) => k),
      unique.map(([, t]) => qualifiedIdent(t.schema, t.name)),
    ])
  ).rows;
  for (const r of rows) found.set(r.k, [...(found.get(r.k) ?? []), { schema: r.schema, name: r.name, kind: 'table' }]);
  return found;
}
