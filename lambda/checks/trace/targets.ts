/**
 * The relations a plan row speaks of, found in the copy just before its
 * statement runs (a statement may drop them): the relation its lock is on,
 * the table whose file node and scan counter say whether it was rewritten
 * or read (a partitioned table's: its leaf partitions'), the table's
 * indexes (REINDEX's lock on them) and the second table. Names are read as
 * the plan read them: the statement's own (qualified where it qualifies
 * them, else through the session's search_path), or the catalog's.
 */
import type { Queryable } from '../../engine/ports';
import { qualifiedIdent } from '../../engine/state/identifiers';
import { parseSql } from '../parser/parse';
import type { StatementLockReport } from '../locks/plan-locks';
import { statementLock, type RelationRef } from '../locks/statement-lock';

/** What a row's names are, as SQL text `to_regclass` reads. */
export interface RowNames {
  /** The relation the statement names: a table, or an index (`index`). */
  relation?: string;
  index?: boolean;
  /** The lock the row gives is on the index itself (ALTER INDEX), not its table. */
  lockOnIndex?: boolean;
  other?: string;
  /** Other tables the row names (a foreign key's other end, a DEFAULT partition), as the catalog names them. */
  also?: string[];
}

/** Forms whose `lock` is on the index they name; the others that name an index lock its table with it. */
const LOCK_ON_INDEX = new Set(['alter-index', 'alter-index-tablespace', 'attach-index-partition']);

/** What each of a statement's rows names, in the rows' order (plan gives a statement on several tables a row each). */
export function rowNames(text: string, rows: readonly StatementLockReport[]): RowNames[] {
  const s = parseSql(text).statements[0];
  if (!s) return rows.map(() => ({}));
  const sl = statementLock(s);
  const other = sl.other ? qualified(sl.other.table) : undefined;
  const named = [sl.table, ...(sl.moreTables ?? [])];
  // A row per table the statement names, in order; where the catalog added rows (the views a CASCADE drops), each by the catalog's name.
  const positional = named.length === rows.length;
  return rows.map((row, k) => {
    const also = alsoNamed(row);
    if (sl.domain || !positional) return row.table ? { relation: row.table, ...also } : also;
    const ref = named[k];
    if (!ref || !row.table) return also;
    const index = ref.kind === 'index';
    return { relation: qualified(ref), ...(index ? { index, lockOnIndex: LOCK_ON_INDEX.has(sl.form.id) } : {}), ...(other ? { other } : {}), ...also };
  });
}

function alsoNamed(row: StatementLockReport): Pick<RowNames, 'also'> {
  const also = [...(row.referenced ?? []).map((k) => k.table), ...(row.defaultPartition ? [row.defaultPartition.table] : [])];
  return also.length ? { also } : {};
}

function qualified(ref: RelationRef): string {
  return qualifiedIdent(ref.schema, ref.name);
}

/** A row's relations in the copy, by oid; absent where the copy has no such relation. */
export interface RowTargets {
  /** The row names no table (CREATE TABLE, a DO block): what the statement did anywhere is its. */
  tableless?: true;
  /** The relation the row's lock is compared on. */
  lockOn?: number;
  /** The relations whose new file node is the row's rewrite: the index it moves, or the table and its leaf partitions. */
  storage: number[];
  /** The table and its leaf partitions: whose scan counters are the row's scans. */
  tables: number[];
  /** The table's indexes (REINDEX's lock). */
  indexes: number[];
  other?: number;
  /** `also`'s tables. */
  also: number[];
}

interface ResolvedRow {
  i: number;
  oid: number | null;
  table_oid: number | null;
  leaves: number[] | null;
  indexes: number[] | null;
  other: number | null;
  also: (number | null)[] | null;
}

/** An index stands for its table; a partitioned table for its leaves (a table for itself). */
const RESOLVE_SQL = `
SELECT k.i::int AS i, c.oid::int8 AS oid, t.oid::int8 AS table_oid,
       (SELECT json_agg(p.relid::int8) FROM pg_partition_tree(t.oid) p WHERE p.isleaf) AS leaves,
       (SELECT json_agg(x.indexrelid::int8) FROM pg_index x WHERE x.indrelid = t.oid) AS indexes,
       to_regclass(k.other)::oid::int8 AS other,
       (SELECT json_agg(to_regclass(a)::oid::int8) FROM json_array_elements_text(k.also::json) AS a) AS also
  FROM unnest($1::text[], $2::text[], $3::text[]) WITH ORDINALITY AS k(name, other, also, i)
  LEFT JOIN pg_class c ON c.oid = to_regclass(k.name)
  LEFT JOIN pg_index ix ON ix.indexrelid = c.oid
  LEFT JOIN pg_class t ON t.oid = coalesce(ix.indrelid, c.oid)`;

/** The rows' relations as a column of another query (`observe.ts`'s state read): read just before the statement runs. */
export function targetsColumn(names: readonly RowNames[]): { columns: string; params: unknown[] } {
  return {
    columns: `, (SELECT coalesce(json_agg(r), '[]') FROM (${RESOLVE_SQL}) r)::text AS targets`,
    params: [names.map((n) => n.relation ?? null), names.map((n) => n.other ?? null), names.map((n) => JSON.stringify(n.also ?? []))],
  };
}

/** What `targetsColumn` read, row by row. */
export function targetsOf(names: readonly RowNames[], json: string): RowTargets[] {
  const byRow = new Map((JSON.parse(json) as ResolvedRow[]).map((row) => [row.i - 1, row]));
  return names.map((n, k) => {
    const row = byRow.get(k);
    const oid = row?.oid ?? undefined;
    const table = row?.table_oid ?? undefined;
    const tables = table === undefined ? [] : (row?.leaves ?? [table]);
    const lockOn = n.index && !n.lockOnIndex ? table : oid;
    return {
      ...(n.relation === undefined ? { tableless: true as const } : {}),
      ...(lockOn !== undefined ? { lockOn } : {}),
      storage: n.lockOnIndex && oid !== undefined ? [oid] : tables,
      tables,
      indexes: row?.indexes ?? [],
      ...(row?.other !== null && row?.other !== undefined ? { other: row.other } : {}),
      also: (row?.also ?? []).filter((o): o is number => o !== null),
    };
  });
}

/** The rows' relations on their own (outside a watched transaction). */
export async function resolveTargets(q: Queryable, names: readonly RowNames[]): Promise<RowTargets[]> {
  const { columns, params } = targetsColumn(names);
  const r = await q.query<{ targets: string }>(`SELECT ${columns.slice(1)}`, params);
  return targetsOf(names, r.rows[0].targets);
}
