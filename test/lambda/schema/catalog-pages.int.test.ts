/**
 * orderedRows through the Data API (the stand-in: 1 MiB per response): a
 * result of several pages is read through one cursor, so its pages come from
 * one snapshot, in a transaction of its own or in the caller's. Keyed pages
 * ran the query again for each page: a row added between two pages shifted
 * every rank after it, and a row came twice.
 */
import { ExecuteStatementCommand } from '@aws-sdk/client-rds-data';
import { afterAll, describe, expect, it } from 'vitest';
import { orderedRows } from '../../../lambda/schema/catalog-pages';
import { outcome, withPagedRig } from '../../support/data-api-pages';
import { dropDatabases, freshDatabase, rows, targets, withClient } from '../../support/db';

afterAll(dropDatabases);

/** 2,000 rows of 600 bytes: about 1.3 MB through the Data API in one query. */
const ITEMS = `CREATE TABLE items (i int PRIMARY KEY, filler text);
INSERT INTO items SELECT i, repeat('x', 600) FROM generate_series(1, 2000) i;`;

const READ = 'SELECT i, filler, row_number() OVER (ORDER BY i) AS page_row FROM items ORDER BY page_row';

describe.each(targets)('Function: orderedRows through the Data API on $name', (target) => {
  it.each([['a transaction of its own', false], ["the caller's read-only transaction", true]])(
    'reads the pages from one snapshot, in %s: a row added between two pages is not read (keyed pages read a row twice)', async (_name, callers) => {
      // Prepare
      const url = await freshDatabase(target, 'ordered_rows_snapshot');
      await withClient(url, (c) => c.query(ITEMS));
      const expected = await rows<{ i: number; filler: string }>(url, 'SELECT i, filler FROM items ORDER BY i');

      await withPagedRig(url, async ({ standin, session, unpaged, fetches }) => {
        // A row that sorts first, committed before the third call that reads rows.
        const send = standin.send.bind(standin) as (c: unknown) => Promise<unknown>;
        let reads = 0;
        (standin as { send: unknown }).send = async (command: unknown) => {
          const sql = command instanceof ExecuteStatementCommand ? command.input.sql ?? '' : '';
          if ((sql.includes('sg_running') || sql.startsWith('FETCH')) && ++reads === 3) {
            await withClient(url, (c) => c.query("INSERT INTO items VALUES (0, 'added between two pages')"));
          }
          return send(command);
        };
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
    }, 60_000);
});
