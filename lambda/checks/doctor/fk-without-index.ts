/**
 * fk-without-index: a foreign key whose columns no index of the referencing
 * table begins with. PostgreSQL indexes the referenced key (it must be
 * unique) but not the referencing columns: each DELETE of a referenced row,
 * and each UPDATE of its key, looks for referencing rows with a scan of the
 * whole referencing table, holding the referenced row's lock meanwhile (and,
 * for ON DELETE CASCADE / SET NULL, writing them); on a table of millions of
 * rows that is seconds per deleted row. A warning: a referencing table that
 * stays small, or a referenced table whose rows are never deleted, is fine.
 *
 * An index counts when it is valid, not partial, and its first columns are
 * the key's columns in any order (it serves the lookup of all of them). A
 * partition's copy of its parent's key is the parent's finding. (No array
 * slice `[1:n]` in the SQL: the Data API would read `:n` as a parameter.)
 */
import { orderedRows } from '../../schema/catalog-pages';
import type { Finding } from '../findings/finding';
import { ident, qualified } from './names';
import { objectName } from '../names/object-names';
import { parentIndexLine, partitionIndexLines, type PartitionIndexStep } from './partitioned-index';
import type { DoctorContext, DoctorRule } from './rule';
import { USER_TABLE } from './scope';
import { noun } from '../../engine/errors/words';

export const FK_WITHOUT_INDEX: DoctorRule = {
  id: 'fk-without-index',
  severity: 'warning',
  title: 'foreign key without an index on its referencing columns',
  why: "each DELETE of a referenced row (and each UPDATE of its key) scans the whole referencing table to find the rows that point at it, holding the row's lock meanwhile",
  fix: "CREATE INDEX CONCURRENTLY on the referencing columns, in a no-transaction migration (for a partitioned table: ON ONLY the parent, each partition's CONCURRENTLY, then ATTACH PARTITION)",
  examples: {
    finds:
      'CREATE TABLE leads (id uuid PRIMARY KEY DEFAULT gen_random_uuid());\nCREATE TABLE web_sessions (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), lead_id uuid REFERENCES leads (id));',
    passes:
      'CREATE TABLE leads (id uuid PRIMARY KEY DEFAULT gen_random_uuid());\nCREATE TABLE web_sessions (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), lead_id uuid REFERENCES leads (id));\nCREATE INDEX web_sessions_lead_id ON web_sessions (lead_id);',
  },
  check: fkWithoutIndex,
};

interface Unindexed {
  schema: string;
  table: string;
  constraint: string;
  columns: string[];
  ref_schema: string;
  ref_table: string;
  partitioned: boolean;
  /** For a partitioned table: its partitions (schema-qualified names as the fix prints them come from these). */
  partitions: { schema: string; name: string; partitioned: boolean }[] | null;
}

async function fkWithoutIndex(ctx: DoctorContext): Promise<Finding[]> {
  const found = await orderedRows<Unindexed>(
    ctx.q,
    `SELECT n.nspname AS schema, c.relname AS table, con.conname AS constraint,
            row_number() OVER (ORDER BY n.nspname, c.relname, con.conname) AS page_row,
            (SELECT array_agg(a.attname::text ORDER BY k.ord) FROM unnest(con.conkey) WITH ORDINALITY AS k(attnum, ord)
               JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.attnum) AS columns,
            rn.nspname AS ref_schema, r.relname AS ref_table, c.relkind = 'p' AS partitioned,
            CASE WHEN c.relkind = 'p' THEN (
              SELECT json_agg(json_build_object('schema', pn.nspname, 'name', p.relname, 'partitioned', p.relkind = 'p') ORDER BY p.relname)
                FROM pg_inherits h JOIN pg_class p ON p.oid = h.inhrelid JOIN pg_namespace pn ON pn.oid = p.relnamespace
               WHERE h.inhparent = c.oid) END AS partitions
       FROM pg_constraint con
       JOIN pg_class c ON c.oid = con.conrelid JOIN pg_namespace n ON n.oid = c.relnamespace
       JOIN pg_class r ON r.oid = con.confrelid JOIN pg_namespace rn ON rn.oid = r.relnamespace
      WHERE con.contype = 'f' AND con.conparentid = 0 AND ${USER_TABLE}
        AND NOT EXISTS (
          SELECT 1 FROM pg_index i,
                 LATERAL (SELECT array_agg(x.attnum) AS lead
                            FROM unnest(string_to_array(i.indkey::text, ' ')::int2[]) WITH ORDINALITY AS x(attnum, ord)
                           WHERE x.ord <= cardinality(con.conkey)) AS l
           WHERE i.indrelid = con.conrelid AND i.indisvalid AND i.indpred IS NULL
             AND l.lead @> con.conkey AND l.lead <@ con.conkey)
      ORDER BY page_row`,
    [ctx.stateSchema],
  );
  return found.map((u) => {
    const table = qualified(u.schema, u.table);
    const cols = u.columns.map(ident).join(', ');
    return {
      rule: FK_WITHOUT_INDEX.id,
      severity: FK_WITHOUT_INDEX.severity,
      object: `${table}.${u.constraint}`,
      why: FK_WITHOUT_INDEX.why,
      message: `foreign key ${ident(u.constraint)} on ${table} (${cols}) → ${qualified(u.ref_schema, u.ref_table)}: no index of ${table} begins with its ${noun(u.columns.length, 'column')}, so each DELETE from ${qualified(u.ref_schema, u.ref_table)} scans ${table}`,
      fix: fixFor(u, cols),
    };
  });
}

/** The index, built without blocking writes: CONCURRENTLY, or for a partitioned table ON ONLY the parent and each partition's attached. */
function fixFor(u: Unindexed, cols: string): string {
  const name = indexName(u.table, u.columns);
  const head = '-- schemaguard:no-transaction';
  if (!u.partitioned) return `${head}\nCREATE INDEX CONCURRENTLY IF NOT EXISTS ${ident(name)} ON ${qualified(u.schema, u.table)} (${cols});`;
  const steps = (u.partitions ?? []).map((p): PartitionIndexStep => {
    const own = indexName(p.name, u.columns);
    const table = qualified(p.schema, p.name);
    return {
      table,
      index: qualified(p.schema, own),
      partitioned: p.partitioned,
      build: p.partitioned
        ? `CREATE INDEX IF NOT EXISTS ${ident(own)} ON ONLY ${table} (${cols})`
        : `CREATE INDEX CONCURRENTLY IF NOT EXISTS ${ident(own)} ON ${table} (${cols})`,
    };
  });
  return [
    head,
    parentIndexLine(`CREATE INDEX IF NOT EXISTS ${ident(name)} ON ONLY ${qualified(u.schema, u.table)} (${cols})`),
    ...partitionIndexLines(qualified(u.schema, name), steps),
  ].join('\n');
}

/** The name PostgreSQL would give it unnamed, `<table>_<columns>_idx`, shortened as PostgreSQL shortens it. */
function indexName(table: string, columns: string[]): string {
  return objectName(table, ...columns, 'idx');
}
