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
  const paged = pagedSql(sql, params.length, within);
  const out: R[] = [];
  for (let last = '0'; ;) {
    const page = (await q.query<R & PageColumns>(paged, [...params, last, Math.floor(limit / 2), ROW_OVERHEAD_BYTES])).rows;
    out.push(...page.map(strip));
    if (!page.length || !isTrue(page[0]!.sg_more)) return out;
    last = String(page[page.length - 1]!.page_oid);
  }
}

interface PageColumns {
  page_oid: unknown;
  sg_group?: unknown;
  sg_running?: unknown;
  sg_more: unknown;
}

/** `sql`'s rows after oid `$n+1`, the first oid's whole and then as many more whole oids as fit `$n+2` bytes; `sg_more` when some were left. */
function pagedSql(sql: string, n: number, within: readonly string[]): string {
  const order = ['page_oid', ...within].map((c) => `y.${c}`).join(', ');
  return `SELECT * FROM (
  SELECT z.*, bool_or(z.sg_running > $${n + 2}::bigint) OVER () AS sg_more FROM (
    SELECT x.*, dense_rank() OVER (ORDER BY x.page_oid) AS sg_group,
           sum(octet_length(x::text) + $${n + 3}::int) OVER (ORDER BY x.page_oid) AS sg_running
      FROM (${sql}) x WHERE x.page_oid > $${n + 1}::oid) z) y
 WHERE y.sg_group = 1 OR y.sg_running <= $${n + 2}::bigint
 ORDER BY ${order}`;
}

function strip<R>(row: R & { page_oid?: unknown }): R {
  const { page_oid: _oid, sg_group: _g, sg_running: _r, sg_more: _m, ...rest } = row as R & Partial<PageColumns>;
  return rest as R;
}

function isTrue(v: unknown): boolean {
  return v === true || v === 't' || v === 'true';
}
