/**
 * Table sizes from the live catalog, read-only: the planner's row estimate
 * (pg_class.reltuples scaled to the table's current number of pages, as the
 * planner does) and the bytes of the table with its indexes and TOAST. An
 * index stands for its table. A table never analyzed falls back to the
 * statistics collector's live-row count, and says so.
 */
import { quoteIdent } from '../../engine/identifiers';
import type { Queryable } from '../../engine/ports';
import type { RelationRef } from './statement-lock';

export interface TableSize {
  /** `schema.table`, as the catalog names it. */
  table: string;
  /** Estimated rows; null when the table was never analyzed and has no activity counts. */
  rows: number | null;
  /** Where `rows` comes from. */
  rowsFrom: 'statistics' | 'activity' | 'empty' | 'unknown';
  /** pg_total_relation_size: heap, indexes and TOAST. */
  bytes: number;
  /** Current type of each column (`format_type`), for type changes. */
  columns: Map<string, string>;
  /** Has a validated CHECK constraint (one may exclude a new partition's bound from a DEFAULT partition). */
  checked: boolean;
  /** A partitioned table's DEFAULT partition. */
  defaultPartition?: { schema: string; name: string };
}

export function refKey(ref: RelationRef): string {
  return `${ref.kind}:${ref.schema ? `${quoteIdent(ref.schema)}.` : ''}${quoteIdent(ref.name)}`;
}

interface SizeRow {
  k: string; table_name: string; reltuples: number; relpages: number; heap_bytes: string; bytes: string;
  block_size: number; n_live_tup: string | null; columns: string | null; default_schema: string | null; default_name: string | null; checked: boolean;
}

const SIZES_SQL = `
SELECT k.k, format('%I.%I', n.nspname, c.relname) AS table_name, c.reltuples::float8 AS reltuples, c.relpages,
       pg_relation_size(c.oid) AS heap_bytes, pg_total_relation_size(c.oid) AS bytes,
       current_setting('block_size')::int AS block_size, s.n_live_tup,
       (SELECT json_object_agg(a.attname, format_type(a.atttypid, a.atttypmod))::text FROM pg_attribute a
         WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped) AS columns,
       dn.nspname AS default_schema, dc.relname AS default_name,
       EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conrelid = c.oid AND k.contype = 'c' AND k.convalidated) AS checked
  FROM unnest($1::text[], $2::text[], $3::text[]) AS k(k, name, kind)
  JOIN pg_class c ON c.oid = CASE WHEN k.kind = 'index'
                                  THEN (SELECT i.indrelid FROM pg_index i WHERE i.indexrelid = to_regclass(k.name))
                                  ELSE to_regclass(k.name) END
  JOIN pg_namespace n ON n.oid = c.relnamespace
  LEFT JOIN pg_stat_all_tables s ON s.relid = c.oid
  LEFT JOIN pg_partitioned_table pt ON pt.partrelid = c.oid
  LEFT JOIN pg_class dc ON dc.oid = pt.partdefid
  LEFT JOIN pg_namespace dn ON dn.oid = dc.relnamespace`;

/** Sizes of the relations that exist, by `refKey`; a relation the catalog does not have is absent. */
export async function readTableSizes(q: Queryable, refs: RelationRef[]): Promise<Map<string, TableSize>> {
  const unique = [...new Map(refs.map((r) => [refKey(r), r])).entries()];
  if (unique.length === 0) return new Map();
  const names = unique.map(([, r]) => `${r.schema ? `${quoteIdent(r.schema)}.` : ''}${quoteIdent(r.name)}`);
  const res = await q.query<SizeRow>(SIZES_SQL, [unique.map(([k]) => k), names, unique.map(([, r]) => r.kind)]);
  return new Map(res.rows.map((row) => [row.k, sizeOf(row)]));
}

function sizeOf(row: SizeRow): TableSize {
  const heapBytes = Number(row.heap_bytes);
  const pages = heapBytes / row.block_size;
  const live = row.n_live_tup === null ? null : Number(row.n_live_tup);
  let rows: number | null = null;
  let rowsFrom: TableSize['rowsFrom'] = 'unknown';
  if (row.reltuples >= 0 && row.relpages > 0) {
    rows = Math.round((row.reltuples / row.relpages) * pages);
    rowsFrom = 'statistics';
  } else if (heapBytes === 0) {
    rows = 0;
    rowsFrom = 'empty';
  } else if (live !== null && live > 0) {
    rows = live;
    rowsFrom = 'activity';
  }
  const columns = new Map(Object.entries(JSON.parse(row.columns ?? '{}') as Record<string, string>));
  const defaultPartition = row.default_schema !== null && row.default_name !== null ? { schema: row.default_schema, name: row.default_name } : undefined;
  return { table: row.table_name, rows, rowsFrom, bytes: Number(row.bytes), columns, checked: row.checked, ...(defaultPartition ? { defaultPartition } : {}) };
}
