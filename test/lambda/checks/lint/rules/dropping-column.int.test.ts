/**
 * dropping-column on real PostgreSQL (18; 15 too in the full matrix): what
 * the rule says happens to the application version still running when the
 * migration drops a column it uses, and that the fix's later migration (allow
 * directive and DROP) applies through the engine.
 */
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { fixFiles } from '../../../../../lambda/checks/lint/fix';
import { outcome } from '../../../../support/app-session';
import { dropDatabases, freshDatabase, rows, targets } from '../../../../support/db';
import { driverKinds } from '../../../../support/drivers';
import { runEngine } from '../../../../support/engine';
import { tempDir } from '../../../../support/files';
import { lintAfter } from '../pending';

afterAll(dropDatabases);

const pgDriver = driverKinds.find((d) => d.name === 'pg')!;
const TABLE = 'CREATE TABLE leads (id bigint PRIMARY KEY, name text, code text);';

describe.each(targets)('dropping-column on $name', (target) => {
  it('the running application fails once the DROP commits: 42703 naming the column, 0A000 on its prepared SELECT *, every time', async () => {
    const url = await freshDatabase(target, 'dropping_column_app');
    const app = new pg.Client({ connectionString: url });
    await app.connect();
    try {
      await app.query(`${TABLE} INSERT INTO leads VALUES (1, 'a', 'x');`);
      const read: pg.QueryConfig = { name: 'lead', text: 'SELECT * FROM leads WHERE id = $1', values: [1] };
      const write: pg.QueryConfig = { name: 'add_lead', text: 'INSERT INTO leads (id, name, code) VALUES ($1, $2, $3)', values: [2, 'b', 'y'] };
      expect([await outcome(app, read), await outcome(app, write)]).toEqual(['ok', 'ok']);

      const [finding] = (await lintAfter(TABLE, 'ALTER TABLE leads DROP COLUMN code;')).findings;
      expect(finding).toMatchObject({ rule: 'dropping-column' });
      await rows(url, 'ALTER TABLE leads DROP COLUMN code');

      expect([await outcome(app, read), await outcome(app, read)]).toEqual(['0A000', '0A000']);
      expect(await outcome(app, { ...write, values: [3, 'c', 'z'] })).toBe('42703');
      // A statement that does not name the column, prepared after the DROP, works.
      expect(await outcome(app, { text: 'SELECT id, name FROM leads ORDER BY id' })).toBe('ok');
    } finally {
      await app.end();
    }
  });

  it('the fix: its first file changes nothing, its later one (allow directive and DROP) applies and lints clean', async () => {
    const url = await freshDatabase(target, 'dropping_column_fix');
    const [finding] = (await lintAfter(TABLE, 'ALTER TABLE leads DROP COLUMN IF EXISTS code CASCADE;')).findings;
    const [first, later] = fixFiles(finding!.fix);
    expect((await lintAfter(TABLE, first!, later!)).findings).toEqual([]);
    const dir = tempDir({ '1_leads.sql': TABLE, '2_now.sql': first!, '3_later.sql': later! });
    const r = await runEngine(pgDriver, url, dir);
    expect(r.applied.map((a) => a.file)).toEqual(['1_leads.sql', '2_now.sql', '3_later.sql']);
    expect(await rows(url, "SELECT attname FROM pg_attribute WHERE attrelid = 'leads'::regclass AND attnum > 0 AND NOT attisdropped ORDER BY attnum")).toEqual([
      { attname: 'id' },
      { attname: 'name' },
    ]);
  });
});
