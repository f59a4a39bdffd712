/**
 * The transaction fast paths (BEGIN with the first statement, the state row
 * with COMMIT) must not change what a migration means: positions and lines of
 * errors in the first statement, the exact state row, atomicity when the
 * state row fails, and the number of round trips they save.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { PgDriver } from '../../../lambda/driver/pg/pg-driver';
import { StatementError } from '../../../lambda/engine/errors';
import { migrate } from '../../../lambda/engine/runner';
import { loadMigrations } from '../../../lambda/engine/source';
import { CountingDriver } from '../../../bench/lib/counting-driver';
import { dropDatabases, freshDatabase, rows, withClient } from '../../support/db';
import { driverCases } from '../../support/drivers';
import { rejection, runEngine } from '../../support/engine';
import { tempDir } from '../../support/files';

afterAll(dropDatabases);

describe.each(driverCases())('Function: migrate round trips on $name', ({ target, driver }) => {
  it('reports the line and position of an error in the first statement of a file', async () => {
    const url = await freshDatabase(target, 'first_stmt');
    const dir = tempDir({ '1_bad.sql': '-- header\n\nSELECT 1\n  FROM missing_table;\nCREATE TABLE never (id int);' });

    const e = await rejection<StatementError>(runEngine(driver, url, dir));

    expect(e).toBeInstanceOf(StatementError);
    expect(e.message).toBe('1_bad.sql:4: relation "missing_table" does not exist');
    expect(e.line).toBe(4);
    // Relative to the statement's own text, as when it is sent alone.
    expect(e.position).toBe('SELECT 1\n  FROM '.length + 1);
    expect(await rows(url, "SELECT 1 FROM pg_tables WHERE tablename = 'never'")).toEqual([]);
  });

  it('records names and applied_by with quotes and backslashes exactly', async () => {
    const url = await freshDatabase(target, 'literal');
    const dir = tempDir({ '1_a.sql': 'CREATE TABLE a (id int);' });
    const appliedBy = `stack:o'brien\\dev -- ; DROP TABLE a; "x"`;

    await runEngine(driver, url, dir, { appliedBy });

    const state = await rows<{ name: string; applied_by: string }>(url, 'SELECT name, applied_by FROM schemaguard.applied_migrations');
    expect(state).toEqual([{ name: 'a', applied_by: appliedBy }]);
    expect(await rows(url, "SELECT 1 FROM pg_tables WHERE tablename = 'a'")).toHaveLength(1);
  });

  it('rolls back the whole migration when the state row cannot be written', async () => {
    const url = await freshDatabase(target, 'state_fail');
    const dir = tempDir({ '1_a.sql': 'CREATE TABLE a (id int);', '2_b.sql': 'CREATE TABLE b (id int);' });
    await runEngine(driver, url, dir, { migrations: loadMigrations(dir).slice(0, 1) });
    // A trigger that refuses version 2's state row, after the migration's statements ran.
    await withClient(url, (c) => c.query(`
      CREATE FUNCTION public.refuse() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'state row refused'; END $$;
      CREATE TRIGGER refuse BEFORE INSERT ON schemaguard.applied_migrations FOR EACH ROW EXECUTE FUNCTION public.refuse();`));

    const e = await rejection<StatementError>(runEngine(driver, url, dir));

    expect(e.message).toContain('state row refused');
    expect(e.file).toBe('2_b.sql');
    expect(await rows(url, "SELECT 1 FROM pg_tables WHERE tablename = 'b'")).toEqual([]);
    expect((await rows<{ version: string }>(url, 'SELECT version FROM schemaguard.applied_migrations')).map((r) => r.version)).toEqual(['1']);
  });

  it('sends BEGIN with the first statement and COMMIT with the state row; five round trips find nothing to do', async () => {
    const url = await freshDatabase(target, 'count');
    const dir = tempDir({ '1_a.sql': 'CREATE TABLE a (id int);', '2_b.sql': 'CREATE TABLE b (id int);\nCREATE INDEX ON b (id);' });
    const run = async () => {
      const d = new CountingDriver(new PgDriver({ connectionString: url }));
      await migrate({ driver: d, migrations: loadMigrations(dir), appliedBy: 'test' });
      return d;
    };

    const first = await run();
    const second = await run();

    // Per migration: BEGIN + first statement, then each further statement, then the session reset + INSERT + COMMIT.
    const work = first.statements.filter((s) => s.startsWith('BEGIN') || s.includes('COMMIT') || s.startsWith('CREATE INDEX'));
    expect(work.map((s) => s.replace(/SET LOCAL …; /, '').slice(0, 30))).toEqual([
      'BEGIN; CREATE TABLE a (id int)',
      'CLOSE ALL; SET SESSION AUTHORI',
      'BEGIN; CREATE TABLE b (id int)',
      'CREATE INDEX ON b (id)',
      'CLOSE ALL; SET SESSION AUTHORI',
    ]);
    expect(work.filter((s) => s.endsWith('; COMMIT'))).toHaveLength(2);
    // The session reset between files rides in the COMMIT round trip: 14 in all, as before it existed.
    expect(first.roundTrips).toBe(14);
    // Up to date: connect, try-lock, state exists?, read state, unlock.
    expect(second.roundTrips).toBe(5);
    expect(second.connections).toBe(1);
  });
});
