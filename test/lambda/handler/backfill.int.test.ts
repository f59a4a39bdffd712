/**
 * The custom resource with a backfill, under the real Provider framework: a
 * deploy succeeds once the expand committed and the first batch ran (the
 * rest is left, recorded as running); the next deploy's file that waits for
 * the backfill fails it, naming the backfill and its progress, with the files
 * before it applied; once `migrate` has finished the backfill, that deploy
 * succeeds.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../../support/cli';
import { backfillHandlers, deploy as deployWith } from '../../support/backfill-deploy';
import { dropDatabases, freshDatabase, rows, targets } from '../../support/db';
import { addFile, tempDir } from '../../support/files';

afterAll(dropDatabases);

const target = targets[0]!;

/** One deploy of `dir` by the handler behind the framework, with batches of 500 keys, without a backfill workflow. */
const deploy = (url: string, dir: string, type: 'Create' | 'Update') =>
  deployWith(backfillHandlers(url, dir, { backfill: { minRows: 500, maxRows: 500 } }), dir, type);

describe(`Handler: a backfill across deploys, on ${target.name}`, () => {
  it('the deploy ends after the first batch; the next one fails on the file that waits for it; after migrate finishes it, that deploy succeeds', async () => {
    const url = await freshDatabase(target, 'handler_backfill');
    const dir = tempDir({
      '0001_orders.sql':
        "CREATE TABLE orders (id bigint PRIMARY KEY, country text NOT NULL);\nINSERT INTO orders SELECT g, 'FR' FROM generate_series(1, 5000) g;\n",
      '0002_region.sql':
        'ALTER TABLE orders ADD COLUMN region text;\n-- schemaguard:backfill\nUPDATE orders SET region = lower(country) WHERE region IS NULL;\n',
    });
    const first = await deploy(url, dir, 'Create');
    expect(first.Status, first.Reason).toBe('SUCCESS');
    expect(await rows(url, 'SELECT state, rows_done::int AS rows_done FROM schemaguard.backfills')).toEqual([{ state: 'running', rows_done: 500 }]);

    addFile(dir, '0003_other.sql', 'CREATE TABLE notes (id int PRIMARY KEY);\n');
    addFile(
      dir,
      '0004_region_required.sql',
      '-- schemaguard:after-backfill 0002_region.sql\nALTER TABLE orders ADD CONSTRAINT region_required CHECK (region IS NOT NULL) NOT VALID;\n',
    );
    const refused = await deploy(url, dir, 'Update');
    expect(refused.Status).toBe('FAILED');
    expect(refused.Reason).toContain('0004_region_required.sql waits for the backfill of 0002_region.sql (running, 500 rows done)');
    expect(refused.Reason).toContain('schemaguard migrate');
    expect(await rows(url, 'SELECT version::int AS v FROM schemaguard.applied_migrations ORDER BY 1')).toEqual([{ v: 1 }, { v: 2 }, { v: 3 }]);

    const finish = await runCli(['migrate', '--dir', dir, '--database-url', url]);
    expect(finish.code, finish.stderr).toBe(0);
    expect(await rows(url, 'SELECT state, rows_done::int AS rows_done FROM schemaguard.backfills')).toEqual([{ state: 'done', rows_done: 5000 }]);
    const again = await deploy(url, dir, 'Update');
    expect(again.Status, again.Reason).toBe('SUCCESS');
  });
});
