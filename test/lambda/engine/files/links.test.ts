/**
 * A link out of the migrations, contracts or a tool's folder is refused
 * before anything reads it — by the loader (migrate, the handler), by the
 * listing lint reads (`migrationFiles`), by the contracts' loader and for
 * Drizzle's journal and Prisma's lock file — naming the file and where it
 * points, never its text. A link that stays inside the folder, and a folder
 * that is itself a link, are read as before.
 */
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadContracts } from '../../../../lambda/checks/contracts';
import { InputError } from '../../../../lambda/engine/errors/errors';
import { loadMigrations, migrationFiles } from '../../../../lambda/engine/files/source';
import { runCli } from '../../../support/cli';
import { tempDir } from '../../../support/files';

/** A file outside every folder of the test, holding what must never be shown. */
function secretFile(): string {
  const path = join(tempDir({}, 'elsewhere'), 'secrets.env');
  writeFileSync(path, 'DB_PASSWORD=hunter2-never-shown\n');
  return path;
}

function thrown(fn: () => unknown): InputError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(InputError);
    return e as InputError;
  }
  throw new Error('nothing was thrown');
}

describe('Function: refuseLinkOut, through the loaders', () => {
  it('a migration linked out of its folder: refused by the loader and by the listing lint reads, naming the file and its target, not its text', () => {
    const dir = tempDir({ '1_a.sql': 'CREATE TABLE a (id int);\n' });
    const secret = secretFile();
    symlinkSync(secret, join(dir, '2_b.sql'));

    for (const e of [thrown(() => loadMigrations(dir)), thrown(() => migrationFiles(dir))]) {
      expect(e.message).toContain(`2_b.sql: a link to ${secret}, outside ${dir}: refused, not read`);
      expect(e.message).not.toContain('hunter2');
      expect(e.fix).toContain('put the file itself in');
    }
  });

  it('a link inside the folder, and a folder that is itself a link, are read', () => {
    const dir = tempDir({ '1_a.sql': 'CREATE TABLE a (id int);\n', 'shared/b.sql': 'CREATE TABLE b (id int);\n' });
    symlinkSync(join(dir, 'shared', 'b.sql'), join(dir, '2_b.sql'));
    const linkedFolder = join(tempDir({}, 'links'), 'migrations');
    symlinkSync(dir, linkedFolder);

    expect(loadMigrations(dir).map((m) => m.file)).toEqual(['1_a.sql', '2_b.sql']);
    expect(loadMigrations(linkedFolder).map((m) => m.file)).toEqual(['1_a.sql', '2_b.sql']);
  });

  it("drizzle's journal and a prisma migration linked out: refused", () => {
    const drizzle = tempDir({ '0000_init.sql': 'CREATE TABLE a (id int);\n', 'meta/.keep': '' });
    symlinkSync(secretFile(), join(drizzle, 'meta', '_journal.json'));
    expect(thrown(() => loadMigrations(drizzle, { layout: 'drizzle' })).message).toMatch(/meta\/_journal\.json: a link to .*secrets\.env, outside/);

    const prisma = tempDir({ 'migration_lock.toml': 'provider = "postgresql"\n' });
    mkdirSync(join(prisma, '20240101000000_init'));
    symlinkSync(secretFile(), join(prisma, '20240101000000_init', 'migration.sql'));
    const e = thrown(() => loadMigrations(prisma, { layout: 'prisma' }));
    expect(e.message).toMatch(/migration\.sql: a link to .*secrets\.env, outside/);
    expect(e.message).not.toContain('hunter2');
  });

  it('a contract linked out of the contracts folder: refused', async () => {
    const contracts = tempDir({ 'a.sql': 'SELECT 1;\n' }, 'contracts');
    symlinkSync(secretFile(), join(contracts, 'b.sql'));
    await expect(loadContracts(contracts)).rejects.toThrow(/b\.sql: a link to .*secrets\.env, outside .*: refused, not read/);
  });

  it('lint and migrate say so and exit 2, the linked text never printed', async () => {
    const dir = tempDir({ '1_a.sql': 'CREATE TABLE a (id int);\n' });
    symlinkSync(secretFile(), join(dir, '2_b.sql'));
    for (const args of [
      ['lint', '--dir', dir, '--server-version', '16'],
      ['migrate', '--dir', dir, '--database-url', 'postgres://nobody@127.0.0.1:1/none'],
    ]) {
      const r = await runCli(args, { env: { DATABASE_URL: undefined }, cwd: dir });
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr).toContain('2_b.sql: a link to');
      expect(`${r.stdout}${r.stderr}`).not.toContain('hunter2');
    }
  });
});
