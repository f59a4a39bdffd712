/** `schemaguard repair` on every server of the run: through the real executable in the first test, in process (`runCliInProcess`, the same `main`) in the others. */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { checksum } from '../../../../lambda/engine/files/checksum';
import { catalogFingerprint } from '../../../support/catalog-fingerprint';
import { runCli, runCliInProcess } from '../../../support/cli';
import { dropDatabases, freshDatabase, rows, targets } from '../../../support/db';
import { addFile, tempDir } from '../../../support/files';

afterAll(dropDatabases);

const A = 'CREATE TABLE leads (id int PRIMARY KEY);';
const A_EDITED = '-- leads: one row per person who filled in the form\nCREATE TABLE leads (id int PRIMARY KEY);';
const B = 'CREATE TABLE notes (id int PRIMARY KEY);';

/** A database migrated with 1_a and 2_b, whose 1_a was then edited. */
async function editedAfterApply(target: (typeof targets)[number], label: string): Promise<{ url: string; dir: string }> {
  const url = await freshDatabase(target, label);
  const dir = tempDir({ '1_a.sql': A, '2_b.sql': B });
  expect((await runCli(['migrate', '--dir', dir, '--database-url', url, '--quiet'])).code).toBe(0);
  addFile(dir, '1_a.sql', A_EDITED);
  return { url, dir };
}

describe.each(targets)('CLI: schemaguard repair on $name', (target) => {
  it('migrate refuses the edited file until repair accepts it; the audit row keeps old and new checksums, who and why', async () => {
    // Prepare
    const { url, dir } = await editedAfterApply(target, 'repair');
    addFile(dir, '3_c.sql', 'CREATE TABLE c (id int);');
    const env = { SCHEMAGUARD_APPLIED_BY: 'cli:ana@laptop' };
    // Act
    const refused = await runCli(['migrate', '--dir', dir, '--database-url', url]);
    const r = await runCli(['repair', '--dir', dir, '--database-url', url, '--reason', 'comment added to 1_a after it ran'], { env });
    const m = await runCli(['migrate', '--dir', dir, '--database-url', url, '--quiet']);
    // Assess
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('1_a.sql was changed after it was applied');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('repair: accepted the new text of 1 applied file (nothing was run):');
    expect(r.stdout).toContain(`1_a.sql: ${checksum(A).slice(0, 12)} -> ${checksum(A_EDITED).slice(0, 12)}`);
    expect(m.code, m.stderr).toBe(0);
    expect(m.stdout).toContain('applied 1 migration');
    expect(await rows(url, 'SELECT version, checksum FROM schemaguard.applied_migrations WHERE version = 1')).toEqual([
      { version: '1', checksum: checksum(A_EDITED) },
    ]);
    expect(await rows(url, 'SELECT version, name, old_checksum, new_checksum, repaired_by, reason FROM schemaguard.checksum_repairs')).toEqual([
      {
        version: '1',
        name: 'a',
        old_checksum: checksum(A),
        new_checksum: checksum(A_EDITED),
        repaired_by: 'cli:ana@laptop',
        reason: 'comment added to 1_a after it ran',
      },
    ]);
  });

  it('runs nothing: the edited SQL is not executed', async () => {
    const { url, dir } = await editedAfterApply(target, 'repair_runs_nothing');
    addFile(dir, '2_b.sql', `${B}\nCREATE TABLE should_not_exist (id int);`);
    const r = await runCliInProcess(['repair', '--dir', dir, '--database-url', url, '--reason', 'reformatted']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('accepted the new text of 2 applied files');
    expect(await rows(url, "SELECT to_regclass('should_not_exist') AS t")).toEqual([{ t: null }]);
  });

  it('refuses without --reason (exit 2), before reading anything', async () => {
    const { url, dir } = await editedAfterApply(target, 'repair_no_reason');
    const before = await catalogFingerprint(url);
    const none = await runCliInProcess(['repair', '--dir', dir, '--database-url', url]);
    const blank = await runCliInProcess(['repair', '--dir', dir, '--database-url', url, '--reason', '   ']);
    for (const r of [none, blank]) {
      expect(r.code).toBe(2);
      expect(r.stderr).toContain('repair needs a reason');
    }
    expect(await catalogFingerprint(url)).toBe(before);
  });

  it('refuses a pending file (exit 1) and changes nothing, not even the edited applied one', async () => {
    const { url, dir } = await editedAfterApply(target, 'repair_pending');
    addFile(dir, '3_c.sql', 'CREATE TABLE c (id int);');
    const before = await catalogFingerprint(url);
    const stateBefore = await rows(url, 'SELECT version, checksum FROM schemaguard.applied_migrations ORDER BY version');
    const r = await runCliInProcess(['repair', '1', '3', '--dir', dir, '--database-url', url, '--reason', 'typo']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('repair: 3_c.sql is not applied; repair accepts the text of applied files only, nothing was changed');
    expect(await catalogFingerprint(url)).toBe(before);
    expect(await rows(url, 'SELECT version, checksum FROM schemaguard.applied_migrations ORDER BY version')).toEqual(stateBefore);
  });

  it('refuses a version no file has (exit 2)', async () => {
    const { url, dir } = await editedAfterApply(target, 'repair_no_file');
    const before = await catalogFingerprint(url);
    const r = await runCliInProcess(['repair', '7', '--dir', dir, '--database-url', url, '--reason', 'typo']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('repair: no migration file has version 7');
    expect(await catalogFingerprint(url)).toBe(before);
  });

  it('with nothing changed, accepts nothing and writes nothing (no audit table either)', async () => {
    const url = await freshDatabase(target, 'repair_nothing');
    const dir = tempDir({ '1_a.sql': A });
    await runCliInProcess(['migrate', '--dir', dir, '--database-url', url, '--quiet']);
    const before = await catalogFingerprint(url);
    const r = await runCliInProcess(['repair', '--dir', dir, '--database-url', url, '--reason', 'checking']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('nothing to accept, no applied file changed');
    expect(await catalogFingerprint(url)).toBe(before);
  });

  it('--json lists what it accepted', async () => {
    const { url, dir } = await editedAfterApply(target, 'repair_json');
    const r = await runCliInProcess(['repair', '--dir', dir, '--database-url', url, '--reason', 'comment', '--json']);
    expect(JSON.parse(r.stdout)).toMatchObject({
      command: 'repair',
      reason: 'comment',
      repaired: [{ version: 1, file: '1_a.sql', oldChecksum: checksum(A), newChecksum: checksum(A_EDITED) }],
    });
  });

  // Regression (helper): two branches both added version 2; the one that ran was renumbered 3 and the other took 2. repair accepted it
  // (recording 2_bob.sql applied without running it, under bob's name), and migrate then failed on 3_alice.sql's table, which already existed.
  it('a version that ran under another name: migrate names the renumbered file and runs nothing; repair refuses without --rename', async () => {
    const url = await freshDatabase(target, 'repair_version_taken');
    const alice = 'CREATE TABLE a2 (id int);';
    const dir = tempDir({ '1_a.sql': A, '2_alice.sql': alice });
    expect((await runCliInProcess(['migrate', '--dir', dir, '--database-url', url, '--quiet'])).code).toBe(0);
    rmSync(join(dir, '2_alice.sql'));
    addFile(dir, '3_alice.sql', alice);
    addFile(dir, '2_bob.sql', 'CREATE TABLE b2 (id int);');
    const before = await catalogFingerprint(url);
    const stateBefore = await rows(url, 'SELECT version, name, checksum FROM schemaguard.applied_migrations ORDER BY version');

    const m = await runCliInProcess(['migrate', '--dir', dir, '--database-url', url]);
    expect(m.code).toBe(1);
    expect(m.stderr).toContain(`version 2 was applied as "alice" (checksum ${checksum(alice).slice(0, 12)}), and its file is now 2_bob.sql, another migration`);
    expect(m.stderr).toContain('3_alice.sql holds the text that ran as version 2: it was renumbered, and would run again; nothing was run');
    expect(m.stderr).toContain(
      `give 3_alice.sql its applied version back: mv ${join(dir, '3_alice.sql')} ${join(dir, '2_alice.sql')} (git mv, the same arguments, for a file git tracks)`,
    );
    const status = await runCliInProcess(['status', '--dir', dir, '--database-url', url, '--json']);
    expect(JSON.parse(status.stdout).migrations.find((x: { version: number }) => x.version === 2)).toMatchObject({
      status: 'changed',
      name: 'bob',
      appliedName: 'alice',
    });
    const r = await runCliInProcess(['repair', '--dir', dir, '--database-url', url, '--reason', 'typo']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('repair: 2_bob.sql (version 2 ran as "alice"): another migration may have taken the version');
    expect(await catalogFingerprint(url)).toBe(before);
    expect(await rows(url, 'SELECT version, name, checksum FROM schemaguard.applied_migrations ORDER BY version')).toEqual(stateBefore);

    // The fix: the new file above the newest version, the renumbered one back at its version.
    rmSync(join(dir, '3_alice.sql'));
    rmSync(join(dir, '2_bob.sql'));
    addFile(dir, '2_alice.sql', alice);
    addFile(dir, '3_bob.sql', 'CREATE TABLE b2 (id int);');
    const fixed = await runCliInProcess(['migrate', '--dir', dir, '--database-url', url, '--quiet']);
    expect(fixed.code, fixed.stderr).toBe(0);
    expect(await rows(url, "SELECT to_regclass('b2')::text AS t")).toEqual([{ t: 'b2' }]);
  });

  it('repair --rename accepts the migration that ran, renamed and edited; the audit row says what it ran as', async () => {
    const url = await freshDatabase(target, 'repair_rename');
    const dir = tempDir({ '1_a.sql': A });
    expect((await runCliInProcess(['migrate', '--dir', dir, '--database-url', url, '--quiet'])).code).toBe(0);
    rmSync(join(dir, '1_a.sql'));
    addFile(dir, '1_create_leads.sql', A_EDITED);
    const r = await runCliInProcess(['repair', '1', '--rename', '--dir', dir, '--database-url', url, '--reason', 'file renamed, comment added']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(`1_create_leads.sql: ${checksum(A).slice(0, 12)} -> ${checksum(A_EDITED).slice(0, 12)} (was "a")`);
    expect(await rows(url, 'SELECT name, reason FROM schemaguard.checksum_repairs')).toEqual([
      { name: 'create_leads', reason: 'file renamed, comment added (renamed: it ran as "a")' },
    ]);
    expect((await runCliInProcess(['migrate', '--dir', dir, '--database-url', url, '--quiet'])).code).toBe(0);
  });
});
