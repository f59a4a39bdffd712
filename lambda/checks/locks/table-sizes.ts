/**
 * Table sizes from the live catalog, read-only: the planner's row estimate
 * (pg_class.reltuples scaled to the table's current number of pages, as the
 * planner does) and the bytes of the table with its indexes and TOAST. An
 * index stands for its table. A table never analyzed falls back to the
 * statistics collector's live-row count, and says so. A partitioned table
 * holds no rows itself: its size is its leaf partitions' (`pg_partition_tree`),
 * which its ALTER TABLE rewrites or reads one by one under its lock.
 */
import { qualifiedIdent } from '../../engine/state/identifiers';
import type { Queryable } from '../../engine/ports';
import type { RelationRef } from './statement-lock';
import { present } from '../../engine/errors/present';

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
  /** Its storage: persistence, tablespace (the database's default when it names none) and access method. */
  storage?: { persistence: 'permanent' | 'unlogged'; tablespace: string; accessMethod: string };
  /** A partitioned table: its rows and bytes are its leaf partitions'. */
  partitioned?: boolean;
  /**
   * Has a validated CHECK constraint of its own, not one inherited from a
   * parent: one may imply a partition's bound (ATTACH PARTITION reads nothing)
   * or exclude it from a DEFAULT partition (which is then not read).
   */
  checked: boolean;
  /** A partitioned table's DEFAULT partition. */
  defaultPartition?: { schema: string; name: string };
}

export function refKey(ref: RelationRef): string {
  return `${ref.kind}:${qualifiedIdent(ref.schema, ref.name)}`;
}

/** One row per storage of a relation: itself, or each leaf partition of a partitioned table (none for one without partitions). */
interface SizeRow {
  k: string;
  table_name: string;
  partitioned: boolean;
  reltuples: number | null;
  relpages: number | null;
  heap_bytes: string | null;
  bytes: string | null;
  block_size: number;
  n_live_tup: string | null;
  columns: string | null;
  default_schema: string | null;
  default_name: string | null;
  checked: boolean;
  persistence: string;
  tablespace: string | null;
  access_method: string | null;
}

const SIZES_SQL = `
SELECT k.k, format('%I.%I', n.nspname, c.relname) AS table_name, c.relkind = 'p' AS partitioned,
       l.reltuples::float8 AS reltuples, l.relpages,
       pg_relation_size(l.oid) AS heap_bytes, pg_total_relation_size(l.oid) AS bytes,
       current_setting('block_size')::int AS block_size, s.n_live_tup,
       (SELECT json_object_agg(a.attname, format_type(a.atttypid, a.atttypmod))::text FROM pg_attribute a
         WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped) AS columns,
       dn.nspname AS default_schema, dc.relname AS default_name,
       c.relpersistence AS persistence, am.amname AS access_method,
       coalesce(ts.spcname, (SELECT d.spcname FROM pg_tablespace d WHERE d.oid = (SELECT dattablespace FROM pg_database WHERE datname = current_database()))) AS tablespace,
       EXISTS (SELECT 1 FROM pg_constraint con WHERE con.conrelid = c.oid AND con.contype = 'c' AND con.convalidated AND con.conislocal) AS checked
  FROM unnest($1::text[], $2::text[], $3::text[]) AS k(k, name, kind)
  JOIN pg_class c ON c.oid = CASE WHEN k.kind = 'index'
                                  THEN (SELECT i.indrelid FROM pg_index i WHERE i.indexrelid = to_regclass(k.name))
                                  ELSE to_regclass(k.name) END
  JOIN pg_namespace n ON n.oid = c.relnamespace
  LEFT JOIN LATERAL (
    SELECT c.oid AS oid WHERE c.relkind <> 'p'
    UNION ALL
    SELECT t.relid FROM pg_partition_tree(c.oid) AS t WHERE c.relkind = 'p' AND t.isleaf
  ) AS leaf ON true
  LEFT JOIN pg_class l ON l.oid = leaf.oid
  LEFT JOIN pg_stat_all_tables s ON s.relid = l.oid
  LEFT JOIN pg_partitioned_table pt ON pt.partrelid = c.oid
  LEFT JOIN pg_class dc ON dc.oid = pt.partdefid
  LEFT JOIN pg_namespace dn ON dn.oid = dc.relnamespace
  LEFT JOIN pg_am am ON am.oid = c.relam
  LEFT JOIN pg_tablespace ts ON ts.oid = c.reltablespace`;

/** Sizes of the relations that exist, by `refKey`; a relation the catalog does not have is absent. */
export async function readTableSizes(q: Queryable, refs: RelationRef[]): Promise<Map<string, TableSize>> {
  const unique = [...new Map(refs.map((r) => [refKey(r), r])).entries()];
  if (unique.length === 0) return new Map();
  const names = unique.map(([, r]) => qualifiedIdent(r.schema, r.name));
  const res = await q.query<SizeRow>(SIZES_SQL, [unique.map(([k]) => k), names, unique.map(([, r]) => r.kind)]);
  const byKey = new Map<string, SizeRow[]>();
  for (const row of res.rows) byKey.set(row.k, [...(byKey.get(row.k) ?? []), row]);
  return new Map([...byKey].map(([k, rows]) => [k, sizeOf(rows)]));
}

/** Where a size's rows come from, weakest last: a sum says the weakest of its parts. */
const ROWS_FROM: TableSize['rowsFrom'][] = ['statistics', 'empty', 'activity', 'unknown'];

/** The rows of one storage (a table, or a leaf partition). */
function storageRows(row: SizeRow): Pick<TableSize, 'rows' | 'rowsFrom'> {
  if (row.reltuples === null || row.relpages === null) return { rows: 0, rowsFrom: 'empty' }; // a partitioned table without partitions
  const heapBytes = Number(row.heap_bytes);
  const live = row.n_live_tup === null ? null : Number(row.n_live_tup);
  if (row.reltuples >= 0 && row.relpages > 0)
    return { rows: Math.round((row.reltuples / row.relpages) * (heapBytes / row.block_size)), rowsFrom: 'statistics' };
  if (heapBytes === 0) return { rows: 0, rowsFrom: 'empty' };
  if (live !== null && live > 0) return { rows: live, rowsFrom: 'activity' };
  return { rows: null, rowsFrom: 'unknown' };
}

/**
 * A relation's size from its storage rows: a partitioned table's is the sum
 * of its leaf partitions' (its own storage is empty), each estimated as the
 * planner would; its rows are unknown only when no leaf's are known.
 */
function sizeOf(storages: SizeRow[]): TableSize {
  const row = storages[0];
  const parts = storages.map(storageRows);
  const known = parts.filter((p) => p.rows !== null);
  const rows = known.length ? known.reduce((n, p) => n + present(p.rows), 0) : null;
  const rowsFrom = parts.map((p) => p.rowsFrom).sort((a, b) => ROWS_FROM.indexOf(b) - ROWS_FROM.indexOf(a))[0] ?? 'empty';
  const columns = new Map(Object.entries(JSON.parse(row.columns ?? '{}') as Record<string, string>));
  const defaultPartition = row.default_schema !== null && row.default_name !== null ? { schema: row.default_schema, name: row.default_name } : undefined;
  return {
    table: row.table_name,
    rows,
    rowsFrom,
    bytes: storages.reduce((n, r) => n + Number(r.bytes ?? 0), 0),
    columns,
    checked: row.checked,
    ...(row.partitioned ? { partitioned: true } : {}),
    ...(defaultPartition ? { defaultPartition } : {}),
    ...(row.tablespace !== null && row.access_method !== null && (row.persistence === 'p' || row.persistence === 'u')
      ? {
          storage: {
            persistence: row.persistence === 'p' ? ('permanent' as const) : ('unlogged' as const),
            tablespace: row.tablespace,
            accessMethod: row.access_method,
          },
        }
      : {}),
  };
}
