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
 * `orderedRows` reads a query whose rows have no owner to key on (doctor's
 * findings, one row per table, column or constraint; each row's rank in the
 * query's own order is `page_row`, which the query selects and orders by):
 * a result that fits one page is one call, keyed as above; a bigger one is
 * read again through a cursor, where the query runs once and each call
 * FETCHes the next page. Keyed pages ran the whole query again for each page
 * (a rank is known only once every row is): doctor's rules on a schema of
 * 4,000 foreign keys took four to five times as long as over a connection.
 * The server sizes the cursor's pages as above: each row says how many rows
 * the next FETCH takes. A cursor lives in a transaction: the caller's (the
 * guard's read-only pass), or one of its own, rolled back after the last
 * page; and as one statement, all its pages come from one snapshot, so a
 * concurrent change to the schema cannot make them disagree. The rows, and
 * their order, are what one query gives.
 */
import type { Queryable, Session } from '../engine/ports';

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
  const keyed = pagedSql(sql, params.length, { column: 'page_row', type: 'bigint' }, []);
  const first = await keyedPage<R>(q, limit, keyed, params, '0');
  if (!first.more) return first.rows;
  // More than one page: read them all again through a cursor, from one snapshot.
  const session = q as Queryable & Partial<Session>;
  if (session.inTransaction) return cursorRows<R>(q, limit, sql, params, true);
  if (session.begin && session.rollback) return inOwnTransaction(session as Session, () => cursorRows<R>(q, limit, sql, params, false));
  return pagedRows<R>(q, limit, keyed, params, first);
}

/** The cursor's transaction when the caller has none: without lock or statement timeouts, as the query alone runs; rolled back (which closes the cursor). */
async function inOwnTransaction<T>(session: Session, work: () => Promise<T>): Promise<T> {
  await session.begin({ lockTimeoutMs: 0, statementTimeoutMs: 0 });
  try {
    return await work();
  } finally {
    if (!session.broken) await session.rollback().catch(() => undefined);
  }
}

let cursors = 0;

/**
 * `sql`'s rows through a cursor in the open transaction: FETCH 1, then as
 * many as each last row's `sg_then` says, until it says 0. `close`: the
 * cursor is closed after (in the caller's transaction, which goes on).
 */
async function cursorRows<R>(q: Queryable, limit: number, sql: string, params: readonly unknown[], close: boolean): Promise<R[]> {
  const name = `schemaguard_page_${++cursors}`;
  await q.query(`DECLARE ${name} NO SCROLL CURSOR FOR ${cursorSql(sql, params.length)}`, [...params, Math.floor(limit / 2), ROW_OVERHEAD_BYTES]);
  try {
    const out: R[] = [];
    for (let n = 1; n > 0;) {
      const page = (await q.query<R & PageColumns>(`FETCH FORWARD ${n} FROM ${name}`)).rows;
      out.push(...page.map(strip));
      n = page.length ? Number(page[page.length - 1]!.sg_then) : 0;
    }
    return out;
  } finally {
    if (close) await q.query(`CLOSE ${name}`).catch(() => undefined);
  }
}

/**
 * `sql`'s rows in `page_row` order, each with `sg_then`: how many rows the
 * next FETCH takes after it (0: none left). Rows are cut into pages by where
 * each starts in the running sum of their text (plus `$n+2` each): a page
 * holds the rows that start within `$n+1` bytes less the widest row, so it
 * ends within `$n+1`. The first FETCH takes the first row alone; after a
 * page's last row, the next page; after any other row, the rest of its page.
 */
function cursorSql(sql: string, n: number): string {
  return `SELECT y.*, CASE WHEN y.sg_n < y.sg_end THEN y.sg_end ELSE coalesce(lead(y.sg_end) OVER (ORDER BY y.sg_n), y.sg_n) END - y.sg_n AS sg_then FROM (
  SELECT w.*, max(w.sg_n) OVER (PARTITION BY w.sg_page) AS sg_end FROM (
    SELECT v.*, (v.sg_running - v.sg_size) / greatest($${n + 1}::bigint - max(v.sg_size) OVER (), 1) AS sg_page FROM (
      SELECT x.*, octet_length(x::text) + $${n + 2}::int AS sg_size,
             row_number() OVER (ORDER BY x.page_row) AS sg_n, sum(octet_length(x::text) + $${n + 2}::int) OVER (ORDER BY x.page_row) AS sg_running
        FROM (${sql}) x) v) w) y
 ORDER BY y.sg_n`;
}

type PageKey = { column: 'page_oid'; type: 'oid' } | { column: 'page_row'; type: 'bigint' };

/** Keyed pages from the start, or after `first` (the first page, already read). */
async function pagedRows<R>(
  q: Queryable, limit: number, paged: { sql: string; key: PageKey }, params: readonly unknown[], first?: { rows: R[]; more: boolean; last: string },
): Promise<R[]> {
  let page = first ?? await keyedPage<R>(q, limit, paged, params, '0');
  const out = [...page.rows];
  while (page.more) {
    page = await keyedPage<R>(q, limit, paged, params, page.last);
    out.push(...page.rows);
  }
  return out;
}

/** The page after key `last`: its rows, whether more are left, and its last key. */
async function keyedPage<R>(q: Queryable, limit: number, paged: { sql: string; key: PageKey }, params: readonly unknown[], last: string): Promise<{ rows: R[]; more: boolean; last: string }> {
  const page = (await q.query<R & PageColumns>(paged.sql, [...params, last, Math.floor(limit / 2), ROW_OVERHEAD_BYTES])).rows;
  const more = page.length > 0 && isTrue(page[0]!.sg_more);
  return { rows: page.map(strip), more, last: more ? String(page[page.length - 1]![paged.key.column]) : last };
}

interface PageColumns {
  page_oid?: unknown;
  page_row?: unknown;
  sg_group?: unknown;
  sg_running?: unknown;
  sg_more?: unknown;
  sg_size?: unknown;
  sg_n?: unknown;
  sg_page?: unknown;
  sg_end?: unknown;
  sg_then?: unknown;
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
  const {
    page_oid: _oid, page_row: _row, sg_group: _g, sg_running: _r, sg_more: _m, sg_size: _s, sg_n: _n, sg_page: _p, sg_end: _e, sg_then: _t, ...rest
  } = row as R & PageColumns;
  return rest as R;
}

function isTrue(v: unknown): boolean {
  return v === true || v === 't' || v === 'true';
}
