/**
 * The fixes take no long blocking lock where a lighter form exists: no table
 * is rewritten, not even one whose key columns change type, metadata-only changes stay
 * metadata-only, validation runs beside open writers, index renames do not
 * lock the table.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { fullMatrixMajors, dropDatabases, freshDatabase, rows, withClient } from '../support/db';
import { loadFixture, runFixes } from '../support/schema-fixes';

afterAll(dropDatabases);

/** relfilenode of every table in public: it changes only when a table is rewritten. */
const fileNodes = async (url: string) =>
  Object.fromEntries(
    (
      await rows<{ t: string; f: string }>(
        url,
        `SELECT c.relname AS t, pg_relation_filenode(c.oid)::text AS f FROM pg_class c
    WHERE c.relnamespace = 'public'::regnamespace AND c.relkind = 'r' ORDER BY 1`,
      )
    ).map((r) => [r.t, r.f]),
  );

function rewritten(before: Record<string, string>, after: Record<string, string>): string[] {
  return Object.keys(before)
    .filter((t) => after[t] !== before[t])
    .sort();
}

describe.each(fullMatrixMajors)('$name', (target) => {
  it('rewrites no table of a database whose key columns are already uuid', async () => {
    const url = await freshDatabase(target, 'norewrite');
    await loadFixture(url, 'partly_fixed');
    const before = await fileNodes(url);

    await runFixes(url);

    expect(rewritten(before, await fileNodes(url))).toEqual([]);
  });

  it('rewrites no table while it converts the accounts key columns to uuid (expand, backfill, swap)', async () => {
    const url = await freshDatabase(target, 'rewrite');
    await loadFixture(url, 'hand_script');
    const before = await fileNodes(url);

    await runFixes(url);

    // varchar in the hand-written script: accounts.id, users/appointments/blackout_dates/test_chat_sessions.account_id.
    expect(
      await rows(
        url,
        `SELECT count(*)::int AS n FROM information_schema.columns
                             WHERE table_schema = 'public' AND column_name IN ('id', 'account_id') AND data_type <> 'uuid'`,
      ),
    ).toEqual([{ n: 0 }]);
    expect(rewritten(before, await fileNodes(url))).toEqual([]);
  });

  it('validates the constraints while another transaction has uncommitted writes on the tables', async () => {
    const url = await freshDatabase(target, 'validate');
    await runFixes(url, { upTo: 7 });
    await withClient(url, async (writer) => {
      await writer.query('BEGIN');
      const account = (await writer.query<{ id: string }>(`INSERT INTO accounts (name) VALUES ('Open Tx') RETURNING id`)).rows[0]!.id;
      await writer.query(`INSERT INTO appointments (account_id, datetime) VALUES ($1, now())`, [account]);

      const result = await runFixes(url, { lockTimeoutMs: 2000, lockRetries: 0 });

      expect(result.applied.map((a) => a.version)).toEqual([8, 9]);
      await writer.query('COMMIT');
    });
    expect(await rows(url, `SELECT count(*)::int AS n FROM pg_constraint WHERE connamespace = 'public'::regnamespace AND NOT convalidated`)).toEqual([
      { n: 0 },
    ]);
  });

  it('renames an index (0005) with SHARE UPDATE EXCLUSIVE on the index and no lock on its table', async () => {
    const url = await freshDatabase(target, 'rename');
    await loadFixture(url, 'wrong_definitions');
    const locks = await withClient(url, async (c) => {
      await c.query('BEGIN');
      await c.query('ALTER INDEX public.unique_active_purchase RENAME TO unique_active_purchase_replaced');
      const r = await c.query<{ rel: string; mode: string }>(
        `SELECT relation::regclass::text AS rel, mode FROM pg_locks
          WHERE pid = pg_backend_pid() AND locktype = 'relation' AND relation::regclass::text LIKE '%purchase%' ORDER BY 1, 2`,
      );
      await c.query('ROLLBACK');
      return r.rows;
    });
    expect(locks).toEqual([{ rel: 'unique_active_purchase_replaced', mode: 'ShareUpdateExclusiveLock' }]);
  });
});
