/**
 * dropping-table on real PostgreSQL (18; 15 too in the full matrix): what the
 * rule says happens to the application version still running when the
 * migration drops a table it uses, and that the fix's later migration (allow
 * directive and DROP) applies through the engine.
 */
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { fixFiles } from '../../../../../lambda/checks/lint/fix';
import { outcome } from '../../../../support/app-session';
import { dropDatabases, freshDatabase, rows, targets, withClient } from '../../../../support/db';
import { driverKinds } from '../../../../support/drivers';
import { runEngine } from '../../../../support/engine';
import { tempDir } from '../../../../support/files';
import { lintAfter } from '../pending';

afterAll(dropDatabases);

const pgDriver = driverKinds.find((d) => d.name === 'pg')!;
const TABLES = 'CREATE TABLE leads (id bigint PRIMARY KEY); CREATE TABLE lead_imports (id bigint PRIMARY KEY, payload jsonb);';

describe.each(targets)('dropping-table on $name', (target) => {
  it('the running application fails with 42P01 once the DROP commits, in statements it prepared before as in new ones', async () => {
    const url = await freshDatabase(target, 'dropping_table_app');
    const app = new pg.Client({ connectionString: url });
    await app.connect();
    try {
      await app.query(TABLES);
      const read: pg.QueryConfig = { name: 'imports', text: 'SELECT id FROM lead_imports WHERE id = $1', values: [1] };
      expect(await outcome(app, read)).toBe('ok');

      const [finding] = (await lintAfter(TABLES, 'DROP TABLE lead_imports;')).findings;
      expect(finding).toMatchObject({ rule: 'dropping-table' });
      await rows(url, 'DROP TABLE lead_imports');

      expect([await outcome(app, read), await outcome(app, { text: 'INSERT INTO lead_imports (id) VALUES (1)' })]).toEqual(['42P01', '42P01']);
      expect(await outcome(app, { text: 'SELECT count(*) FROM leads' })).toBe('ok');
    } finally {
      await app.end();
    }
  });

  // Regression: DROP TABLE IF EXISTS + CREATE TABLE of the same name (pg_dump --clean) was taken for a swap and passed lint.
  it('a table dropped and created again in one transaction: the server commits it with none of the rows; lint warns, and its fix applies', async () => {
    const url = await freshDatabase(target, 'dropping_table_recreate');
    const recreate = 'DROP TABLE IF EXISTS lead_imports;\nCREATE TABLE lead_imports (id bigint PRIMARY KEY, payload jsonb);';
    await withClient(url, async (c) => {
      await c.query(TABLES);
      await c.query("INSERT INTO lead_imports VALUES (1, '{}'), (2, '{}')");
      await c.query(`BEGIN; ${recreate} COMMIT;`);
    });
    expect(await rows(url, 'SELECT count(*)::int AS n FROM lead_imports')).toEqual([{ n: 0 }]);

    const found = (await lintAfter(TABLES, recreate)).findings;
    expect(found.map((f) => [f.rule, f.line, f.message])).toEqual([
      [
        'dropping-table',
        1,
        'DROP TABLE of existing table lead_imports, and line 2 creates a new, empty table under its name: every row of lead_imports is lost when the migration commits',
      ],
    ]);
    const url2 = await freshDatabase(target, 'dropping_table_recreate_fix');
    const fixed = `${found[0]!.fix}\nCREATE TABLE lead_imports (id bigint PRIMARY KEY, payload jsonb);`;
    expect((await lintAfter(TABLES, fixed)).findings).toEqual([]);
    const r = await runEngine(pgDriver, url2, tempDir({ '1_tables.sql': TABLES, '2_recreate.sql': fixed }));
    expect(r.applied.map((a) => a.file)).toEqual(['1_tables.sql', '2_recreate.sql']);
  });

  it('the fix: its first file changes nothing, its later one (allow directive and DROP) applies and lints clean', async () => {
    const url = await freshDatabase(target, 'dropping_table_fix');
    const [finding] = (await lintAfter(TABLES, 'DROP TABLE IF EXISTS lead_imports CASCADE;')).findings;
    const [first, later] = fixFiles(finding!.fix);
    expect((await lintAfter(TABLES, first!, later!)).findings).toEqual([]);
    const r = await runEngine(pgDriver, url, tempDir({ '1_tables.sql': TABLES, '2_now.sql': first!, '3_later.sql': later! }));
    expect(r.applied.map((a) => a.file)).toEqual(['1_tables.sql', '2_now.sql', '3_later.sql']);
    expect(await rows(url, "SELECT to_regclass('lead_imports') AS t, to_regclass('leads')::text AS l")).toEqual([{ t: null, l: 'leads' }]);
  });
});
