/**
 * What carries a database's rows elsewhere by logical decoding: its
 * publications (native subscriptions, and RDS Blue/Green, which replicates
 * blue to green logically) and its logical replication slots (AWS DMS,
 * Debezium, pglogical). Logical decoding sends rows, never DDL: a table whose
 * shape changes on this side breaks, or silently diverges from, the copy on
 * the other (https://www.postgresql.org/docs/current/logical-replication-restrictions.html).
 * Catalog reads only; every result is a few rows (no arrays: the RDS Data API
 * returns none).
 */
import { qualifiedIdent } from '../../engine/state/identifiers';
import type { Queryable } from '../../engine/ports';

export interface Publication {
  name: string;
  /** FOR ALL TABLES. */
  allTables: boolean;
}

export interface LogicalSlot {
  name: string;
  /** The output plugin: `pgoutput` decodes the publications its subscriber names; the others (test_decoding, wal2json, …) every table. */
  plugin: string;
  /** A consumer is connected now. */
  active: boolean;
}

export interface Carriers {
  publications: Publication[];
  /** This database's logical slots. */
  slots: LogicalSlot[];
}

/** Both in one statement (one round trip of every migrate with files pending), a row each, told apart by `kind`. */
const CARRIERS_SQL = `
SELECT 'publication' AS kind, pubname::text AS name, puballtables AS "all", NULL::text AS plugin, NULL::boolean AS active FROM pg_publication
UNION ALL
SELECT 'slot', slot_name::text, NULL, plugin::text, active FROM pg_replication_slots WHERE slot_type = 'logical' AND database = current_database()
ORDER BY 1, 2`;

/** The publications and this database's logical slots. */
export async function readCarriers(q: Queryable): Promise<Carriers> {
  const rows = (await q.query<{ kind: string; name: string; all: boolean | null; plugin: string | null; active: boolean | null }>(CARRIERS_SQL)).rows;
  return {
    publications: rows.filter((r) => r.kind === 'publication').map((r) => ({ name: r.name, allTables: r.all === true })),
    slots: rows.filter((r) => r.kind === 'slot').map((r) => ({ name: r.name, plugin: r.plugin ?? '', active: r.active === true })),
  };
}

/** Whether anything here decodes rows at all: without, no statement needs reading. */
export function carriesAnything(c: Carriers): boolean {
  return c.publications.length > 0 || c.slots.length > 0;
}

/** A slot whose plugin decodes every table (not pgoutput, which follows publications). */
export function decodesEveryTable(s: LogicalSlot): boolean {
  return s.plugin !== 'pgoutput';
}

/** A table as the database resolves it, with the publications that carry it. */
export interface ResolvedTable {
  /** As the statement names it (`orders`, `app.orders`). */
  named: string;
  schema: string;
  table: string;
  publications: string[];
}

/**
 * The tables these names resolve to through the session's search path (as a
 * migration's fresh session resolves them), with the publications that carry
 * each. Names that resolve to nothing (a table the pending files create) are
 * left out.
 */
export async function resolveTables(q: Queryable, names: readonly { schema?: string; name: string }[]): Promise<ResolvedTable[]> {
  const out: ResolvedTable[] = [];
  for (const n of names) {
    const rows = (
      await q.query<{ schema: string; table: string; publication: string | null }>(
        `SELECT n.nspname AS schema, c.relname AS "table", p.pubname AS publication
         FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
         LEFT JOIN pg_publication_tables p ON p.schemaname = n.nspname AND p.tablename = c.relname
        WHERE c.oid = to_regclass($1) ORDER BY 3`,
        [qualifiedIdent(n.schema, n.name)],
      )
    ).rows;
    if (rows.length === 0) continue;
    out.push({
      named: n.schema === undefined ? n.name : `${n.schema}.${n.name}`,
      schema: rows[0].schema,
      table: rows[0].table,
      publications: rows.map((r) => r.publication).filter((p): p is string => p !== null),
    });
  }
  return out;
}
