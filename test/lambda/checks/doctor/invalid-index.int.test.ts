import { afterAll, describe, expect, it } from 'vitest';
import { INVALID_INDEX } from '../../../../lambda/checks/doctor/invalid-index';
import { fullMatrixMajors, dropDatabases, rows, withClient } from '../../../support/db';
import { applyFix, findingsOfRule, findingsOn, findingsOnSchema } from './bad-schema';

afterAll(dropDatabases);

describe.each(fullMatrixMajors)('Rule: invalid-index on $name', (target) => {
  const findings = findingsOfRule(target, INVALID_INDEX);

  it('finds the index a failed CREATE UNIQUE INDEX CONCURRENTLY left, and no valid index', () => {
    expect(findings().map((f) => f.object)).toEqual(['dupes_code_key']);
    expect(findings()[0]!.message).toBe('index dupes_code_key on dupes is INVALID');
  });

  // Regression (helper): for a UNIQUE index that failed on duplicates, the fix rebuilt it and failed again on the same rows.
  it('rebuilds an INVALID index concurrently; a UNIQUE one after the query that finds the duplicates it failed on', () => {
    expect(
      findings()
        .find((x) => x.rule === 'invalid-index')!
        .fix.split('\n'),
    ).toEqual([
      'SELECT code, count(*) FROM dupes WHERE code IS NOT NULL GROUP BY code HAVING count(*) > 1 LIMIT 20;  -- a UNIQUE build fails again while these exist: keep one row of each first',
      'DROP INDEX CONCURRENTLY IF EXISTS dupes_code_key;  -- each statement on its own: CONCURRENTLY refuses a transaction block',
      'CREATE UNIQUE INDEX CONCURRENTLY dupes_code_key ON public.dupes USING btree (code);',
    ]);
  });

  // Review: the key was read from the definition's text by a regex; an expression key (lower(email)) got a hint instead, which dropped the WHERE.
  it('an expression key and a partial index: the duplicates query groups by the expression, within the WHERE, and finds the rows', async () => {
    const { url } = await findingsOnSchema(
      target,
      'doctor_dupes_expr',
      `CREATE TABLE users (id int, email text, deleted_at timestamptz);
      INSERT INTO users VALUES (1, 'A@x.io', NULL), (2, 'a@x.io', NULL), (3, 'a@x.io', now()), (4, NULL, NULL), (5, NULL, NULL);`,
      [],
    );
    await withClient(url, (c) =>
      c.query('CREATE UNIQUE INDEX CONCURRENTLY users_email_key ON users (lower(email)) WHERE deleted_at IS NULL').catch(() => undefined),
    );
    const first = (await findingsOn(url, [INVALID_INDEX]))[0]!.fix.split('\n')[0]!;
    expect(first).toBe(
      'SELECT (lower(email)), count(*) FROM users WHERE (deleted_at IS NULL) AND (lower(email)) IS NOT NULL GROUP BY (lower(email)) HAVING count(*) > 1 LIMIT 20;  -- a UNIQUE build fails again while these exist: keep one row of each first',
    );
    expect(await rows(url, first.replace(/ {2}--.*$/, ''))).toEqual([{ lower: 'a@x.io', count: '2' }]);
  });

  it('the duplicates query lists the rows the build failed on (NULLs are none), and once they are gone the rebuild makes the index valid', async () => {
    const { url } = await findingsOnSchema(
      target,
      'doctor_dupes_fix',
      "CREATE TABLE pairs (a int, b text); INSERT INTO pairs VALUES (1, 'x'), (1, 'x'), (2, 'y'), (NULL, 'z'), (NULL, 'z');",
      [],
    );
    await withClient(url, (c) => c.query("CREATE UNIQUE INDEX CONCURRENTLY pairs_key ON pairs (a, b) WHERE b <> ''").catch(() => undefined));
    const fix = (await findingsOn(url, [INVALID_INDEX]))[0]!.fix.split('\n').map((l) => l.replace(/ {2}--.*$/, ''));
    expect(await rows(url, fix[0]!)).toEqual([{ a: 1, b: 'x', count: '2' }]);
    await withClient(url, (c) => c.query('DELETE FROM pairs WHERE ctid = (SELECT max(ctid) FROM pairs WHERE a = 1)'));
    await applyFix(url, fix.slice(1).join('\n'));
    expect(await rows(url, "SELECT indisvalid FROM pg_index WHERE indexrelid = 'pairs_key'::regclass")).toEqual([{ indisvalid: true }]);
  });
});

/** Runs `fn` while another session holds a write on `table` open, which every concurrent index build waits for. */
async function whileWriting<T>(url: string, table: string, fn: () => Promise<T>): Promise<T> {
  return withClient(url, async (writer) => {
    await writer.query('BEGIN');
    await writer.query(`INSERT INTO ${table} DEFAULT VALUES`);
    try {
      return await fn();
    } finally {
      await writer.query('COMMIT');
    }
  });
}

describe.each(fullMatrixMajors)('Rule: invalid-index after a failed REINDEX CONCURRENTLY, on $name', (target) => {
  it('drops only the leftover, whose valid twin stays, and the fix applies', async () => {
    const { url } = await findingsOnSchema(target, 'doctor_ccnew', 'CREATE TABLE items (id int, code text); CREATE INDEX items_code_idx ON items (code);', []);
    const failed = await whileWriting(url, 'items', () =>
      withClient(url, async (c) => {
        await c.query("SET statement_timeout = '300ms'");
        return c.query('REINDEX INDEX CONCURRENTLY items_code_idx').catch((e: { code?: string }) => e.code);
      }),
    );
    expect(failed).toBe('57014');
    const [f, ...others] = await findingsOn(url, [INVALID_INDEX]);
    expect(others).toEqual([]);
    await applyFix(url, f!.fix);
    expect(await rows(url, "SELECT indexrelid::regclass::text AS index, indisvalid FROM pg_index WHERE indrelid = 'items'::regclass")).toEqual([
      { index: 'items_code_idx', indisvalid: true },
    ]);
    expect(f!.message).toBe(
      'index items_code_idx_ccnew on items is INVALID beside items_code_idx, a valid index of the same definition (a failed REINDEX CONCURRENTLY leaves such a pair)',
    );
  });
});

describe.each(fullMatrixMajors)('Rule: invalid-index on a partitioned index, on $name', (target) => {
  it('attaches an index of every partition (DROP INDEX CONCURRENTLY refuses a partitioned index), and the fix applies', async () => {
    const { url } = await findingsOnSchema(
      target,
      'doctor_part_index',
      `
      CREATE TABLE metrics (id int, k int) PARTITION BY RANGE (id);
      CREATE TABLE metrics_1 PARTITION OF metrics FOR VALUES FROM (0) TO (10);
      CREATE TABLE metrics_2 PARTITION OF metrics FOR VALUES FROM (10) TO (20);
      CREATE TABLE metrics_3 PARTITION OF metrics FOR VALUES FROM (20) TO (30) PARTITION BY RANGE (id);
      CREATE TABLE metrics_31 PARTITION OF metrics_3 FOR VALUES FROM (20) TO (30);
      CREATE INDEX metrics_k_idx ON ONLY metrics (k);
      CREATE INDEX metrics_1_k_idx ON metrics_1 (k);
      CREATE INDEX metrics_2_k ON metrics_2 (k);
      ALTER INDEX metrics_k_idx ATTACH PARTITION metrics_1_k_idx;
    `,
      [],
    );
    const [f, ...others] = await findingsOn(url, [INVALID_INDEX]);
    expect(others).toEqual([]);
    expect([f!.object, f!.severity, f!.message]).toEqual([
      'metrics_k_idx',
      'warning',
      'partitioned index metrics_k_idx on metrics is INVALID: metrics_2, metrics_3 have no index attached to it',
    ]);
    expect(f!.fix.split('\n')[0]).toBe('ALTER INDEX metrics_k_idx ATTACH PARTITION metrics_2_k;');
    await applyFix(url, f!.fix);
    const [next, ...rest] = await findingsOn(url, [INVALID_INDEX]);
    expect([next!.object, rest]).toEqual(['metrics_3_metrics_k_idx', []]);
    await applyFix(url, next!.fix);
    expect(await findingsOn(url, [INVALID_INDEX])).toEqual([]);
    expect(await rows(url, 'SELECT count(*)::int AS n FROM pg_index WHERE NOT indisvalid')).toEqual([{ n: 0 }]);
  });
});

describe.each(fullMatrixMajors)('Rule: invalid-index while an index is being built, on $name', (target) => {
  it('does not report the index a CREATE INDEX CONCURRENTLY is building right now', async () => {
    const { url } = await findingsOnSchema(target, 'doctor_building', 'CREATE TABLE items (id int, code text);', []);
    let build: Promise<unknown> | undefined;
    const during = await whileWriting(url, 'items', async () => {
      build = withClient(url, (c) => c.query('CREATE INDEX CONCURRENTLY items_code_idx ON items (code)'));
      await waitFor(url, 'SELECT 1 FROM pg_stat_progress_create_index p JOIN pg_index i ON i.indexrelid = p.index_relid WHERE NOT i.indisvalid');
      return findingsOn(url, [INVALID_INDEX]);
    });
    await build;
    expect(during).toEqual([]);
    expect(await rows(url, "SELECT indisvalid FROM pg_index WHERE indexrelid = 'items_code_idx'::regclass")).toEqual([{ indisvalid: true }]);
  });
});

/** Polls until `sql` returns a row (the other session got there), for at most 20 s. */
async function waitFor(url: string, sql: string): Promise<void> {
  for (let i = 0; i < 400; i++) {
    if ((await rows(url, sql)).length) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for: ${sql}`);
}
