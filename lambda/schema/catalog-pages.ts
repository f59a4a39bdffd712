/**
 * Catalog reads that fit a response limit. Through a driver whose responses
 * are bounded (`Queryable.responseLimitBytes`: the RDS Data API's 1 MiB), a
 * catalog query of a real-sized schema (columns, indexes and constraints of
 * thousands of tables; thousands of enums or domains) is too big for one
 * response: every part of the catalog is read in pages
 * instead, keyed on the owning object's oid (`page_oid`, which each paged
 * query selects): every row of one table comes in the same page, so what a
 * reader builds per table — and the order of rows within it — is what one
 * query gives. The server cuts each page by size: a running sum of the rows'
 * text, with all rows of one oid counted together, stops below half the
 * limit (the response's JSON costs more than the text); a first oid bigger
 * than that still comes whole, and fails with the driver's size error only
 * if it alone exceeds the limit. Without a limit, one query as before.
 *
 * `orderedRows` pages the same way a query whose rows have no owner to key
 * on (doctor's findings, one row per table, column or constraint): keyed on
 * each row's rank in the query's own order (`page_row`, which the query
 * selects and orders by), so the rows, and their order, are what one query
 * gives.
 */
import type { Queryable } from '../engine/ports';

/** What each row costs beyond its text in the response (field wrappers, names): generous, for narrow rows. */
const ROW_OVERHEAD_BYTES = 400;

/**
 * The rows of `sql` (whose parameters are `params`, and which selects
 * `page_oid`), without `page_oid`. `within`: the columns that order rows of
 * one oid (the query's own ORDER BY after the owner), e.g. `name`.
 */
export async function catalogRows<R>(q: Queryable, sql: string, params: readonly unknown[], within: readonly string[] = []): Promise<R[]> {
  const limit = q.responseLimitBytes;
  if (!limit) return (await q.query<R & { page_oid?: unknown }>(sql, params)).rows.map(strip);
  return pagedRows<R>(q, limit, pagedSql(sql, params.length, { column: 'page_oid', type: 'oid' }, within), params);
}

/**
 * The rows of `sql` (whose parameters are `params`), without `page_row`:
 * `sql` selects `row_number() OVER (ORDER BY …) AS page_row`, the rank of
 * each row in an order that tells every row apart, and ends `ORDER BY page_row`.
 */
export async function orderedRows<R>(q: Queryable, sql: string, params: readonly unknown[] = []): Promise<R[]> {
  const limit = q.responseLimitBytes;
  if (!limit) return (await q.query<R & { page_row?: unknown }>(sql, params)).rows.map(strip);
  return pagedRows<R>(q, limit, pagedSql(sql, params.length, { column: 'page_row', type: 'bigint' }, []), params);
}

type PageKey = { column: 'page_oid'; type: 'oid' } | { column: 'page_row'; type: 'bigint' };

async function pagedRows<R>(q: Queryable, limit: number, paged: { sql: string; key: PageKey }, params: readonly unknown[]): Promise<R[]> {
  const out: R[] = [];
  for (let last = '0'; ;) {
    const page = (await q.query<R & PageColumns>(paged.sql, [...params, last, Math.floor(limit / 2), ROW_OVERHEAD_BYTES])).rows;
    out.push(...page.map(strip));
    if (!page.length || !isTrue(page[0]!.sg_more)) return out;
    last = String(page[page.length - 1]![paged.key.column]);
  }
}

interface PageColumns {
  page_oid?: unknown;
  page_row?: unknown;
  sg_group?: unknown;
  sg_running?: unknown;
  sg_more: unknown;
}

/** `sql`'s rows after key `$n+1`, the first key's whole and then as many more whole keys as fit `$n+2` bytes; `sg_more` when some were left. */
function pagedSql(sql: string, n: number, key: PageKey, within: readonly string[]): { sql: string; key: PageKey } {
  const k = key.column;
  const order = [k, ...within].map((c) => `y.${c}`).join(', ');
  return { key, sql: `SELECT * FROM (
  SELECT z.*, bool_or(z.sg_running > $${n + 2}::bigint) OVER () AS sg_more FROM (
    SELECT x.*, dense_rank() OVER (ORDER BY x.${k}) AS sg_group,
           sum(octet_length(x::text) + $${n + 3}::int) OVER (ORDER BY x.${k}) AS sg_running
      FROM (${sql}) x WHERE x.${k} > $${n + 1}::${key.type}) z) y
 WHERE y.sg_group = 1 OR y.sg_running <= $${n + 2}::bigint
 ORDER BY ${order}` };
}

function strip<R>(row: R & { page_oid?: unknown; page_row?: unknown }): R {
  const { page_oid: _oid, page_row: _row, sg_group: _g, sg_running: _r, sg_more: _m, ...rest } = row as R & Partial<PageColumns>;
  return rest as R;
}

function isTrue(v: unknown): boolean {
  return v === true || v === 't' || v === 'true';
}
