/** `schemaguard baseline` on every server of the run: through the real executable in the first test, in process (`runCliInProcess`, the same `main`) in the others. */
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { advisoryLockKey } from '../../../../lambda/driver/pg/advisory-lock';
import { catalogFingerprint } from '../../../support/catalog-fingerprint';
import { runCli, runCliInProcess } from '../../../support/cli';
import { dropDatabases, freshDatabase, rows, targets, withClient } from '../../../support/db';
import { addFile, tempDir } from '../../../support/files';

afterAll(dropDatabases);

const FILES = {
  '0001_leads.sql': 'CREATE TABLE leads (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), email text NOT NULL);',
  '0002_purchases.sql': 'CREATE TABLE purchases (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), lead_id uuid REFERENCES leads (id));',
  '0003_purchase_index.sql': 'CREATE INDEX purchases_lead_id ON purchases (lead_id);',
  '0004_note.sql': 'ALTER TABLE leads ADD COLUMN note text;',
};

/** A database built by hand: what 0001–0003 create, and no schemaguard state. */
async function handBuilt(target: (typeof targets)[number], label: string): Promise<string> {
  const url = await freshDatabase(target, label);
  await withClient(url, (c) => c.query(`${FILES['0001_leads.sql']} ${FILES['0002_purchases.sql']} ${FILES['0003_purchase_index.sql']}`));
  return url;
}

const state = (url: string) =>
  rows<{ version: string; kind: string; applied_by: string; reason: string | null; execution_ms: number }>(
    url,
    'SELECT version, kind, applied_by, reason, execution_ms FROM schemaguard.applied_migrations ORDER BY version',
  );

describe.each(targets)('CLI: schemaguard baseline on $name', (target) => {
  it('records the files up to VERSION as baselined without running them; migrate then applies only the rest', async () => {
    // Prepare
    const url = await handBuilt(target, 'baseline');
    const dir = tempDir(FILES);
    const env = { SCHEMAGUARD_APPLIED_BY: 'cli:ana@laptop' };
    // Act
    const b = await runCli(['baseline', '3', '--dir', dir, '--database-url', url, '--reason', 'built by hand before schemaguard'], { env });
    const status = await runCli(['status', '--dir', dir, '--database-url', url]);
    const m = await runCli(['migrate', '--dir', dir, '--database-url', url, '--quiet']);
    // Assess
    expect(b.code, b.stderr).toBe(0);
    expect(b.stdout).toContain(
      'baseline 3: recorded 3 files as applied without running them (kind baseline): 0001_leads.sql, 0002_purchases.sql, 0003_purchase_index.sql',
    );
    expect(b.stdout).toContain('pending above the baseline: 0004_note.sql');
    expect(status.stdout).toMatch(/1\s+leads\s+baselined/);
    expect(status.stdout).toMatch(/4\s+note\s+pending/);
    expect(status.stdout).toContain('3 applied (3 baselined), 1 pending');
    expect(m.code, m.stderr).toBe(0);
    expect(m.stdout).toContain('applied 1 migration');
    expect(await state(url)).toEqual([
      { version: '1', kind: 'baseline', applied_by: 'cli:ana@laptop', reason: 'built by hand before schemaguard', execution_ms: 0 },
      { version: '2', kind: 'baseline', applied_by: 'cli:ana@laptop', reason: 'built by hand before schemaguard', execution_ms: 0 },
      { version: '3', kind: 'baseline', applied_by: 'cli:ana@laptop', reason: 'built by hand before schemaguard', execution_ms: 0 },
      { version: '4', kind: 'migrate', applied_by: expect.any(String), reason: null, execution_ms: expect.any(Number) },
    ]);
    const json = JSON.parse((await runCli(['status', '--dir', dir, '--database-url', url, '--json'])).stdout);
    expect(json.migrations[0]).toMatchObject({ version: 1, status: 'applied', kind: 'baseline', reason: 'built by hand before schemaguard' });
    expect(json.migrations[3]).toMatchObject({ version: 4, status: 'applied', kind: 'migrate' });
  });

  it('a second baseline to the same version records nothing and says so', async () => {
    const url = await handBuilt(target, 'baseline_again');
    const dir = tempDir(FILES);
    await runCliInProcess(['baseline', '3', '--dir', dir, '--database-url', url]);
    const before = await catalogFingerprint(url);
    const again = await runCliInProcess(['baseline', '3', '--dir', dir, '--database-url', url]);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toContain('nothing to record, every file up to 3 is already applied');
    expect(await catalogFingerprint(url)).toBe(before);
  });

  it('refuses a version beyond the files (exit 2) before touching the database', async () => {
    const url = await handBuilt(target, 'baseline_beyond');
    const dir = tempDir(FILES);
    const before = await catalogFingerprint(url);
    const r = await runCliInProcess(['baseline', '9', '--dir', dir, '--database-url', url]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('baseline 9: no migration file has version 9 (the newest file is 4)');
    expect(r.stderr).toContain('fix: pass the version of the newest file the database already reflects, one of: 1, 2, 3, 4');
    expect(await catalogFingerprint(url)).toBe(before);
  });

  it('refuses a bad VERSION argument and a missing one (exit 2)', async () => {
    const dir = tempDir(FILES);
    const bad = await runCliInProcess(['baseline', 'latest', '--dir', dir, '--database-url', 'postgres://nobody@127.0.0.1:1/x']);
    const none = await runCliInProcess(['baseline', '--dir', dir, '--database-url', 'postgres://nobody@127.0.0.1:1/x']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('baseline: "latest" is not a version');
    expect(none.code).toBe(2);
    expect(none.stderr).toContain('baseline needs a VERSION');
  });

  it('refuses to baseline over an applied file that changed since (exit 1), writing nothing', async () => {
    const url = await freshDatabase(target, 'baseline_differs');
    const dir = tempDir({ '0001_leads.sql': FILES['0001_leads.sql'] });
    expect((await runCliInProcess(['migrate', '--dir', dir, '--database-url', url, '--quiet'])).code).toBe(0);
    addFile(dir, '0001_leads.sql', `${FILES['0001_leads.sql']}\n-- edited after it ran`);
    addFile(dir, '0002_purchases.sql', FILES['0002_purchases.sql']);
    const before = await catalogFingerprint(url);
    const stateBefore = await state(url);

    const r = await runCliInProcess(['baseline', '2', '--dir', dir, '--database-url', url]);

    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      /baseline 2: applied migrations differ from their files: 0001_leads\.sql \(applied [0-9a-f]{12}, file [0-9a-f]{12}\); nothing was recorded/,
    );
    expect(r.stderr).toContain('schemaguard repair');
    expect(await catalogFingerprint(url)).toBe(before);
    expect(await state(url)).toEqual(stateBefore);
  });

  it('refuses when the database already ran files above the version while files up to it are unrecorded', async () => {
    const url = await freshDatabase(target, 'baseline_above');
    const dir = tempDir({ '0002_purchases_alone.sql': 'CREATE TABLE purchases (id int);' });
    expect((await runCliInProcess(['migrate', '--dir', dir, '--database-url', url, '--quiet'])).code).toBe(0);
    addFile(dir, '0001_leads.sql', FILES['0001_leads.sql']);
    const before = await catalogFingerprint(url);
    const r = await runCliInProcess(['baseline', '1', '--dir', dir, '--database-url', url]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('the database already has migrations above 1 applied (2) while 0001_leads.sql is not recorded; nothing was recorded');
    expect(await catalogFingerprint(url)).toBe(before);
  });

  it('takes the runner lock migrate takes: waits for it, gives up after --lock-wait with the database unchanged, then succeeds', async () => {
    const url = await handBuilt(target, 'baseline_lock');
    const dir = tempDir(FILES);
    const holder = new pg.Client({ connectionString: url, application_name: 'other-runner' });
    await holder.connect();
    try {
      await holder.query('SELECT pg_advisory_lock($1::bigint)', [advisoryLockKey('schemaguard')]);
      const before = await catalogFingerprint(url);
      const blocked = await runCliInProcess(['baseline', '3', '--dir', dir, '--database-url', url, '--lock-wait', '1s']);
      expect(blocked.code).toBe(1);
      expect(blocked.stderr).toContain('waiting for the migration lock held by pid');
      expect(blocked.stderr).toContain('other-runner');
      expect(await catalogFingerprint(url)).toBe(before);
    } finally {
      await holder.end();
    }
    const r = await runCliInProcess(['baseline', '3', '--dir', dir, '--database-url', url]);
    expect(r.code, r.stderr).toBe(0);
    expect((await state(url)).map((s) => s.kind)).toEqual(['baseline', 'baseline', 'baseline']);
  });
});
