/**
 * An applied migration's text under another version, through the real
 * executable on real PostgreSQL: renumbered (refused with its own message,
 * given its version back; --allow-ahead cannot run it, and no fix offers a
 * flag that would), copied (run again only by name: --allow-rerun), and
 * renamed within its version (status says what it ran as). The CLI runs as
 * the real executable in the first test, in process (`runCliInProcess`, the
 * same `main`) in the others.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { catalogFingerprint } from '../../../support/catalog-fingerprint';
import { runCli, runCliInProcess } from '../../../support/cli';
import { dropDatabases, freshDatabase, rows, targets } from '../../../support/db';
import { addFile, tempDir } from '../../../support/files';

afterAll(dropDatabases);

const target = targets[0]!;
const SEED = 'INSERT INTO seeds VALUES (1);\n';
const seedRows = async (url: string) => (await rows<{ n: number }>(url, 'SELECT count(*)::int AS n FROM seeds'))[0]!.n;
const state = (url: string) => rows(url, 'SELECT version, name, checksum FROM schemaguard.applied_migrations ORDER BY version');
/** `command` run by a POSIX shell in `cwd`, as a user pastes it. */
const sh = (command: string, cwd: string) => spawnSync('sh', ['-c', command], { cwd, encoding: 'utf8' });
const git = (args: string, cwd: string) => sh(`git -c user.name=t -c user.email=t@example.com ${args}`, cwd);

/** A database with 0001_seeds.sql (the table) and 0002_seed.sql (a row) applied, and their folder. */
async function seeded(label: string): Promise<{ url: string; dir: string }> {
  const url = await freshDatabase(target, label);
  const dir = tempDir({ '0001_seeds.sql': 'CREATE TABLE seeds (id int);\n', '0002_seed.sql': SEED });
  const run = await runCli(['migrate', '--dir', dir, '--database-url', url, '--quiet']);
  expect(run.code, run.stderr).toBe(0);
  return { url, dir };
}

describe(`CLI: an applied file renumbered (0002_seed.sql renamed 0003_seed.sql), on ${target.name}`, () => {
  it('migrate refuses it as renumbered, with or without --allow-ahead, and its fix (rename it back) offers no flag; status says the same; the fix applied, nothing runs again', async () => {
    // Prepare
    const { url, dir } = await seeded('renumbered');
    renameSync(join(dir, '0002_seed.sql'), join(dir, '0003_seed.sql'));
    const before = await catalogFingerprint(url);
    const stateBefore = await state(url);

    // Act
    const plain = await runCli(['migrate', '--dir', dir, '--database-url', url, '--json']);
    const ahead = await runCli(['migrate', '--allow-ahead', '--dir', dir, '--database-url', url, '--json']);
    const status = await runCli(['status', '--dir', dir, '--database-url', url]);

    // Assess
    for (const run of [plain, ahead]) {
      expect(run.code).toBe(1);
      const error = JSON.parse(run.stdout) as { error: string; message: string; fix: string };
      expect(error).toMatchObject({ error: 'AlreadyAppliedError', file: '0003_seed.sql', version: 3, appliedVersion: 2, renumbered: true });
      expect(error.message).toMatch(/^0003_seed\.sql is version 2 renumbered: it holds the text \(checksum \w+\) that was applied as version 2 \("seed"\)/);
      expect(error.message).toContain('its statements would run a second time; nothing was run');
      expect(error.fix).toContain(`back: mv ${join(dir, '0003_seed.sql')} ${join(dir, '0002_seed.sql')} (git mv, the same arguments, for a file git tracks)`);
      expect(error.fix).not.toMatch(/--[a-z]/);
    }
    const mv = /back: (mv \S+ \S+) \(/.exec((JSON.parse(plain.stdout) as { fix: string }).fix)![1]!;
    expect(status.stdout).toMatch(/3\s+seed\s+pending \(ran as version 2\)/);
    expect(status.stdout).toContain('0003_seed.sql is version 2 renumbered');
    expect(status.stdout).not.toMatch(/--allow/);
    expect(await seedRows(url)).toBe(1);
    expect(await catalogFingerprint(url)).toBe(before);
    expect(await state(url)).toEqual(stateBefore);

    // The printed fix followed: up to date, the row still one.
    expect(sh(mv, dir).status).toBe(0);
    expect([existsSync(join(dir, '0002_seed.sql')), existsSync(join(dir, '0003_seed.sql'))]).toEqual([true, false]);
    const fixed = await runCli(['migrate', '--dir', dir, '--database-url', url, '--json']);
    expect(fixed.code, fixed.stderr).toBe(0);
    expect(JSON.parse(fixed.stdout)).toMatchObject({ outcome: 'up-to-date', applied: [] });
    expect(await seedRows(url)).toBe(1);
  });
});

describe(`CLI: the renumbered file's fix, pasted into a shell, on ${target.name}`, () => {
  it('its mv renames a file git does not track (where git mv fails), and its git mv records the rename of a tracked one', async () => {
    // Prepare
    const { url, dir } = await seeded('renumbered-fix');
    renameSync(join(dir, '0002_seed.sql'), join(dir, '0003_seed.sql'));
    const refused = await runCli(['migrate', '--dir', dir, '--database-url', url, '--json']);
    const mv = /back: (mv \S+ \S+) \(git mv, the same arguments, for a file git tracks\)/.exec((JSON.parse(refused.stdout) as { fix: string }).fix)![1]!;

    // Act: untracked, then tracked (the folder made a repository with the renumbered file committed)
    const gitUntracked = sh(`git ${mv}`, dir);
    const untracked = sh(mv, dir);
    renameSync(join(dir, '0002_seed.sql'), join(dir, '0003_seed.sql'));
    for (const step of ['init -q', 'add -A', 'commit -q -m renumbered']) expect(git(step, dir).status).toBe(0);
    const tracked = git(mv, dir);

    // Assess
    expect(gitUntracked.status).not.toBe(0);
    expect(untracked.status, untracked.stderr).toBe(0);
    expect(tracked.status, tracked.stderr).toBe(0);
    expect(git('status --porcelain', dir).stdout).toContain('R  0003_seed.sql -> 0002_seed.sql');
    const fixed = await runCli(['migrate', '--dir', dir, '--database-url', url, '--json']);
    expect(JSON.parse(fixed.stdout)).toMatchObject({ outcome: 'up-to-date', applied: [] });
  });
});

describe(`CLI: an applied file copied under a new version, on ${target.name}`, () => {
  it('migrate refuses it, naming the file it copies and the named override; --allow-rerun VERSION runs it again', async () => {
    const { url, dir } = await seeded('copied');
    addFile(dir, '0003_seed_again.sql', SEED);

    const refused = await runCliInProcess(['migrate', '--dir', dir, '--database-url', url]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('0003_seed_again.sql holds the text');
    expect(refused.stderr).toContain('that was applied as version 2 ("seed"), whose file 0002_seed.sql is there too');
    expect(refused.stderr).toContain('pass --allow-rerun 3');
    expect(await seedRows(url)).toBe(1);

    const allowed = await runCliInProcess(['migrate', '--allow-rerun', '3', '--dir', dir, '--database-url', url, '--quiet']);
    expect(allowed.code, allowed.stderr).toBe(0);
    expect(await seedRows(url)).toBe(2);
  });
});

describe(`CLI: an applied file renamed within its version (0002_seed.sql renamed 0002_seed_users.sql), on ${target.name}`, () => {
  it('migrate runs nothing, and status says it ran under its old name', async () => {
    const { url, dir } = await seeded('renamed');
    renameSync(join(dir, '0002_seed.sql'), join(dir, '0002_seed_users.sql'));

    const run = await runCliInProcess(['migrate', '--dir', dir, '--database-url', url, '--json']);
    const status = await runCliInProcess(['status', '--dir', dir, '--database-url', url]);
    const json = await runCliInProcess(['status', '--dir', dir, '--database-url', url, '--json']);

    expect(JSON.parse(run.stdout)).toMatchObject({ outcome: 'up-to-date' });
    expect(status.stdout).toMatch(/2\s+seed_users\s+applied \(ran as "seed"\)/);
    expect(JSON.parse(json.stdout).migrations[1]).toMatchObject({ version: 2, name: 'seed_users', status: 'applied', appliedName: 'seed' });
    expect(await seedRows(url)).toBe(1);
  });
});
