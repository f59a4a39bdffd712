/** The statements pg_stat_statements has for this database, most called first. */
import { quoteIdent } from '../../engine/state/identifiers';
import type { Queryable } from '../../engine/ports';
import type { StatStatements } from './requirements';
import { present } from '../../engine/errors/present';

export interface StatRow {
  queryid: string;
  query: string;
  calls: number;
}

/**
 * Top-level statements only where the view says so (statements run inside
 * functions belong to the function). Entries of every role are read: the
 * application's role is rarely the one that captures.
 */
export async function readStatements(q: Queryable, pgss: StatStatements, minCalls: number): Promise<StatRow[]> {
  const rows = (
    await q.query<{ queryid: string; query: string | null; calls: string | number }>(
      `SELECT queryid::text AS queryid, query, calls::bigint AS calls
       FROM ${quoteIdent(pgss.schema)}.pg_stat_statements
      WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database())
        AND calls >= $1${pgss.hasToplevel ? ' AND toplevel' : ''}
      ORDER BY calls DESC, queryid`,
      [minCalls],
    )
  ).rows;
  return rows.filter((r) => r.query).map((r) => ({ queryid: r.queryid, query: present(r.query).trim(), calls: Number(r.calls) }));
}
