/**
 * invalid-index: an index left INVALID. Three kinds, three fixes:
 * - a failed CREATE INDEX CONCURRENTLY: drop it and build it again;
 * - the leftover of a failed REINDEX CONCURRENTLY (`…_ccnew`, `…_ccold`), or
 *   any INVALID index beside a valid one of the same definition: drop it only;
 * - a partitioned index (CREATE INDEX ON ONLY) that some partitions have not
 *   attached yet: build and attach theirs (DROP/CREATE INDEX CONCURRENTLY
 *   refuse a partitioned index). A warning: nothing is slower meanwhile.
 * An index that a CREATE INDEX CONCURRENTLY or REINDEX CONCURRENTLY is
 * building right now is INVALID until it finishes, and is no finding.
 */
import { sqlComment } from '../../engine/sql-quote';
import { orderedRows } from '../../schema/catalog-pages';
import type { Finding } from '../finding';
import { usingOffset } from '../index-definition';
import { duplicateRowsQuery } from './duplicate-rows';
import { ident, qualified } from './names';
import type { DoctorContext, DoctorRule } from './rule';
import { USER_TABLE } from './scope';

export const INVALID_INDEX: DoctorRule = {
  id: 'invalid-index',
  severity: 'error',
  title: 'INVALID index (a failed CREATE INDEX CONCURRENTLY; warning for a partitioned index not attached on every partition)',
  why: 'a failed CREATE INDEX CONCURRENTLY leaves an index that queries never use but every write still maintains; a unique one still rejects duplicates of rows written since',
  fix: 'DROP INDEX CONCURRENTLY, then the index\'s own definition again with CONCURRENTLY (only the DROP when a valid twin exists; for a partitioned index, the missing partitions\' indexes and ATTACH PARTITION)',
  check: invalidIndex,
};

interface InvalidIndex {
  schema: string;
  index: string;
  table: string;
  def: string;
  /** A valid index of the same table and definition. */
  twin: string | null;
  /** For a partitioned index: the partitions without an index attached to it. */
  unattached: Unattached[] | null;
  /** A UNIQUE index's key columns or expressions (`pg_get_indexdef(index, k, true)`), as one JSON text; null for another index. */
  keys: string | null;
  /** Its WHERE (`pg_get_expr`), or null. */
  predicate: string | null;
  /** NULLS NOT DISTINCT (PostgreSQL 15+; null before). */
  nulls_not_distinct: boolean | null;
}

interface Unattached {
  schema: string;
  name: string;
  partitioned: boolean;
  /** A valid index of that partition with the same definition, not attached to any. */
  existing: string | null;
}

export async function invalidIndex(ctx: DoctorContext): Promise<Finding[]> {
  // A partitioned index whose partitions all have one attached waits only for an INVALID one of those, reported itself.
  return (await invalidIndexes(ctx)).filter((i) => i.unattached?.length !== 0).map((i) => {
    const idx = qualified(i.schema, i.index);
    if (i.unattached) return partitionedFinding(i, idx, i.unattached);
    const twin = i.twin === null ? undefined : qualified(i.schema, i.twin);
    return {
      rule: INVALID_INDEX.id, severity: INVALID_INDEX.severity, object: idx, why: INVALID_INDEX.why,
      message: `index ${idx} on ${qualified(i.schema, i.table)} is INVALID${twin ? ` beside ${twin}, a valid index of the same definition (a failed REINDEX CONCURRENTLY leaves such a pair)` : ''}`,
      fix: twin
        ? `DROP INDEX CONCURRENTLY IF EXISTS ${idx};  ${sqlComment(`${twin} stays`)}`
        : [
          ...duplicatesFirst(i),
          `DROP INDEX CONCURRENTLY IF EXISTS ${idx};  -- each statement on its own: CONCURRENTLY refuses a transaction block`,
          `${i.def.replace(/^CREATE (UNIQUE )?INDEX /, 'CREATE $1INDEX CONCURRENTLY ')};`,
        ].join('\n'),
    };
  });
}

/** A UNIQUE index: the query that lists the rows its build failed on (its key read from the catalog), before the rebuild. */
function duplicatesFirst(i: InvalidIndex): string[] {
  if (i.keys === null) return [];
  return [duplicateRowsQuery({ schema: i.schema, table: i.table, keys: JSON.parse(i.keys) as string[], predicate: i.predicate, nullsNotDistinct: i.nulls_not_distinct === true })];
}

async function invalidIndexes(ctx: DoctorContext): Promise<InvalidIndex[]> {
  return orderedRows<InvalidIndex>(ctx.q,
    `SELECT n.nspname AS schema, x.relname AS index, c.relname AS table, pg_get_indexdef(i.indexrelid) AS def,
            row_number() OVER (ORDER BY n.nspname, x.relname) AS page_row,
            (SELECT v.relname FROM pg_index vi JOIN pg_class v ON v.oid = vi.indexrelid
              WHERE vi.indrelid = i.indrelid AND vi.indisvalid AND v.relam = x.relam AND vi.indisunique = i.indisunique
                AND vi.indkey = i.indkey AND vi.indclass = i.indclass AND vi.indcollation = i.indcollation AND vi.indoption = i.indoption
                AND pg_get_expr(vi.indexprs, vi.indrelid) IS NOT DISTINCT FROM pg_get_expr(i.indexprs, i.indrelid)
                AND pg_get_expr(vi.indpred, vi.indrelid) IS NOT DISTINCT FROM pg_get_expr(i.indpred, i.indrelid)
              ORDER BY v.relname LIMIT 1) AS twin,
            CASE WHEN x.relkind = 'I' THEN (${UNATTACHED}) END AS unattached,
            CASE WHEN i.indisunique THEN array_to_json(ARRAY(SELECT pg_get_indexdef(i.indexrelid, k, true) FROM generate_series(1, i.indnkeyatts::int) AS k ORDER BY k))::text END AS keys,
            pg_get_expr(i.indpred, i.indrelid, true) AS predicate,
            -- indnullsnotdistinct is PostgreSQL 15's: read through the row's JSON, absent (null) before.
            (to_jsonb(i) ->> 'indnullsnotdistinct')::boolean AS nulls_not_distinct
       FROM pg_index i JOIN pg_class x ON x.oid = i.indexrelid JOIN pg_class c ON c.oid = i.indrelid
       JOIN pg_namespace n ON n.oid = x.relnamespace
      WHERE NOT i.indisvalid AND ${USER_TABLE}
        AND NOT EXISTS (SELECT 1 FROM pg_stat_progress_create_index b WHERE b.relid = i.indrelid AND b.command LIKE '% CONCURRENTLY')
      ORDER BY page_row`, [ctx.stateSchema],
  );
}

/** SQL over `pg_index i`, a partitioned index: its table's partitions that have no index attached to it, as JSON. */
const UNATTACHED = `
  SELECT coalesce(json_agg(json_build_object('schema', pn.nspname, 'name', p.relname, 'partitioned', p.relkind = 'p', 'existing', (
           SELECT e.relname FROM pg_index ei JOIN pg_class e ON e.oid = ei.indexrelid
            WHERE ei.indrelid = p.oid AND ei.indisvalid AND ei.indisunique = i.indisunique
              AND NOT EXISTS (SELECT 1 FROM pg_inherits eh WHERE eh.inhrelid = ei.indexrelid)
              AND substr(pg_get_indexdef(ei.indexrelid), strpos(pg_get_indexdef(ei.indexrelid), ' USING '))
                = substr(pg_get_indexdef(i.indexrelid), strpos(pg_get_indexdef(i.indexrelid), ' USING '))
            ORDER BY e.relname LIMIT 1)) ORDER BY p.relname), '[]')
    FROM pg_inherits h JOIN pg_class p ON p.oid = h.inhrelid JOIN pg_namespace pn ON pn.oid = p.relnamespace
   WHERE h.inhparent = i.indrelid
     AND NOT EXISTS (SELECT 1 FROM pg_inherits hi JOIN pg_index ci ON ci.indexrelid = hi.inhrelid
                      WHERE hi.inhparent = i.indexrelid AND ci.indrelid = p.oid)`;

/** A partitioned index: attach an index of each partition that lacks one, building it first where none fits. */
function partitionedFinding(i: InvalidIndex, idx: string, missing: Unattached[]): Finding {
  const unique = /^CREATE UNIQUE /.test(i.def) ? 'UNIQUE ' : '';
  const tail = i.def.slice(usingOffset(i.def));
  const steps = missing.flatMap((p) => {
    const partition = qualified(p.schema, p.name);
    if (p.existing) return [`ALTER INDEX ${idx} ATTACH PARTITION ${qualified(p.schema, p.existing)};`];
    const name = `${p.name}_${i.index}`;
    return [
      p.partitioned
        ? `CREATE ${unique}INDEX IF NOT EXISTS ${ident(name)} ON ONLY ${partition} ${tail};  ${sqlComment(`${partition} is partitioned: its own partitions next`)}`
        : `CREATE ${unique}INDEX CONCURRENTLY IF NOT EXISTS ${ident(name)} ON ${partition} ${tail};`,
      `ALTER INDEX ${idx} ATTACH PARTITION ${qualified(p.schema, name)};`,
    ];
  });
  return {
    rule: INVALID_INDEX.id, severity: 'warning', object: idx,
    message: `partitioned index ${idx} on ${qualified(i.schema, i.table)} is INVALID: ${missing.map((p) => qualified(p.schema, p.name)).join(', ')} ${missing.length === 1 ? 'has' : 'have'} no index attached to it`,
    why: 'a partition without an index attached has none of it: its queries are planned without the index and, for a unique one, its rows are not checked',
    fix: `${steps.join('\n')}\n${sqlComment(`${idx} becomes valid once every partition has one attached`)}`,
  };
}
