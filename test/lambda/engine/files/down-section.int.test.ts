/**
 * Files in another tool's up/down format (node-pg-migrate's SQL files,
 * goose, dbmate, sql-migrate): schemaguard runs a whole file, so a down
 * section ran right after its up section. Such a file is refused before
 * anything runs; an up marker alone and goose's StatementBegin/End are
 * comments and run as written.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { InputError } from '../../../../lambda/engine/errors/errors';
import { dropDatabases, freshDatabase, rows } from '../../../support/db';
import { driverCases } from '../../../support/drivers';
import { rejection, runEngine } from '../../../support/engine';
import { tempDir } from '../../../support/files';

afterAll(dropDatabases);

const FORMATS: Record<string, { text: string; markerLine: number; marker: string }> = {
  'node-pg-migrate': {
    text: '-- Up Migration\nCREATE TABLE orders (id int);\n\n-- Down Migration\nDROP TABLE orders;\n',
    markerLine: 4,
    marker: '-- Down Migration',
  },
  goose: {
    text: '-- +goose Up\n-- +goose StatementBegin\nCREATE TABLE orders (id int);\n-- +goose StatementEnd\n\n-- +goose Down\n-- +goose StatementBegin\nDROP TABLE orders;\n-- +goose StatementEnd\n',
    markerLine: 6,
    marker: '-- +goose Down',
  },
  dbmate: { text: '-- migrate:up\nCREATE TABLE orders (id int);\n\n-- migrate:down\nDROP TABLE orders;\n', markerLine: 4, marker: '-- migrate:down' },
};

describe.each(driverCases())('Down sections: migrate on $name', ({ target, driver }) => {
  // Regression (exploratory tester): the up and the down section both ran; the file was recorded as applied, with no table.
  it.each(Object.entries(FORMATS))('refuses a %s file with a down section before anything runs, naming the marker line and the fix', async (tool, f) => {
    const url = await freshDatabase(target, 'down_section');
    const dir = tempDir({ '1_users.sql': 'CREATE TABLE users (id int);', '2_orders.sql': f.text });

    const e = await rejection<InputError>(runEngine(driver, url, dir));

    expect(e).toBeInstanceOf(InputError);
    expect(e.exitCode).toBe(2);
    expect(e.file).toBe('2_orders.sql');
    expect(e.line).toBe(f.markerLine);
    expect(e.message).toContain(`2_orders.sql:${f.markerLine}: "${f.marker}" starts ${tool}'s down section`);
    expect(e.fix).toMatch(
      /^keep only the up section: delete line \d+ and everything below it .*schemaguard has no down migrations: a rollback is a new forward file/,
    );
    expect(await rows(url, "SELECT to_regclass('public.users') AS t")).toEqual([{ t: null }]);
  });

  it('runs an up marker alone, an empty down section and a goose StatementBegin/End function as written', async () => {
    const url = await freshDatabase(target, 'up_marker');
    const dir = tempDir({
      '1_orders.sql':
        '-- +goose Up\n-- +goose StatementBegin\nCREATE TABLE orders (id int);\nCREATE FUNCTION orders_count() RETURNS bigint LANGUAGE plpgsql AS $$\nBEGIN\n  -- +goose Down\n  RETURN (SELECT count(*) FROM orders);\nEND $$;\n-- +goose StatementEnd\n',
      '2_items.sql': '-- Up Migration\nCREATE TABLE items (id int);\n\n-- Down Migration\n',
    });

    const run = await runEngine(driver, url, dir);

    expect(run.applied.map((a) => a.file)).toEqual(['1_orders.sql', '2_items.sql']);
    expect(await rows(url, "SELECT to_regclass('public.items')::text AS t, orders_count()::int AS n")).toEqual([{ t: 'items', n: 0 }]);
  });
});

describe.each(driverCases())("Other tools' files: migrate on $name", ({ target, driver }) => {
  // Regression (exploratory tester): golang-migrate's down file was advised a rename; a Flyway placeholder failed on the server after the files before it.
  it('refuses a golang-migrate down file and a Flyway placeholder before anything runs', async () => {
    const url = await freshDatabase(target, 'other_tools');
    const down = tempDir({ '000001_users.up.sql': 'CREATE TABLE users (id int);', '000001_users.down.sql': 'DROP TABLE users;' });
    const placeholder = tempDir({ '1_users.sql': 'CREATE TABLE users (id int);', '2_grant.sql': 'GRANT SELECT ON users TO ${app_role};' });

    const d = await rejection<InputError>(runEngine(driver, url, down));
    const p = await rejection<InputError>(runEngine(driver, url, placeholder));

    expect(d).toBeInstanceOf(InputError);
    expect(d.message).toBe(
      "000001_users.down.sql: golang-migrate's down migration, and schemaguard runs forward only (read as a migration, it would run forward too)",
    );
    expect(p).toBeInstanceOf(InputError);
    expect(p.message).toBe('2_grant.sql:1: Flyway placeholder ${app_role} is not SQL');
    expect(await rows(url, "SELECT to_regclass('public.users') AS t")).toEqual([{ t: null }]);
  });
});
