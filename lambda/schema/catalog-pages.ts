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
 * query's own order is `page_row`, which the query selects and orders by).
 *
 * Keyed pages run the whole query again for each page (a rank, or the sum of
 * the oids before one, is known only once every row is), each from a
 * snapshot of its own: several times slower over thousands of rows, and a
 * change made between two pages could make them disagree. So where the session can hold
 * a cursor (in a transaction: the caller's, such as the guard's read-only
 * pass or doctor's rule, or one of the reader's own, rolled back after the
 * last page), a result of more than one page is read through one cursor:
 * the query runs once, each call FETCHes the next page (sized by the server
 * as above: each row says how many rows the next FETCH takes), and as one
 * statement all pages come from one snapshot. Whether a result takes more
 * than one page is known only once the query ran: the cursor is opened from
 * the start where the catalog is big enough for that (`pagesLikely`); else
 * the first keyed page is the read's one call, and only when more follow
 * (a few wide rows) is the query read again through the cursor. The rows,
 * and their order, are what one query gives.
 */
import { isTrue, type Queryable, type Session } from '../engine/ports';
import { boundedCatalogRead } from './bounded-read';

/** WHERE clause over `pg_namespace n`: not a system schema. */
const SYSTEM_SCHEMA_NOT = `n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_toast%'`;

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
  const key: PageKey = { column: 'page_oid', type: 'oid' };
  return pagedRead<R>(q, limit, { sql, params, keyed: pagedSql(sql, params.length, key, within), order: [key.column, ...within] });
}

/**
 * The rows of `sql` (whose parameters are `params`), without `page_row`:
 * `sql` selects `row_number() OVER (ORDER BY …) AS page_row`, the rank of
 * each row in an order that tells every row apart, and ends `ORDER BY page_row`.
 */
export async function orderedRows<R>(q: Queryable, sql: string, params: readonly unknown[] = []): Promise<R[]> {
  const limit = q.responseLimitBytes;
  if (!limit) return (await q.query<R & { page_row?: unknown }>(sql, params)).rows.map(strip);
  const key: PageKey = { column: 'page_row', type: 'bigint' };
  return pagedRead<R>(q, limit, { sql, params, keyed: pagedSql(sql, params.length, key, []), order: [key.column] });
}

/** One paged read: the query, its keyed pages (`pagedSql`), and the order its rows come in. */
interface PagedRead {
  sql: string;
  params: readonly unknown[];
  keyed: { sql: string; key: PageKey };
  order: readonly string[];
}

/**
 * `read`'s rows, its query run once and its pages from one snapshot where
 * the session can hold a cursor: through the cursor from the start where
 * the catalog is big enough for more than one page (`pagesLikely`); else
 * its first keyed page, one call, and when more follow (a few wide rows),
 * all again through the cursor. Without a cursor (a bare Queryable), keyed
 * pages, each its own snapshot.
 */
async function pagedRead<R>(q: Queryable, limit: number, read: PagedRead): Promise<R[]> {
  const session = q as Queryable & Partial<Session>;
  const cursor = session.inTransaction
    ? () => cursorRows<R>(q, limit, read, true)
    : session.begin && session.rollback
      ? () => inOwnTransaction(session as Session, () => cursorRows<R>(q, limit, read, false))
      : undefined;
  if (cursor && (await pagesLikely(q, limit))) return cursor();
  const first = await keyedPage<R>(q, limit, read.keyed, read.params, '0');
  if (!first.more) return first.rows;
  return cursor ? cursor() : pagedRows<R>(q, limit, read.keyed, read.params, first);
}

/**
 * The cursor's transaction when the caller has none: bounded as every
 * catalog read of a session of its own (`bounded-read.ts`: 1 s lock_timeout,
 * past it an error naming who holds the lock; without it a read of
 * pg_get_expr waited behind a migration's ACCESS EXCLUSIVE until it
 * committed); rolled back (which closes the cursor).
 */
function inOwnTransaction<T>(session: Session, work: () => Promise<T>): Promise<T> {
  return boundedCatalogRead(session, 'the catalog', work);
}

/** What a result's row typically costs in a page (its overhead and a few names): a guess, for `pagesLikely`. */
const TYPICAL_ROW_BYTES = ROW_OVERHEAD_BYTES + 200;

/** The most user columns, constraints or relations of one kind: about as many rows as the biggest catalog read gives. */
const CATALOG_OBJECTS_SQL = `SELECT greatest(
  (SELECT count(*) FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace WHERE a.attnum > 0 AND ${SYSTEM_SCHEMA_NOT}),
  (SELECT count(*) FROM pg_constraint o JOIN pg_namespace n ON n.oid = o.connamespace WHERE ${SYSTEM_SCHEMA_NOT}),
  (SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE ${SYSTEM_SCHEMA_NOT}))::text AS objects`;

const likely = new WeakMap<Queryable, Promise<boolean>>();

/**
 * Whether a catalog read on `q` may take more than one page: the catalog
 * holds more objects of one kind than a page holds typical rows. Asked once
 * per session (one call; a reader that reads the count itself says it with
 * `catalogObjects`). A wrong guess costs calls, never rows: a read of one
 * page through a cursor takes four calls, one of more pages read keyed
 * first runs its query twice.
 */
function pagesLikely(q: Queryable, limit: number): Promise<boolean> {
  let known = likely.get(q);
  if (!known) {
    known = q.query<{ objects: string }>(CATALOG_OBJECTS_SQL).then((r) => Number(r.rows[0].objects) * TYPICAL_ROW_BYTES > limit / 2);
    likely.set(q, known);
  }
  return known;
}

/** `CATALOG_OBJECTS_SQL`, for a reader that asks it with its own first query (no call of its own); its `objects` goes to `catalogObjects`. */
export const CATALOG_OBJECTS_SELECT = `(${CATALOG_OBJECTS_SQL.replace(/ AS objects$/, '')})`;

/** The count `CATALOG_OBJECTS_SELECT` read on `q`: `pagesLikely` asks no more. */
export function catalogObjects(q: Queryable, objects: number): void {
  const limit = q.responseLimitBytes;
  if (limit) likely.set(q, Promise.resolve(objects * TYPICAL_ROW_BYTES > limit / 2));
}

let cursors = 0;

/**
 * `read`'s rows through a cursor in the open transaction: FETCH 1, then as
 * many as each last row's `sg_then` says, until it says 0. One statement:
 * every page from one snapshot. `close`: the cursor is closed after (in the
 * caller's transaction, which goes on).
 */
async function cursorRows<R>(q: Queryable, limit: number, read: PagedRead, close: boolean): Promise<R[]> {
  const name = `schemaguard_page_${++cursors}`;
  await q.query(`DECLARE ${name} NO SCROLL CURSOR FOR ${cursorSql(read.sql, read.params.length, read.order)}`, [
    ...read.params,
    Math.floor(limit / 2),
    ROW_OVERHEAD_BYTES,
  ]);
  try {
    const out: R[] = [];
    for (let n = 1; n > 0; ) {
      const page = (await q.query<R & PageColumns>(`FETCH FORWARD ${n} FROM ${name}`)).rows;
      out.push(...page.map(strip));
      n = page.length ? Number(page[page.length - 1].sg_then) : 0;
    }
    return out;
  } finally {
    if (close) await q.query(`CLOSE ${name}`).catch(() => undefined);
  }
}

/**
 * `sql`'s rows in `order` (columns of its rows: `page_row`, or `page_oid`
 * and the columns within), each with `sg_then`: how many rows the
 * next FETCH takes after it (0: none left). Rows are cut into pages by where
 * each starts in the running sum of their text (plus `$n+2` each): a page
 * holds the rows that start within `$n+1` bytes less the widest row, so it
 * ends within `$n+1`. The first FETCH takes the first row alone; after a
 * page's last row, the next page; after any other row, the rest of its page.
 */
function cursorSql(sql: string, n: number, order: readonly string[]): string {
  const by = order.map((c) => `x.${c}`).join(', ');
  return `SELECT y.*, CASE WHEN y.sg_n < y.sg_end THEN y.sg_end ELSE coalesce(lead(y.sg_end) OVER (ORDER BY y.sg_n), y.sg_n) END - y.sg_n AS sg_then FROM (
  SELECT w.*, max(w.sg_n) OVER (PARTITION BY w.sg_page) AS sg_end FROM (
    SELECT v.*, (v.sg_running - v.sg_size) / greatest($${n + 1}::bigint - max(v.sg_size) OVER (), 1) AS sg_page FROM (
      SELECT x.*, octet_length(x::text) + $${n + 2}::int AS sg_size,
             row_number() OVER (ORDER BY ${by}) AS sg_n, sum(octet_length(x::text) + $${n + 2}::int) OVER (ORDER BY ${by} ROWS UNBOUNDED PRECEDING) AS sg_running
        FROM (${sql}) x) v) w) y
 ORDER BY y.sg_n`;
}

type PageKey = { column: 'page_oid'; type: 'oid' } | { column: 'page_row'; type: 'bigint' };

/** Keyed pages from the start, or after `first` (the first page, already read). */
async function pagedRows<R>(
  q: Queryable,
  limit: number,
  paged: { sql: string; key: PageKey },
  params: readonly unknown[],
  first?: { rows: R[]; more: boolean; last: string },
): Promise<R[]> {
  let page = first ?? (await keyedPage<R>(q, limit, paged, params, '0'));
  const out = [...page.rows];
  while (page.more) {
    page = await keyedPage<R>(q, limit, paged, params, page.last);
    out.push(...page.rows);
  }
  return out;
}

/** The page after key `last`: its rows, whether more are left, and its last key. */
async function keyedPage<R>(
  q: Queryable,
  limit: number,
  paged: { sql: string; key: PageKey },
  params: readonly unknown[],
  last: string,
): Promise<{ rows: R[]; more: boolean; last: string }> {
  const page = (await q.query<R & PageColumns>(paged.sql, [...params, last, Math.floor(limit / 2), ROW_OVERHEAD_BYTES])).rows;
  const more = page.length > 0 && isTrue(page[0].sg_more);
  return { rows: page.map(strip), more, last: more ? String(page[page.length - 1][paged.key.column]) : last };
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
  return {
    key,
    sql: `SELECT * FROM (
  SELECT z.*, bool_or(z.sg_running > $${n + 2}::bigint) OVER () AS sg_more FROM (
    SELECT x.*, dense_rank() OVER (ORDER BY x.${k}) AS sg_group,
           sum(octet_length(x::text) + $${n + 3}::int) OVER (ORDER BY x.${k}) AS sg_running
      FROM (${sql}) x WHERE x.${k} > $${n + 1}::${key.type}) z) y
 WHERE y.sg_group = 1 OR y.sg_running <= $${n + 2}::bigint
 ORDER BY ${order}`,
  };
}

function strip<R>(row: R & { page_oid?: unknown; page_row?: unknown }): R {
  const {
    page_oid: _oid,
    page_row: _row,
    sg_group: _g,
    sg_running: _r,
    sg_more: _m,
    sg_size: _s,
    sg_n: _n,
    sg_page: _p,
    sg_end: _e,
    sg_then: _t,
    ...rest
  } = row as R & PageColumns;
  return rest as R;
}
