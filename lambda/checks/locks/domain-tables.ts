/**
 * The tables an ALTER DOMAIN that checks stored values locks and reads: every
 * table (or materialized view) with a column of the domain or of a domain
 * over it, as PostgreSQL finds them (`get_rels_with_domain`), read-only from
 * the live catalog.
 */
import { qualifiedIdent } from '../../engine/state/identifiers';
import type { Queryable } from '../../engine/ports';
import type { RelationRef } from './statement-lock';

export interface DomainRef {
  schema?: string;
  name: string;
}

export function domainKey(d: DomainRef): string {
  return qualifiedIdent(d.schema, d.name);
}

const DOMAIN_TABLES_SQL = `
WITH RECURSIVE asked AS (
  SELECT x.k, t.oid FROM unnest($1::text[]) AS x(k) JOIN pg_type t ON t.oid = to_regtype(x.k) AND t.typtype = 'd'
), d(k, oid) AS (
  SELECT k, oid FROM asked
  UNION
  SELECT d.k, t.oid FROM pg_type t JOIN d ON t.typbasetype = d.oid WHERE t.typtype = 'd'
)
SELECT DISTINCT a.k, n.nspname AS schema, c.relname AS name
  FROM asked a
  LEFT JOIN (d
    JOIN pg_attribute att ON att.atttypid = d.oid AND att.attnum > 0 AND NOT att.attisdropped
    JOIN pg_class c ON c.oid = att.attrelid AND c.relkind IN ('r', 'm')
    JOIN pg_namespace n ON n.oid = c.relnamespace) ON d.k = a.k
 ORDER BY 1, 2, 3`;

/**
 * The tables with a column of each domain, by `domainKey`, in one query; a
 * domain the catalog does not have (made by a pending migration) is absent,
 * one that no table uses has none.
 */
export async function readDomainTables(q: Queryable, domains: DomainRef[]): Promise<Map<string, RelationRef[]>> {
  const keys = [...new Set(domains.map(domainKey))];
  const found = new Map<string, RelationRef[]>();
  if (keys.length === 0) return found;
  const rows = (await q.query<{ k: string; schema: string | null; name: string | null }>(DOMAIN_TABLES_SQL, [keys])).rows;
  for (const r of rows) {
    const tables = found.get(r.k) ?? [];
    if (r.schema !== null && r.name !== null) tables.push({ schema: r.schema, name: r.name, kind: 'table' });
    found.set(r.k, tables);
  }
  return found;
}
