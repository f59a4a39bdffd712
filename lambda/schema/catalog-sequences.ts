/**
 * The sequences of a catalog (`pg_sequence`: PostgreSQL 10 and later), as
 * users think of them: an identity column's sequence, and a `serial`
 * column's (one the column owns and its default calls `nextval` on), are
 * part of their column (`ColumnInfo.sequence`); every other sequence is an
 * object of its own (`Catalog.sequences`), with the column that owns it, if
 * any. Their options are read — data type, increment, min, max, start,
 * cycle — never their current value (`last_value`), which moves with every
 * insert: compared, every diff would show it.
 *
 * A snapshot taken before sequences were read has no `Catalog.sequences`
 * (and no `ColumnInfo.sequence`): it compares none, and says so.
 */
import type { Queryable } from '../engine/ports';
import { catalogRows } from './catalog-pages';

/** A sequence's options. Numbers as text: a bigint sequence's bounds are past what a JSON number holds exactly. */
export interface SequenceOptions {
  /** Its data type: `smallint`, `integer` or `bigint`. */
  type: string;
  increment: string;
  min: string;
  max: string;
  start: string;
  cycle: boolean;
}

/** An identity or `serial` column's sequence. Its name is recorded to name it in a fix, not compared: an identity's is made up by PostgreSQL, a serial's is in the column's default. */
export interface ColumnSequence extends SequenceOptions {
  schema: string;
  name: string;
}

/** A sequence of its own (not an identity's, nor a `serial` column's). */
export interface SequenceInfo extends SequenceOptions {
  schema: string;
  name: string;
  /** The column that owns it (`OWNED BY`: dropped with it), as `schema.table.column` (unquoted, as differences name a column), or null. */
  ownedBy: string | null;
}

/** What the reader attaches a column's sequence to (`TableInfo`'s fields of the same names). */
interface SequencedTable {
  columns: { name: string; default: string | null; identity: string | null; sequence?: ColumnSequence }[];
}

/**
 * Every sequence of the schemas, with the column it belongs to: `i` an
 * identity's, `a` owned (`OWNED BY`, which `serial` sets). Extension
 * members are left out.
 */
const SQL_SEQUENCES = `
SELECT n.nspname AS schema, c.relname AS name, c.oid::regclass::text AS regclass, format_type(s.seqtypid, NULL) AS type,
       s.seqincrement::text AS increment, s.seqmin::text AS min, s.seqmax::text AS max, s.seqstart::text AS start, s.seqcycle AS cycle,
       d.deptype::text AS dependency, tn.nspname AS table_schema, t.relname AS table, oc.attname AS column, c.oid AS page_oid
  FROM pg_sequence s
  JOIN pg_class c ON c.oid = s.seqrelid
  JOIN pg_namespace n ON n.oid = c.relnamespace
  LEFT JOIN pg_depend d ON d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.refclassid = 'pg_class'::regclass
                       AND d.refobjsubid > 0 AND d.deptype IN ('a', 'i')
  LEFT JOIN pg_class t ON t.oid = d.refobjid
  LEFT JOIN pg_namespace tn ON tn.oid = t.relnamespace
  LEFT JOIN pg_attribute oc ON oc.attrelid = d.refobjid AND oc.attnum = d.refobjsubid
 WHERE n.nspname IN (SELECT json_array_elements_text($1::json))
   AND NOT EXISTS (SELECT 1 FROM pg_depend e WHERE e.classid = 'pg_class'::regclass AND e.objid = c.oid AND e.deptype = 'e')`;

interface SequenceRow extends SequenceOptions {
  schema: string;
  name: string;
  regclass: string;
  dependency: string | null;
  table_schema: string | null;
  table: string | null;
  column: string | null;
}

/**
 * Reads the sequences of the schemas (`names`: one JSON text): each
 * identity's and serial column's onto its column in `tables` (by
 * `schema.name`), the others returned, sorted by schema and name.
 */
export async function readSequences(q: Queryable, names: string[], tables: Map<string, SequencedTable>): Promise<SequenceInfo[]> {
  const own: SequenceInfo[] = [];
  for (const r of await catalogRows<SequenceRow>(q, SQL_SEQUENCES, names)) {
    const options: SequenceOptions = { type: r.type, increment: r.increment, min: r.min, max: r.max, start: r.start, cycle: r.cycle };
    const column =
      r.table_schema !== null && r.table !== null ? tables.get(`${r.table_schema}.${r.table}`)?.columns.find((c) => c.name === r.column) : undefined;
    if (column && (r.dependency === 'i' || (r.dependency === 'a' && column.default === nextvalOf(r.regclass)))) {
      column.sequence = { schema: r.schema, name: r.name, ...options };
      continue;
    }
    own.push({ schema: r.schema, name: r.name, ...options, ownedBy: r.dependency !== null ? `${r.table_schema}.${r.table}.${r.column}` : null });
  }
  return own.sort((x, y) => (x.schema < y.schema ? -1 : x.schema > y.schema ? 1 : x.name < y.name ? -1 : x.name > y.name ? 1 : 0));
}

/** A serial column's default as pg_get_expr prints it (search_path pg_catalog): `nextval('public.orders_id_seq'::regclass)`. */
function nextvalOf(regclass: string): string {
  return `nextval('${regclass.replaceAll("'", "''")}'::regclass)`;
}
