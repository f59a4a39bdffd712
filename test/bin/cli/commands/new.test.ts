/** `schemaguard new`: the next file name, the name rules, the template. */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main, type Io } from '../../../../bin/cli/main';
import { UsageError } from '../../../../bin/cli/errors';
import { migrationName, nextMigrationFile } from '../../../../bin/cli/commands/new';
import { parseMigration } from '../../../../lambda/engine/files/source';
import { tempDir } from '../../../support/files';

function capture(): Io & { stdout: string; stderr: string } {
  const io = {
    stdout: '',
    stderr: '',
    env: {},
    out: (t: string) => {
      io.stdout += `${t}\n`;
    },
    err: (t: string) => {
      io.stderr += `${t}\n`;
    },
  };
  return io;
}

describe('Function: nextMigrationFile', () => {
  // Regression: in a history of timestamp versions, new wrote the newest + 1 (20240202120001_…), so two branches took the same version.
  it('takes the time now (UTC) where the newest version is a timestamp, as dbmate and goose name files', () => {
    const now = new Date(Date.UTC(2026, 10, 27, 7, 5, 9));
    expect(nextMigrationFile(['20240202120000_users.sql'], 'add_email', now)).toEqual({ version: 20261127070509, file: '20261127070509_add_email.sql' });
    // A newest version from the future (a clock ahead): one after it, never a smaller one.
    expect(nextMigrationFile(['20301231235959_x.sql'], 'y', now).version).toBe(20301231235960);
    // 14 digits that are no time (month 13) count on by one.
    expect(nextMigrationFile(['20241301000000_x.sql'], 'y', now).version).toBe(20241301000001);
  });

  // Regression: in a history of Flyway's 12-digit timestamps (V202401011230__x.sql, renamed 202401011230_x.sql), new wrote the newest + 1.
  it('takes the time now (UTC) to the minute where the newest version is a 12-digit timestamp', () => {
    const now = new Date(Date.UTC(2026, 10, 27, 7, 5, 9));
    expect(nextMigrationFile(['202401011230_users.sql', '202402021200_posts.sql'], 'add_email', now)).toEqual({
      version: 202611270705,
      file: '202611270705_add_email.sql',
    });
    expect(nextMigrationFile(['203012312359_x.sql'], 'y', now).version).toBe(203012312360);
    // 12 digits that are no time (hour 24) count on by one.
    expect(nextMigrationFile(['202401012400_x.sql'], 'y', now).version).toBe(202401012401);
  });

  it("compares versions past 2^53 exactly and refuses to write one (node-pg-migrate's 17-digit UTC names), nothing rounded", () => {
    const now = new Date(Date.UTC(2026, 10, 27, 7, 5, 9));
    expect(nextMigrationFile(['9007199254740990_a.sql'], 'b', now)).toEqual({ version: 9007199254740991, file: '9007199254740991_b.sql' });
    expect(() => nextMigrationFile(['9007199254740991_a.sql'], 'b', now)).toThrow(
      'new: the next version after 9007199254740991 would be 9007199254740992, above 2^53',
    );
    // 20240101123045123 and 20240101123045124 are one number to JavaScript: the newest is found by its digits.
    expect(() => nextMigrationFile(['20240101123045124_b.sql', '20240101123045123_a.sql', '20240101123045_c.sql'], 'd', now)).toThrow(
      expect.objectContaining({
        message: expect.stringContaining('the next version after 20240101123045124 would be 20240101123045125'),
        fix: expect.stringContaining('keep them to the second, the first 14 digits'),
      }),
    );
  });

  it('pads like the newest file and counts from the highest version', () => {
    expect(nextMigrationFile(['0001_a.sql', '0002_b.sql', 'README.md'], 'c')).toEqual({ version: 3, file: '0003_c.sql' });
    expect(nextMigrationFile(['1_a.sql', '12_b.sql'], 'c')).toEqual({ version: 13, file: '13_c.sql' });
    expect(nextMigrationFile(['0999_a.sql'], 'b')).toEqual({ version: 1000, file: '1000_b.sql' });
    expect(nextMigrationFile(['003_a.sql', '1_b.sql'], 'c')).toEqual({ version: 4, file: '004_c.sql' });
  });

  it('starts at 0001 in an empty directory', () => {
    expect(nextMigrationFile([], 'init')).toEqual({ version: 1, file: '0001_init.sql' });
  });
});

describe('Function: migrationName', () => {
  it('refuses spaces, slashes, a leading _ and a .sql suffix, suggesting a name', () => {
    expect(migrationName('add_lead_index')).toBe('add_lead_index');
    expect(() => migrationName('add lead index')).toThrow(/bad migration name "add lead index".*/);
    expect(() => migrationName('../evil')).toThrow(/bad migration name/);
    expect(() => migrationName('_x')).toThrow(/bad migration name/);
    expect(() => migrationName('x.sql')).toThrow(/no \.sql/);
    const fix = (raw: string) => {
      try {
        migrationName(raw);
        return undefined;
      } catch (e) {
        return (e as { fix: string }).fix;
      }
    };
    expect(fix('Add Lead Index')).toBe('e.g. schemaguard new add_lead_index');
    // Regression (helper): an accented letter was dropped with its accent ("café" suggested "caf").
    expect(fix('café crème')).toBe('e.g. schemaguard new cafe_creme');
    // Regression (newcomer): a file name suggested "schemaguard new 0010_foo", which makes 0011_0010_foo.sql.
    expect(fix('0010_foo.sql')).toBe('e.g. schemaguard new foo');
    expect(fix('7-add-phone.SQL')).toBe('e.g. schemaguard new add-phone');
    expect(fix('2fa.sql')).toBe('e.g. schemaguard new 2fa');
    // Without .sql too: a leading version and _ are the file's (it made 0011_0010_foo.sql); a name that starts with digits otherwise is kept.
    expect(fix('0010_foo')).toBe('e.g. schemaguard new foo; a number that is part of the name goes after a word (foo_0010)');
    expect(migrationName('2fa_backup_codes')).toBe('2fa_backup_codes');
    expect(migrationName('2fa')).toBe('2fa');
  });

  // Regression (review): new 0010-foo was taken and made 0011_0010-foo.sql, while new 0010_foo was refused; the file reader reads a
  // version followed by - as one too (5-add-phone.sql: rename it to 5_add_phone.sql).
  it.each([
    ['0010-foo', 'foo', 'foo-0010'],
    ['0010--add-phone', 'add-phone', 'add-phone-0010'],
    ['2024-q1-cleanup', 'q1-cleanup', 'q1-cleanup-2024'],
    ['0010_foo', 'foo', 'foo_0010'],
  ])('refuses %s: a leading version with a hyphen as with an underscore, suggesting the name without it', (raw, name, numbered) => {
    const e = (() => {
      try {
        migrationName(raw);
      } catch (x) {
        return x as UsageError;
      }
      return undefined;
    })();

    expect(e).toBeInstanceOf(UsageError);
    expect(e!.message).toBe(
      `bad migration name "${raw}": a name is letters, digits, _ . or -, starting with a letter or digit (no version: new numbers the file; no .sql, no spaces, no /)`,
    );
    expect(e!.fix).toBe(`e.g. schemaguard new ${name}; a number that is part of the name goes after a word (${numbered})`);
  });
});

describe('CLI: schemaguard new', () => {
  it('creates the next file; it loads as a migration once it has a statement, and its directives are commented out', async () => {
    const dir = tempDir({ '0001_a.sql': 'CREATE TABLE a (id int);' });
    const io = capture();
    expect(await main(['new', 'add_lead_index', '--dir', dir], io)).toBe(0);
    const path = join(dir, '0002_add_lead_index.sql');
    expect(io.stdout).toContain(`created ${path}`);
    // The checks before the change, in init's order: lint, plan, then migrate.
    expect(io.stdout).toMatch(/then: schemaguard lint .*, schemaguard plan .*, schemaguard migrate$/m);
    const text = readFileSync(path, 'utf8');
    expect(text).toContain('every lock a statement takes is held until COMMIT');
    expect(text).toContain('-- -- schemaguard:no-transaction');
    expect(text).toContain('-- -- schemaguard:check <what must hold>');
    const enabled = text.replace(/^-- (-- schemaguard:(no-transaction|lock-timeout|statement-timeout).*)$/gm, '$1');
    const m = parseMigration('0002_add_lead_index.sql', `${enabled}\nCREATE INDEX CONCURRENTLY i ON a (id);`);
    expect(m.directives).toEqual({ noTransaction: true, lockTimeoutMs: 5000, statementTimeoutMs: 600_000 });
    expect(parseMigration('0002_add_lead_index.sql', `${text}\nCREATE TABLE b (id int);`).checks).toEqual([]);
  });

  it('refuses a bad name (exit 2) and creates nothing', async () => {
    const dir = tempDir({ '0001_a.sql': 'CREATE TABLE a (id int);' });
    const io = capture();
    expect(await main(['new', 'add lead index', '--dir', dir], io)).toBe(2);
    expect(io.stderr).toContain('bad migration name "add lead index"');
    expect(io.stderr).toContain('fix: e.g. schemaguard new add_lead_index');
    expect(readdirSync(dir)).toEqual(['0001_a.sql']);
  });

  // Regression (review): it created 0002_0010-foo.sql.
  it('refuses a name with a leading version and a hyphen (exit 2) and creates nothing', async () => {
    const dir = tempDir({ '0001_a.sql': 'CREATE TABLE a (id int);' });
    const io = capture();
    expect(await main(['new', '0010-foo', '--dir', dir], io)).toBe(2);
    expect(io.stderr).toContain('bad migration name "0010-foo"');
    expect(io.stderr).toContain('fix: e.g. schemaguard new foo');
    expect(readdirSync(dir)).toEqual(['0001_a.sql']);
  });

  it('refuses a name that makes the file name longer than 255 bytes (exit 2, not a bare ENAMETOOLONG), naming the length and the fix; creates nothing, not even the directory', async () => {
    const dir = join(tempDir(), 'migrations');
    const io = capture();
    expect(await main(['new', 'a'.repeat(300), '--dir', dir], io)).toBe(2);
    expect(io.stderr).toContain('error: migration name too long: 300 characters, which make the file name 309 bytes (0001_aaaa');
    expect(io.stderr).toContain(`fix: shorten NAME to at most 246 characters, e.g. schemaguard new ${'a'.repeat(60)}\n`);
    expect(io.stderr).not.toContain('ENAMETOOLONG');
    expect(existsSync(dir)).toBe(false);
    // The longest name that fits is taken.
    expect(await main(['new', 'a'.repeat(246), '--dir', dir], io)).toBe(0);
    expect(readdirSync(dir)).toEqual([`0001_${'a'.repeat(246)}.sql`]);
  });

  it('needs exactly one NAME (exit 2)', async () => {
    const io = capture();
    expect(await main(['new', '--dir', tempDir()], io)).toBe(2);
    expect(io.stderr).toContain('new needs an argument');
    expect(await main(['new', 'a', 'b', '--dir', tempDir()], io)).toBe(2);
    expect(io.stderr).toContain('unexpected argument "b"');
  });

  it('creates a missing directory and says so', async () => {
    const dir = join(tempDir(), 'db', 'migrations');
    const io = capture();
    expect(await main(['new', 'init', '--dir', dir, '--json'], io)).toBe(0);
    expect(JSON.parse(io.stdout)).toMatchObject({ command: 'new', version: 1, file: '0001_init.sql' });
    expect(existsSync(join(dir, '0001_init.sql'))).toBe(true);
    expect(io.stderr).toContain(`created the migrations directory ${dir}/`);
  });
});
