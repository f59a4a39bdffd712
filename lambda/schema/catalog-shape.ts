/**
 * What the normalised catalog (`catalog.ts`) leaves out and a copy of the
 * schema needs to be made: each table's partition key, persistence, access
 * method, storage parameters and INHERITS parents; whether a generated
 * column is stored or virtual; which constraints a table has of its own
 * (a partition's copy of its parent's comes with PARTITION OF); which
 * partition's index is attached to which partitioned index; the composite
 * types; the rules a table has besides a view's. Every name schema-qualified, quoted where it must be.
 */
import type { Queryable } from '../engine/ports';

export interface TableShape {
  /** `pg_get_partkeydef`: `RANGE (id)`; a partitioned table only. */
  partitionBy?: string;
  unlogged?: true;
  /** A table access method other than heap. */
  accessMethod?: string;
  /** reloptions, e.g. `fillfactor=70`. */
  options?: string[];
  /** INHERITS parents, in order (`schema.name`, quoted where needed); not a partition's parent. */
  inherits?: string[];
  /** Its columns in their order (the catalog sorts them by name): an INSERT without a column list fills them in this order. */
  columns: string[];
}

export interface CompositeType {
  schema: string;
  name: string;
  /** `name type` of each attribute, in order. */
  attributes: string[];
}

export interface CatalogShape {
  /** By `schema.name` (the catalog's key). */
  tables: Map<string, TableShape>;
  /** Generated columns by `schema.table.column`: `s` stored, `v` virtual (PostgreSQL 18). */
  generated: Map<string, string>;
  /** Constraints a partition or child has only from its parent, by `schema.table.constraint`. */
  inheritedConstraints: Set<string>;
  /** Each partition's index attached to a partitioned index: [the parent index, the partition's index], `schema.name` quoted. */
  attachedIndexes: [string, string][];
  composites: CompositeType[];
  /** Rules other than a view's own (`pg_get_ruledef`: the CREATE RULE statement). */
  rules: { table: string; name: string; definition: string }[];
}

/** `schema.name` of relation `c` in schema `n`, each quoted where it must be. */
const QUALIFIED = (c: string, n: string) => `quote_ident(${n}.nspname) || '.' || quote_ident(${c}.relname)`;
const OWNER = (oid: string, c: string, n: string) => `JOIN pg_class ${c} ON ${c}.oid = ${oid} JOIN pg_namespace ${n} ON ${n}.oid = ${c}.relnamespace`;

const SHAPE_SQL = `
WITH s AS (SELECT json_array_elements_text($1::json) AS nspname)
SELECT
 (SELECT coalesce(json_agg(json_build_array(n.nspname || '.' || c.relname,
          CASE WHEN c.relkind = 'p' THEN pg_get_partkeydef(c.oid) END, c.relpersistence = 'u',
          CASE WHEN am.amname <> 'heap' THEN am.amname END, c.reloptions,
          (SELECT json_agg(${QUALIFIED('p', 'pn')} ORDER BY i.inhseqno) FROM pg_inherits i ${OWNER('i.inhparent', 'p', 'pn')}
            WHERE i.inhrelid = c.oid AND NOT c.relispartition),
          (SELECT json_agg(a.attname ORDER BY a.attnum) FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped))), '[]')
    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace LEFT JOIN pg_am am ON am.oid = c.relam
   WHERE n.nspname IN (SELECT nspname FROM s) AND c.relkind IN ('r', 'p', 'v', 'm', 'f'))::text AS tables,
 (SELECT coalesce(json_agg(json_build_array(n.nspname || '.' || c.relname || '.' || a.attname, a.attgenerated)), '[]')
    FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
   WHERE n.nspname IN (SELECT nspname FROM s) AND a.attgenerated <> '' AND a.attnum > 0 AND NOT a.attisdropped)::text AS generated,
 (SELECT coalesce(json_agg(n.nspname || '.' || c.relname || '.' || con.conname), '[]')
    FROM pg_constraint con JOIN pg_class c ON c.oid = con.conrelid JOIN pg_namespace n ON n.oid = c.relnamespace
   WHERE n.nspname IN (SELECT nspname FROM s) AND NOT con.conislocal)::text AS inherited,
 (SELECT coalesce(json_agg(json_build_array(${QUALIFIED('p', 'pn')}, ${QUALIFIED('c', 'n')})), '[]')
    FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid JOIN pg_namespace n ON n.oid = c.relnamespace ${OWNER('i.inhparent', 'p', 'pn')}
   WHERE n.nspname IN (SELECT nspname FROM s) AND c.relkind IN ('i', 'I'))::text AS indexes,
 (SELECT coalesce(json_agg(json_build_array(n.nspname, t.typname,
          (SELECT json_agg(quote_ident(a.attname) || ' ' || format_type(a.atttypid, a.atttypmod) ORDER BY a.attnum)
             FROM pg_attribute a WHERE a.attrelid = t.typrelid AND a.attnum > 0 AND NOT a.attisdropped))), '[]')
    FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace JOIN pg_class c ON c.oid = t.typrelid
   WHERE n.nspname IN (SELECT nspname FROM s) AND t.typtype = 'c' AND c.relkind = 'c')::text AS composites,
 (SELECT coalesce(json_agg(json_build_array(n.nspname || '.' || c.relname, r.rulename, pg_get_ruledef(r.oid))), '[]')
    FROM pg_rewrite r JOIN pg_class c ON c.oid = r.ev_class JOIN pg_namespace n ON n.oid = c.relnamespace
   WHERE n.nspname IN (SELECT nspname FROM s) AND r.rulename <> '_RETURN')::text AS rules`;

type TableRow = [string, string | null, boolean, string | null, string[] | null, string[] | null, string[] | null];

/** The shape of `schemas`' tables and types. */
export async function readCatalogShape(q: Queryable, schemas: readonly string[]): Promise<CatalogShape> {
  const r = await q.query<{ tables: string; generated: string; inherited: string; indexes: string; composites: string; rules: string }>(SHAPE_SQL, [
    JSON.stringify(schemas),
  ]);
  const row = r.rows[0];
  const tables = new Map<string, TableShape>();
  for (const [key, partitionBy, unlogged, accessMethod, options, inherits, columns] of JSON.parse(row.tables) as TableRow[]) {
    tables.set(key, {
      columns: columns ?? [],
      ...(partitionBy ? { partitionBy } : {}),
      ...(unlogged ? { unlogged: true as const } : {}),
      ...(accessMethod ? { accessMethod } : {}),
      ...(options?.length ? { options } : {}),
      ...(inherits?.length ? { inherits } : {}),
    });
  }
  return {
    tables,
    generated: new Map(JSON.parse(row.generated) as [string, string][]),
    inheritedConstraints: new Set(JSON.parse(row.inherited) as string[]),
    attachedIndexes: JSON.parse(row.indexes) as [string, string][],
    composites: (JSON.parse(row.composites) as [string, string, string[] | null][]).map(([schema, name, attributes]) => ({
      schema,
      name,
      attributes: attributes ?? [],
    })),
    rules: (JSON.parse(row.rules) as [string, string, string][]).map(([table, name, definition]) => ({
      table,
      name,
      definition: definition.replace(/;\s*$/, ''),
    })),
  };
}
