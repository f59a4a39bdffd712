/**
 * Other tools' history tables on a database schemaguard has not recorded:
 * golang-migrate's `schema_migrations (version bigint, dirty boolean)` and
 * Prisma's `_prisma_migrations` are recognised as Flyway's and
 * node-pg-migrate's are, with their failed migrations named.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { ForeignHistoryError } from '../../../../lambda/engine/errors/errors';
import { foreignHistoryNote, foreignHistoryTables } from '../../../../lambda/engine/foreign-history/foreign-tables';
import { dropDatabases, freshDatabase, rows, withClient } from '../../../support/db';
import { driverCases } from '../../../support/drivers';
import { rejection, runEngine } from '../../../support/engine';
import { tempDir } from '../../../support/files';

afterAll(dropDatabases);

const PRISMA = `CREATE TABLE _prisma_migrations (id varchar(36) PRIMARY KEY, checksum varchar(64) NOT NULL, finished_at timestamptz, migration_name varchar(255) NOT NULL,
  logs text, rolled_back_at timestamptz, started_at timestamptz NOT NULL DEFAULT now(), applied_steps_count int NOT NULL DEFAULT 0)`;

describe.each(driverCases())("Function: migrate, golang-migrate's and Prisma's history on $name", ({ target, driver }) => {
  // Regression (exploratory tester): neither table was recognised: every file ran again on the schema they built.
  it('refuses a first run where golang-migrate stopped in version 3 (dirty), naming it and baseline --from golang-migrate; a clean one names its version', async () => {
    const url = await freshDatabase(target, 'golang_migrate');
    await withClient(url, (c) =>
      c.query('CREATE TABLE schema_migrations (version bigint PRIMARY KEY, dirty boolean NOT NULL); INSERT INTO schema_migrations VALUES (3, true)'),
    );
    const dir = tempDir({ '1_a.sql': 'CREATE TABLE a (id int);' });

    const e = await rejection<ForeignHistoryError>(runEngine(driver, url, dir));

    expect(e).toBeInstanceOf(ForeignHistoryError);
    expect(e.message).toBe(
      "public.schema_migrations (golang-migrate's history) records a failed migration: version 3 (dirty = true) (repair what it left by hand first) and schemaguard has recorded nothing here: migrate would run all 1 file again on the schema golang-migrate built; nothing was run",
    );
    // The repair baseline --from asks for first (it refuses until then).
    expect(e.fix).toMatch(
      /^the failed migration may have left part of its change: repair that by hand \(finish or undo it\), then tell golang-migrate where the schema stands \(migrate force 3 if you finished it, .*\) and baseline --from golang-migrate again; then migrate\. If these files/,
    );
    expect(await rows(url, "SELECT to_regclass('public.a') AS t")).toEqual([{ t: null }]);

    await withClient(url, (c) => c.query('UPDATE schema_migrations SET dirty = false'));
    const clean = await rejection<ForeignHistoryError>(runEngine(driver, url, dir));
    expect(clean.message).toMatch(
      /^public\.schema_migrations \(golang-migrate's history\) records migrations up to version 3 and schemaguard has recorded nothing here/,
    );
    expect(clean.fix).toContain(
      'schemaguard baseline --from golang-migrate --database-url <this database> --reason "adopted from golang-migrate" (for the custom resource',
    );
  });

  it('refuses a first run where Prisma applied migrations, naming the unfinished one and its repair before baseline --from prisma', async () => {
    const url = await freshDatabase(target, 'prisma');
    await withClient(url, async (c) => {
      await c.query(PRISMA);
      await c.query(`INSERT INTO _prisma_migrations (id, checksum, finished_at, migration_name) VALUES
        ('a', 'x', now(), '20240101000000_init'), ('b', 'x', now(), '20240201000000_posts'), ('c', 'x', NULL, '20240301000000_tags')`);
    });
    const dir = tempDir({ '20240101000000_init.sql': 'CREATE TABLE a (id int);' });

    const e = await rejection<ForeignHistoryError>(runEngine(driver, url, dir));

    expect(e.message).toMatch(
      /^public\._prisma_migrations \(prisma's history\) records 2 applied migrations; it records a failed migration: 20240301000000_tags \(finished_at is null\)/,
    );
    // The repair baseline --from asks for first (it refuses until then).
    expect(e.fix).toContain(
      'then record it with prisma migrate resolve --applied 20240301000000_tags (finished) or --rolled-back 20240301000000_tags (undone), and baseline --from prisma again; then migrate',
    );
  });

  // Regression (exploratory tester): a history recording no applied migration was refused ("baseline first") while baseline --from said "run migrate".
  it("runs every file with a note where Prisma's migrations were all rolled back; one failed there is still refused, with migrate resolve", async () => {
    const url = await freshDatabase(target, 'prisma_rolled_back');
    await withClient(url, async (c) => {
      await c.query(PRISMA);
      await c.query(
        "INSERT INTO _prisma_migrations (id, checksum, finished_at, migration_name, rolled_back_at) VALUES ('a', 'x', now(), '20240101000000_init', now())",
      );
    });
    const dir = tempDir({ '20240101000000_init.sql': 'CREATE TABLE a (id int);' });
    const failed = await freshDatabase(target, 'prisma_failed_only');
    await withClient(failed, async (c) => {
      await c.query(PRISMA);
      await c.query("INSERT INTO _prisma_migrations (id, checksum, finished_at, migration_name) VALUES ('a', 'x', NULL, '20240101000000_init')");
    });

    const run = await runEngine(driver, url, dir);
    const e = await rejection<ForeignHistoryError>(runEngine(driver, failed, dir));

    expect(run.outcome).toBe('applied');
    expect(run.events).toContainEqual({
      type: 'note',
      message:
        "public._prisma_migrations (prisma's history) records no applied migration: this database is migrated as a new one, every file runs, and that table is left as it is",
    });
    expect(await rows(url, "SELECT to_regclass('public.a')::text AS t")).toEqual([{ t: 'a' }]);
    expect(e).toBeInstanceOf(ForeignHistoryError);
    expect(e.message).toMatch(/^public\._prisma_migrations \(prisma's history\) records a failed migration: 20240101000000_init \(finished_at is null\)/);
    expect(e.fix).toContain(
      'then record it with prisma migrate resolve --applied 20240101000000_init (finished) or --rolled-back 20240101000000_init (undone), and baseline --from prisma again; then migrate',
    );
    expect(await rows(failed, "SELECT to_regclass('public.a') AS t")).toEqual([{ t: null }]);
  });

  it("Rails' schema_migrations (a text version beside ar_internal_metadata) is neither golang-migrate's nor dbmate's", async () => {
    const url = await freshDatabase(target, 'rails_migrations');
    // dbmate's table is the same (version varchar primary key): Rails' has ar_internal_metadata beside it.
    await withClient(url, (c) =>
      c.query(
        "CREATE TABLE schema_migrations (version varchar PRIMARY KEY); INSERT INTO schema_migrations VALUES ('20240101000000'); CREATE TABLE ar_internal_metadata (key varchar PRIMARY KEY, value varchar)",
      ),
    );
    const d = driver.make(url);
    try {
      const s = await d.connect();
      try {
        expect(await foreignHistoryTables(s)).toEqual([]);
        expect(await foreignHistoryNote(s, [])).toBeUndefined();
      } finally {
        await s.close();
      }
    } finally {
      await d.end();
    }
  });
});
