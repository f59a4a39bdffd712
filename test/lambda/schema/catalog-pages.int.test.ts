/**
 * orderedRows and catalogRows through the Data API (the stand-in: 1 MiB per
 * response): a result of several pages is read through one cursor, so its
 * pages come from one snapshot, in a transaction of its own or in the
 * caller's. Keyed pages ran the query again for each page: a row added
 * between two pages shifted every rank after it, and a row came twice; a
 * catalog part (columns, enums) read a row its first pages did not know of.
 * Where the catalog is big enough for pages, the cursor opens at once and
 * the query runs once; a read of one page on a small catalog is one call.
 */
import { ExecuteStatementCommand } from '@aws-sdk/client-rds-data';
import type { DataApiStandin } from '../../support/data-api-standin';
import { afterAll, describe, expect, it } from 'vitest';
import { catalogObjects, catalogRows, orderedRows } from '../../../lambda/schema/catalog-pages';
import { outcome, withPagedRig } from '../../support/data-api-pages';
import { allMajors, dropDatabases, freshDatabase, rows, whileHeld, withClient } from '../../support/db';

afterAll(dropDatabases);

/** 2,000 rows of 600 bytes: about 1.3 MB through the Data API in one query. */
const ITEMS = `CREATE TABLE items (i int PRIMARY KEY, filler text);
INSERT INTO items SELECT i, repeat('x', 600) FROM generate_series(1, 2000) i;`;

const READ = 'SELECT i, filler, row_number() OVER (ORDER BY i) AS page_row FROM items ORDER BY page_row';

/** `insert` committed before the third call of `standin` that reads rows (a keyed page, a DECLARE, a FETCH). */
function addBeforeThirdRead(standin: DataApiStandin, url: string, insert: string): void {
  const send = standin.send.bind(standin) as (c: unknown) => Promise<unknown>;
  let reads = 0;
  (standin as { send: unknown }).send = async (command: unknown) => {
    const sql = command instanceof ExecuteStatementCommand ? (command.input.sql ?? '') : '';
    if ((sql.includes('sg_running') || sql.startsWith('FETCH')) && ++reads === 3) await withClient(url, (c) => c.query(insert));
    return send(command);
  };
}

/** What the stand-in was sent that reads rows: 'keyed' (a keyed page), 'DECLARE', 'FETCH'. */
function readCalls(standin: DataApiStandin): string[] {
  return standin.calls
    .filter((c) => c.sql?.includes('sg_running') || c.sql?.startsWith('FETCH'))
    .map((c) => (c.sql!.includes('sg_more') ? 'keyed' : c.sql!.split(' ')[0]!));
}

describe.each(allMajors)('Function: orderedRows through the Data API on $name', (target) => {
  it.each([
    ['a transaction of its own', false],
    ["the caller's read-only transaction", true],
  ])(
    'reads the pages from one snapshot, in %s: a row added between two pages is not read (keyed pages read a row twice)',
    async (_name, callers) => {
      // Prepare
      const url = await freshDatabase(target, 'ordered_rows_snapshot');
      await withClient(url, (c) => c.query(ITEMS));
      const expected = await rows<{ i: number; filler: string }>(url, 'SELECT i, filler FROM items ORDER BY i');

      await withPagedRig(url, async ({ standin, session, unpaged, fetches }) => {
        // A row that sorts first, committed before the third call that reads rows.
        addBeforeThirdRead(standin, url, "INSERT INTO items VALUES (0, 'added between two pages')");
        if (callers) {
          // As the guard's pass: READ ONLY.
          await session.begin({ lockTimeoutMs: 1000, statementTimeoutMs: 10_000 });
          await session.query('SET TRANSACTION READ ONLY');
        }

        // Act
        const paged = await orderedRows<{ i: number; filler: string }>(session, READ);
        const after = callers ? await session.query<{ n: string }>("SELECT count(*) AS n FROM pg_cursors WHERE name LIKE 'schemaguard%'") : undefined;
        if (callers) await session.rollback();

        // Assess
        expect(paged.map((r) => [Number(r.i), r.filler])).toEqual(expected.map((r) => [Number(r.i), r.filler]));
        expect(fetches()).toBeGreaterThan(2);
        expect(after?.rows[0]?.n).toBe(callers ? '0' : undefined); // the caller's transaction goes on without the cursor
        expect(await outcome(orderedRows(unpaged, READ))).toBe('54000');
      });
    },
    60_000,
  );
});

/** Each default of `accounts`, printed with pg_get_expr (which opens the table). */
const READ_DEFAULTS = `SELECT a.attname AS name, pg_get_expr(d.adbin, d.adrelid) AS expr, row_number() OVER (ORDER BY a.attname) AS page_row
  FROM pg_attrdef d JOIN pg_attribute a ON a.attrelid = d.adrelid AND a.attnum = d.adnum WHERE d.adrelid = 'accounts'::regclass ORDER BY page_row`;

describe.each(allMajors)('Function: orderedRows through the Data API, a table a migration holds, on $name', (target) => {
  // Regression: the cursor's own transaction had no lock_timeout: pg_get_expr waited behind the migration's ACCESS EXCLUSIVE
  // until the Data API call's 45 s ran out, and the error said nothing of why.
  it('a read through the cursor in a transaction of its own waits 1 s (lock_timeout) and fails naming the holder; once it ends, the rows', async () => {
    // Prepare
    const url = await freshDatabase(target, 'ordered_rows_locked');
    await withClient(url, (c) => c.query("CREATE TABLE accounts (id int PRIMARY KEY, plan text DEFAULT 'free')"));

    await withPagedRig(url, async ({ session, fetches }) => {
      catalogObjects(session, 1_000_000); // a catalog big enough for pages: the cursor opens at once, in a transaction of its own
      await whileHeld(url, 'ALTER TABLE accounts ADD COLUMN added_by_a_migration int', async (pid) => {
        // Act
        const started = Date.now();
        const error = await orderedRows(session, READ_DEFAULTS).then(
          () => undefined,
          (e: unknown) => e,
        );
        const took = Date.now() - started;

        // Assess
        expect(took).toBeLessThan(10_000);
        expect(error).toMatchObject({ name: 'CatalogReadTimeoutError', sqlstate: '55P03' });
        expect((error as Error).message).toMatch(
          new RegExp(
            `^the catalog could not be read: waiting on a lock held \\(ACCESS EXCLUSIVE\\) by pid ${pid} \\(a_migration, user \\w+, idle in transaction, in a transaction for \\d+ s\\) on public\\.accounts, past lock_timeout 1 s \\(55P03\\)$`,
          ),
        );
        expect(session.inTransaction).toBe(false);
      });
      expect(await orderedRows(session, READ_DEFAULTS)).toEqual([{ name: 'plan', expr: "'free'::text" }]);
      expect(fetches()).toBeGreaterThan(0);
    });
  }, 60_000);
});

/** The items keyed as a catalog part is: by an oid (one row each here). */
const READ_BY_OID = 'SELECT i, filler, i::oid AS page_oid FROM items ORDER BY page_oid';

describe.each(allMajors)('Function: catalogRows through the Data API on $name', (target) => {
  it.each([
    ['a transaction of its own', false],
    ["the caller's read-only transaction", true],
  ])(
    'reads the pages from one snapshot, in %s: a row added between two pages is not read (keyed pages, each its own snapshot, read it)',
    async (_name, callers) => {
      // Prepare
      const url = await freshDatabase(target, 'catalog_rows_snapshot');
      await withClient(url, (c) => c.query(ITEMS));
      const expected = await rows<{ i: number; filler: string }>(url, 'SELECT i, filler FROM items ORDER BY i');

      await withPagedRig(url, async ({ standin, session, unpaged, fetches }) => {
        // A row that sorts last, committed before the third call that reads rows.
        addBeforeThirdRead(standin, url, "INSERT INTO items VALUES (5000, 'added between two pages')");
        if (callers) {
          await session.begin({ lockTimeoutMs: 1000, statementTimeoutMs: 10_000 });
          await session.query('SET TRANSACTION READ ONLY');
        }

        // Act
        const paged = await catalogRows<{ i: number; filler: string }>(session, READ_BY_OID, []);
        if (callers) await session.rollback();

        // Assess
        expect(paged.map((r) => [Number(r.i), r.filler])).toEqual(expected.map((r) => [Number(r.i), r.filler]));
        expect(fetches()).toBeGreaterThan(2);
        expect(await outcome(catalogRows(unpaged, READ_BY_OID, []))).toBe('54000');
      });
    },
    60_000,
  );
});

describe.each(allMajors)('Function: orderedRows, how many calls, on $name', (target) => {
  it('a result of one page on a small catalog is one call; one of many pages where the catalog is big enough runs its query once, through the cursor from the start (a first page ran it before the cursor)', async () => {
    // Prepare: a catalog of 1,000 columns (one table) is big enough for pages; the items are 1.3 MB.
    const url = await freshDatabase(target, 'ordered_rows_calls');
    await withClient(url, (c) => c.query(ITEMS));
    const small = await withPagedRig(url, async ({ standin, session }) => {
      const sql = 'SELECT i, row_number() OVER (ORDER BY i) AS page_row FROM items WHERE i <= 10 ORDER BY page_row';
      const first = await orderedRows<{ i: number }>(session, sql);
      const before = standin.calls.length;
      const again = await orderedRows<{ i: number }>(session, sql);
      return { rows: [first.length, again.length], calls: standin.calls.slice(before).map((c) => c.command) };
    });
    await withClient(url, (c) => c.query(`CREATE TABLE wide (${Array.from({ length: 1000 }, (_, k) => `c${k} int`).join(', ')})`));

    await withPagedRig(url, async ({ standin, session, fetches }) => {
      // Act
      const paged = await orderedRows<{ i: number }>(session, READ);

      // Assess
      expect(small).toEqual({ rows: [10, 10], calls: ['ExecuteStatement'] }); // the catalog's size was asked once per session, by the first
      expect(paged).toHaveLength(2000);
      expect(readCalls(standin)).toEqual(['DECLARE', ...Array.from({ length: fetches() }, () => 'FETCH')]);
      expect(fetches()).toBeGreaterThan(2);
    });
  }, 60_000);
});
