/** `schemaguard snapshot` as the CLI runs it (its `main`, in process): what a package user runs instead of this repository's `npm run snapshot`. */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCliInProcess } from '../../../support/cli';
import { dropDatabases, freshDatabase, targets, withClient } from '../../../support/db';
import { tempDir } from '../../../support/files';

afterAll(dropDatabases);

const target = targets[0]!;

describe(`CLI: schemaguard snapshot, then diff on ${target.name}`, () => {
  it('writes the schema the migrations produce (its folder made), which diff then finds on a database migrated with them, and names drift made by hand', async () => {
    const dir = tempDir({
      '1_orders.sql': 'CREATE TABLE orders (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, email text NOT NULL);',
      '2_index.sql': 'CREATE UNIQUE INDEX orders_email_uq ON orders (email);',
    });
    const out = join(tempDir({}), 'schema', 'snapshot.json');
    const r = await runCliInProcess(['snapshot', '--dir', dir, '--snapshot', out], { env: { DATABASE_URL: target.adminUrl } });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(
      new RegExp(`^wrote ${out.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}: 1 table, 0 views, 1 sequence, 0 functions, 2 migrations, PostgreSQL \\d+\\n$`),
    );
    expect(r.stderr).toContain(`snapshot: applying 2 migrations in ${dir}/ to a throwaway embedded PostgreSQL`);
    const snapshot = JSON.parse(readFileSync(out, 'utf8')) as { migrations: { file: string }[]; catalog: { tables: { name: string }[] } };
    expect(snapshot.migrations.map((m) => m.file)).toEqual(['1_orders.sql', '2_index.sql']);
    expect(snapshot.catalog.tables.map((t) => t.name)).toEqual(['orders']);

    const url = await freshDatabase(target, 'cli_snapshot');
    expect((await runCliInProcess(['migrate', '--quiet', '--dir', dir, '--database-url', url])).code).toBe(0);
    const clean = await runCliInProcess(['diff', '--dir', dir, '--snapshot', out, '--database-url', url]);
    expect(clean.code, clean.stdout + clean.stderr).toBe(0);
    expect(clean.stdout).toContain('no drift');
    await withClient(url, (c) => c.query('DROP INDEX orders_email_uq'));
    const drift = await runCliInProcess(['diff', '--dir', dir, '--snapshot', out, '--database-url', url]);
    expect(drift.code).toBe(1);
    expect(drift.stdout).toContain('orders_email_uq');
  });

  // Regression: the summary counted views as tables, and a sequence changed between deploys was no drift.
  it('counts views and materialized views apart from tables; diff names a sequence changed by hand (exit 1), and an older snapshot without sequences compares none', async () => {
    const dir = tempDir({
      '1_orders.sql': `CREATE TABLE orders (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, paid boolean);
CREATE SEQUENCE invoice_no START WITH 1000;
CREATE VIEW paid_orders AS SELECT id FROM orders WHERE paid;
CREATE VIEW open_orders AS SELECT id FROM orders WHERE NOT paid;
CREATE MATERIALIZED VIEW order_count AS SELECT count(*) AS n FROM orders;`,
    });
    const out = join(tempDir({}), 'snapshot.json');
    const text = await runCliInProcess(['snapshot', '--dir', dir, '--snapshot', out], { env: { DATABASE_URL: target.adminUrl } });
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toMatch(/: 1 table, 2 views, 1 materialized view, 2 sequences, 0 functions, 1 migration, PostgreSQL \d+\n$/);
    const json = await runCliInProcess(['snapshot', '--json', '--dir', dir, '--snapshot', out], { env: { DATABASE_URL: target.adminUrl } });
    expect(JSON.parse(json.stdout)).toMatchObject({
      command: 'snapshot',
      tables: 1,
      views: 2,
      materializedViews: 1,
      sequences: 2,
      functions: 0,
      migrations: 1,
    });

    const url = await freshDatabase(target, 'cli_snapshot_sequences');
    expect((await runCliInProcess(['migrate', '--quiet', '--dir', dir, '--database-url', url])).code).toBe(0);
    await withClient(url, (c) => c.query("INSERT INTO orders (paid) VALUES (true); SELECT nextval('invoice_no')"));
    expect((await runCliInProcess(['diff', '--dir', dir, '--snapshot', out, '--database-url', url])).code).toBe(0);
    await withClient(url, (c) => c.query('ALTER SEQUENCE invoice_no INCREMENT BY 10'));
    const drift = await runCliInProcess(['diff', '--dir', dir, '--snapshot', out, '--database-url', url]);
    expect(drift.code).toBe(1);
    expect(drift.stdout).toContain('\nsequence public.invoice_no: increment differs: snapshot "1" vs live "10"\ndrift: 1 difference\n');

    const older = JSON.parse(readFileSync(out, 'utf8')) as { catalog: { sequences?: unknown; tables: { columns: { sequence?: unknown }[] }[] } };
    delete older.catalog.sequences;
    for (const t of older.catalog.tables) for (const c of t.columns) delete c.sequence;
    const olderFile = join(tempDir({}), 'older.json');
    writeFileSync(olderFile, JSON.stringify(older));
    const before = await runCliInProcess(['diff', '--dir', dir, '--snapshot', olderFile, '--database-url', url]);
    expect(before.code, before.stdout + before.stderr).toBe(0);
    expect(before.stdout).toContain(
      'note: sequences were not compared: the snapshot was taken before schemaguard recorded them (run schemaguard snapshot to record them)\n',
    );
    expect(before.stdout).toContain('no drift');
  });

  it('names pg_dump --no-owner --no-privileges when a file gives an object to a role the throwaway server does not have (42704 with no fix)', async () => {
    const dir = tempDir({ '1_initial.sql': 'CREATE SCHEMA app;\nCREATE TABLE app.t (id int);\nALTER TABLE app.t OWNER TO app_owner;' });
    const r = await runCliInProcess(['snapshot', '--dir', dir, '--snapshot', join(tempDir({}), 'snapshot.json')], { env: { DATABASE_URL: target.adminUrl } });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('error: 1_initial.sql:3: role "app_owner" does not exist');
    expect(r.stderr).toContain("fix: snapshot's throwaway server has no role but its superuser: dump with pg_dump --schema-only --no-owner --no-privileges");
    expect(r.stderr).toContain('CREATE ROLE app_owner NOLOGIN');
  });

  it('refuses --database-url (a live database may have drifted), and a bad file as migrate does, writing nothing', async () => {
    const out = join(tempDir({}), 'snapshot.json');
    const flag = await runCliInProcess([
      'snapshot',
      '--dir',
      tempDir({ '1_a.sql': 'CREATE TABLE a (id int);' }),
      '--snapshot',
      out,
      '--database-url',
      target.adminUrl,
    ]);
    expect(flag.code).toBe(2);
    expect(flag.stderr).toContain('error: snapshot does not use --database-url: it applies the migrations to a throwaway embedded PostgreSQL');
    const bad = await runCliInProcess(['snapshot', '--dir', tempDir({ '1_a.sql': 'CREATE TABLE a (id int);\nCOMMIT;' }), '--snapshot', out], {
      env: { DATABASE_URL: undefined },
    });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('error: 1_a.sql:2: COMMIT inside a transactional migration');
    expect(() => readFileSync(out)).toThrow();
  });
});
