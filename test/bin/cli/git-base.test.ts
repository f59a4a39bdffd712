/** `lint --since REF`: the files a git ref has count as applied, so the rules for existing tables fire on the project's own tables. */
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { InputError } from '../../../lambda/engine/errors/errors';
import { baseRef, filesAtRef, unchangedSince } from '../../../bin/cli/git-base';
import { runCli } from '../../support/cli';
import { tempDir } from '../../support/files';
import { PRISMA_LOCK_TEXT, prismaCreateTable } from '../../support/prisma-tool';

const git = (cwd: string, ...args: string[]) =>
  execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.com', ...args], { cwd, encoding: 'utf8' });

/** Commits what `root` holds on main, and starts a branch. */
function commitThenBranch(root: string): void {
  git(root, 'init', '-q', '-b', 'main');
  git(root, 'add', '.');
  git(root, 'commit', '-q', '-m', 'base');
  git(root, 'checkout', '-q', '-b', 'feature');
}

/** A repository whose main branch has 0001 (the table), and a branch adding 0002 (a blocking index on it). */
function project(): string {
  const root = tempDir({ 'migrations/0001_widgets.sql': 'CREATE TABLE widgets (id bigint PRIMARY KEY, name text);\n' }, 'repo');
  commitThenBranch(root);
  writeFileSync(join(root, 'migrations', '0002_widgets_name.sql'), 'CREATE INDEX widgets_name ON widgets (name);\n');
  return root;
}

describe('Module: git-base', () => {
  it('lists the files of a folder at a ref with their blob ids, not those added since; a file edited since is not unchanged', () => {
    const root = project();
    const dir = join(root, 'migrations');
    const base = filesAtRef(dir, 'main');
    expect([...base.keys()]).toEqual(['0001_widgets.sql']);
    expect(base.get('0001_widgets.sql')).toBe(git(dir, 'rev-parse', 'main:migrations/0001_widgets.sql').trim());
    expect(unchangedSince(dir, base, ['0001_widgets.sql'], 'main')).toEqual(new Set(['0001_widgets.sql']));
    writeFileSync(join(dir, '0001_widgets.sql'), 'CREATE TABLE widgets (id bigint PRIMARY KEY, name text, note text);\n');
    expect(unchangedSince(dir, base, ['0001_widgets.sql'], 'main')).toEqual(new Set());
  });

  it('refuses a ref git does not know, naming it, with the fetch to run', () => {
    const root = project();
    expect(() => filesAtRef(join(root, 'migrations'), 'origin/main')).toThrow(InputError);
    expect(() => filesAtRef(join(root, 'migrations'), 'origin/main')).toThrow(
      /^--since origin\/main: could not list .*migrations\/ at origin\/main: fatal: Not a valid object name origin\/main/,
    );
  });

  it("lint --since main: the branch's new index on the table main created is an error; without it every file is pending and the table new", async () => {
    const root = project();
    const since = await runCli(['lint', '--since', 'main'], { cwd: root, env: { DATABASE_URL: '' } });
    expect(since.code).toBe(1);
    expect(since.stdout).toContain('0002_widgets_name.sql:1:30: error index-not-concurrent');
    expect(since.stderr).toContain(
      'lint 1 file new or changed since main, of 2 in migrations/ (--since main: the others count as applied, their tables exist)',
    );
    // Without it, and without a remote's branch to compare with, every file is pending, and lint says so first.
    const without = await runCli(['lint'], { cwd: root, env: { DATABASE_URL: undefined, GITHUB_BASE_REF: undefined } });
    expect(without.code).toBe(0);
    expect(without.stdout).toMatch(/^warning: every file counts as pending, all 2 files in migrations\/: .*no git base branch \(origin\/HEAD\); /);
    expect(without.stdout).toContain('lint: 2 files, 0 errors, 0 warnings');
  });

  // Issue 54: without --since, lint finds the base branch itself (a pull request's in GitHub Actions, else the remote's default branch).
  it("lint without --since takes the remote's base branch as --since, saying so, and a pull request's base in GitHub Actions", async () => {
    const root = project();
    const origin = tempDir({}, 'origin');
    git(origin, 'init', '-q', '--bare');
    git(root, 'remote', 'add', 'origin', origin);
    git(root, 'push', '-q', 'origin', 'main');
    git(root, 'fetch', '-q', 'origin');
    const r = await runCli(['lint'], { cwd: root, env: { DATABASE_URL: undefined, GITHUB_BASE_REF: undefined } });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(
      'lint 1 file new or changed since origin/main, of 2 in migrations/ (the git base origin/main: the others count as applied, their tables exist)',
    );
    expect(r.stdout).toContain('0002_widgets_name.sql:1:30: error index-not-concurrent');
    expect(baseRef(join(root, 'migrations'), {})).toBe('origin/main');
    git(root, 'push', '-q', 'origin', 'HEAD:release');
    git(root, 'fetch', '-q', 'origin');
    expect(baseRef(join(root, 'migrations'), { GITHUB_BASE_REF: 'release' })).toBe('origin/release');
    // A pull request's base that was not fetched (a shallow checkout) is passed over.
    expect(baseRef(join(root, 'migrations'), { GITHUB_BASE_REF: 'gone' })).toBe('origin/main');
    expect(baseRef(tempDir({}), {})).toBeUndefined();
  });

  it('lint --since with a bad ref, or with --database-url too, is an input error (exit 2)', async () => {
    const root = project();
    const bad = await runCli(['lint', '--since', 'origin/main'], { cwd: root, env: { DATABASE_URL: '' } });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('fix: run in the repository with that ref fetched: git fetch origin main');
    const both = await runCli(['lint', '--since', 'main', '--database-url', 'postgres://app:secret@localhost:1/app'], { cwd: root });
    expect(both.code).toBe(2);
    expect(both.stderr).toContain('error: lint does not use --database-url: lint --since takes the applied files from git, not from a database');
    expect(both.stderr).not.toContain('secret');
  });

  it("lint --since main over Prisma's folders: the folders main has count as applied, so the branch's new index on their table is an error", async () => {
    const root = tempDir(
      { 'prisma/migrations/migration_lock.toml': PRISMA_LOCK_TEXT, 'prisma/migrations/20240101120000_init/migration.sql': prismaCreateTable('User') },
      'repo',
    );
    commitThenBranch(root);
    mkdirSync(join(root, 'prisma', 'migrations', '20240215093000_user_id'));
    writeFileSync(
      join(root, 'prisma', 'migrations', '20240215093000_user_id', 'migration.sql'),
      '-- CreateIndex\nCREATE INDEX "User_id_idx" ON "User"("id");\n',
    );
    expect([...filesAtRef(join(root, 'prisma', 'migrations'), 'main').keys()].sort()).toEqual(['20240101120000_init/migration.sql', 'migration_lock.toml']);
    const since = await runCli(['lint', '--dir', 'prisma/migrations', '--since', 'main'], { cwd: root, env: { DATABASE_URL: '' } });
    expect(since.code, since.stdout + since.stderr).toBe(1);
    expect(since.stdout).toContain('20240215093000_user_id/migration.sql:2:31: error index-not-concurrent');
    expect(since.stderr).toContain('lint 1 file new or changed since main, of 2 in prisma/migrations/');
  });

  it("lint --since main over drizzle's folder: the files main has count as applied, whatever the journal says since", async () => {
    const journal = (tags: string[]) =>
      JSON.stringify({
        version: '7',
        dialect: 'postgresql',
        entries: tags.map((tag, idx) => ({ idx, version: '7', when: 1700000000000 + idx, tag, breakpoints: true })),
      });
    const root = tempDir(
      {
        'drizzle/meta/_journal.json': journal(['0000_init']),
        'drizzle/0000_init.sql': 'CREATE TABLE "posts" (\n\t"id" serial PRIMARY KEY NOT NULL,\n\t"title" text\n);\n',
      },
      'repo',
    );
    commitThenBranch(root);
    writeFileSync(join(root, 'drizzle', 'meta', '_journal.json'), journal(['0000_init', '0001_title_index']));
    writeFileSync(join(root, 'drizzle', '0001_title_index.sql'), 'CREATE INDEX "posts_title_idx" ON "posts" USING btree ("title");');
    const since = await runCli(['lint', '--dir', 'drizzle', '--since', 'main'], { cwd: root, env: { DATABASE_URL: '' } });
    expect(since.code, since.stdout + since.stderr).toBe(1);
    expect(since.stdout).toContain('0001_title_index.sql:1:35: error index-not-concurrent');
    expect(since.stderr).toContain('lint 1 file new or changed since main, of 2 in drizzle/');
  });
});
