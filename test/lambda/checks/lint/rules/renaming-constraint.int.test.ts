/**
 * renaming-constraint on real PostgreSQL (18; 15 too in the full matrix):
 * what the rule says happens to the application version still running when a
 * migration renames a constraint (or the index behind one), and that the
 * fix's later migration applies through the engine.
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
const TABLE = 'CREATE TABLE leads (id bigint PRIMARY KEY, email text CONSTRAINT leads_email_key UNIQUE);';

/** The constraint name a duplicate email reports (the `constraint` field of its 23505). */
async function duplicateNames(c: pg.Client): Promise<string | undefined> {
  try {
    await c.query("INSERT INTO leads VALUES (100, 'a@example.com')");
    return undefined;
  } catch (e) {
    return (e as { constraint?: string }).constraint;
  }
}

const constraints = (url: string) =>
  rows<{ conname: string }>(url, "SELECT conname FROM pg_constraint WHERE conrelid = 'leads'::regclass AND contype IN ('p', 'u') ORDER BY conname");

describe.each(targets)('renaming-constraint on $name', (target) => {
  it('the running application fails once the rename commits: 42704 on ON CONFLICT ON CONSTRAINT, another name on its 23505', async () => {
    const url = await freshDatabase(target, 'renaming_constraint_app');
    const app = new pg.Client({ connectionString: url });
    await app.connect();
    try {
      await app.query(`${TABLE} INSERT INTO leads VALUES (1, 'a@example.com');`);
      const upsert: pg.QueryConfig = {
        name: 'upsert',
        text: 'INSERT INTO leads VALUES ($1, $2) ON CONFLICT ON CONSTRAINT leads_email_key DO NOTHING',
        values: [2, 'a@example.com'],
      };
      expect([await outcome(app, upsert), await duplicateNames(app)]).toEqual(['ok', 'leads_email_key']);

      const [finding] = (await lintAfter(TABLE, 'ALTER TABLE leads RENAME CONSTRAINT leads_email_key TO leads_email_unique;')).findings;
      expect(finding).toMatchObject({ rule: 'renaming-constraint' });
      await rows(url, 'ALTER TABLE leads RENAME CONSTRAINT leads_email_key TO leads_email_unique');

      expect([await outcome(app, upsert), await outcome(app, { text: upsert.text, values: upsert.values })]).toEqual(['42704', '42704']);
      expect(await duplicateNames(app)).toBe('leads_email_unique');
      // Written as its columns, the upsert does not depend on the name.
      expect(await outcome(app, { text: 'INSERT INTO leads VALUES (3, $1) ON CONFLICT (email) DO NOTHING', values: ['a@example.com'] })).toBe('ok');
    } finally {
      await app.end();
    }
  });

  it("ALTER INDEX … RENAME of the index behind the primary key renames the constraint; the fix's later file applies and lints clean", async () => {
    const url = await freshDatabase(target, 'renaming_constraint_fix');
    const [finding] = (await lintAfter(TABLE, 'ALTER INDEX leads_pkey RENAME TO leads_id_pkey;')).findings;
    expect(finding).toMatchObject({ rule: 'renaming-constraint' });
    const [first, later] = fixFiles(finding!.fix);
    expect((await lintAfter(TABLE, first!, later!)).findings).toEqual([]);
    await runEngine(pgDriver, url, tempDir({ '1_leads.sql': TABLE, '2_now.sql': first! }));
    expect(await constraints(url)).toEqual([{ conname: 'leads_email_key' }, { conname: 'leads_pkey' }]);
    const r = await runEngine(pgDriver, url, tempDir({ '1_leads.sql': TABLE, '2_now.sql': first!, '3_later.sql': later! }));
    expect(r.applied.map((a) => a.file)).toEqual(['3_later.sql']);
    expect(await constraints(url)).toEqual([{ conname: 'leads_email_key' }, { conname: 'leads_id_pkey' }]);
  });
});
