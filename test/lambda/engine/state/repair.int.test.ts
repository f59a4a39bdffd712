/** `repair` and `baseline` in the engine, on every driver (the Data API driver brings its own lock and transactions). */
import { afterAll, describe, expect, it } from 'vitest';
import { baseline } from '../../../../lambda/engine/state/baseline';
import { ChecksumMismatchError, StateRefusalError } from '../../../../lambda/engine/errors/errors';
import { repair } from '../../../../lambda/engine/state/repair';
import { loadMigrations } from '../../../../lambda/engine/files/source';
import { dropDatabases, freshDatabase, rows, withClient } from '../../../support/db';
import { driverCases } from '../../../support/drivers';
import { rejection, runEngine } from '../../../support/engine';
import { addFile, tempDir } from '../../../support/files';

afterAll(dropDatabases);

describe.each(driverCases())('Function: repair on $name', ({ target, driver }) => {
  it('accepts an edited applied file in one audited transaction; migrate refused it until then', async () => {
    const url = await freshDatabase(target, 'engine_repair');
    const dir = tempDir({ '1_a.sql': 'CREATE TABLE a (id int);' });
    await runEngine(driver, url, dir);
    addFile(dir, '1_a.sql', '-- a\nCREATE TABLE a (id int);');
    expect(await rejection(runEngine(driver, url, dir))).toBeInstanceOf(ChecksumMismatchError);
    const d = driver.make(url);
    try {
      const r = await repair({ driver: d, migrations: loadMigrations(dir), reason: 'comment', actor: 'test' });
      expect(r.repaired.map((x) => x.version)).toEqual([1]);
    } finally {
      await d.end();
    }
    expect((await runEngine(driver, url, dir)).outcome).toBe('up-to-date');
    expect(await rows(url, 'SELECT version, reason, repaired_by FROM schemaguard.checksum_repairs')).toEqual([
      { version: '1', reason: 'comment', repaired_by: 'test' },
    ]);
  });

  it('baseline writes nothing when one of its rows cannot be inserted (one transaction)', async () => {
    const url = await freshDatabase(target, 'engine_baseline_tx');
    const dir = tempDir({ '1_a.sql': 'SELECT 1;', '2_b.sql': 'SELECT 2;' });
    const migrations = loadMigrations(dir);
    // A name the state table refuses half-way: the first row must not stay behind.
    await withClient(url, (c) =>
      c.query(`CREATE SCHEMA schemaguard; CREATE TABLE schemaguard.applied_migrations (version bigint PRIMARY KEY, name text NOT NULL CHECK (name <> 'b'),
      checksum text NOT NULL, applied_at timestamptz NOT NULL DEFAULT clock_timestamp(), execution_ms integer NOT NULL, applied_by text NOT NULL)`),
    );
    const d = driver.make(url);
    try {
      const e = await rejection(baseline({ driver: d, migrations, version: 2, actor: 'test' }));
      expect(e).not.toBeInstanceOf(StateRefusalError);
    } finally {
      await d.end();
    }
    expect(await rows(url, 'SELECT count(*)::int AS n FROM schemaguard.applied_migrations')).toEqual([{ n: 0 }]);
    expect(
      await rows(url, "SELECT count(*)::int AS n FROM pg_attribute WHERE attrelid = 'schemaguard.applied_migrations'::regclass AND attname = 'kind'"),
    ).toEqual([{ n: 0 }]);
  });
});
