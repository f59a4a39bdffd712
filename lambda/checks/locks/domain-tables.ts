/**
 * The tables an ALTER DOMAIN that checks stored values locks and reads: every
 * table (or materialized view) with a column of the domain or of a domain
 * over it, as PostgreSQL finds them (`get_rels_with_domain`), read-only from
 * the live catalog.
 */
import { quoteIdent } from '../../engine/identifiers';
import type { Queryable } from '../../engine/ports';
import type { RelationRef } from './statement-lock';

export interface DomainRef { schema?: string; name: string }

export function domainKey(d: DomainRef): string {
  return `${d.schema ? `${quoteIdent(d.schema)}.` : ''}${quoteIdent(d.name)}`;
}

const DOMAIN_TABLES_SQL = `
WITH RECURSIVE d AS (
  SELECT t.oid FROM pg_type t WHERE t.oid = to_regtype($1) AND t.typtype = 'd'
  UNION
  SELECT t.oid FROM pg_type t JOIN d ON t.typbasetype = d.oid WHERE t.typtype = 'd'
)
SELECT DISTINCT n.nspname AS schema, c.relname AS name
  FROM pg_attribute a
  JOIN pg_class c ON c.oid = a.attrelid
  JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE a.atttypid IN (SELECT oid FROM d) AND a.attnum > 0 AND NOT a.attisdropped AND c.relkind IN ('r', 'm')
 ORDER BY 1, 2`;

/**
 * The tables with a column of each domain, by `domainKey`; a domain the
 * catalog does not have (made by a pending migration) is absent.
 */
export async function readDomainTables(q: Queryable, domains: DomainRef[]): Promise<Map<string, RelationRef[]>> {
  const found = new Map<string, RelationRef[]>();
  for (const key of new Set(domains.map(domainKey))) {
    const exists = await q.query<{ t: string | null }>('SELECT to_regtype($1)::text AS t', [key]);
    if (exists.rows[0]?.t === null || exists.rows[0]?.t === undefined) continue;
    const res = await q.query<{ schema: string; name: string }>(DOMAIN_TABLES_SQL, [key]);
    found.set(key, res.rows.map((r) => ({ schema: r.schema, name: r.name, kind: 'table' as const })));
  }
  return found;
}
