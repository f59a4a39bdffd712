/**
 * The user's files resolve like Code.fromAsset: relative to the working
 * directory, absolute as given; the package's own files are never a default.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { defaults as cliDefaults } from '../../bin/cli/args';
import { resolveUserFiles, USER_FILE_DEFAULTS } from '../../lib/user-files';
import { tempDir } from '../support/files';

const app = () => tempDir({ 'migrations/0001_widgets.sql': 'CREATE TABLE widgets (id int);\n' }, 'app');

describe('Function: resolveUserFiles', () => {
  it('defaults to ./migrations of the working directory, and no contracts or snapshot when the app has none', () => {
    const cwd = app();
    expect(resolveUserFiles('X', {}, cwd)).toEqual({
      migrationsDir: join(cwd, 'migrations'),
      migrationsLayout: 'flat',
      contractsDir: undefined,
      snapshotFile: undefined,
    });
  });

  it('takes ./contracts and the snapshot beside the migrations by default when the app has them', () => {
    const cwd = tempDir({ 'migrations/schema.snapshot.json': '{}\n', 'contracts/orders.sql': 'SELECT 1;\n', 'lambda/schema/snapshot.json': '{}\n' }, 'app');
    expect(resolveUserFiles('X', {}, cwd)).toEqual({
      migrationsLayout: 'flat',
      migrationsDir: join(cwd, 'migrations'),
      contractsDir: join(cwd, 'contracts'),
      snapshotFile: join(cwd, 'migrations', 'schema.snapshot.json'),
    });
    // Wherever the migrations are: beside them.
    const elsewhere = tempDir({ 'db/sql/schema.snapshot.json': '{}\n' }, 'app');
    expect(resolveUserFiles('X', { migrationsDir: 'db/sql' }, elsewhere).snapshotFile).toBe(join(elsewhere, 'db', 'sql', 'schema.snapshot.json'));
  });

  it('resolves relative paths against the working directory and keeps absolute ones', () => {
    const cwd = tempDir({ 'db/schema/1_a.sql': 'SELECT 1;\n', 'db/contracts/c.sql': 'SELECT 1;\n', 'db/snap.json': '{}\n' }, 'app');
    const elsewhere = tempDir({ '1_b.sql': 'SELECT 1;\n' });
    expect(resolveUserFiles('X', { migrationsDir: 'db/schema', contractsDir: './db/contracts', snapshotFile: 'db/snap.json' }, cwd)).toEqual({
      migrationsLayout: 'flat',
      migrationsDir: join(cwd, 'db', 'schema'),
      contractsDir: join(cwd, 'db', 'contracts'),
      snapshotFile: join(cwd, 'db', 'snap.json'),
    });
    expect(resolveUserFiles('X', { migrationsDir: elsewhere }, cwd).migrationsDir).toBe(elsewhere);
  });

  it('uses process.cwd() when no working directory is given', () => {
    expect(resolveUserFiles('X', { migrationsDir: 'migrations' }).migrationsDir).toBe(join(process.cwd(), 'migrations'));
  });

  describe('stops synth, naming the resolved path and the fix', () => {
    it('when the default ./migrations is not there', () => {
      const cwd = tempDir({}, 'app');
      expect(() => resolveUserFiles('SchemaMigrations', {}, cwd)).toThrow(
        `SchemaMigrations: no "migrationsDir" was given and the default ./migrations is not a directory: ${join(cwd, 'migrations')} (the working directory is ${cwd}); create it (it may be empty), or pass migrationsDir`,
      );
    });

    it.each([
      [
        { migrationsDir: 'db/migrations' },
        (cwd: string) =>
          `SchemaMigrations: "migrationsDir" ${join(cwd, 'db/migrations')} (resolved from "db/migrations" against the working directory ${cwd}) is not a directory; create it (it may be empty)`,
      ],
      [{ migrationsDir: '/nonexistent/migrations' }, () => 'SchemaMigrations: "migrationsDir" /nonexistent/migrations is not a directory; create it'],
      [
        { contractsDir: 'contracts' },
        (cwd: string) =>
          `SchemaMigrations: "contractsDir" ${join(cwd, 'contracts')} (resolved from "contracts" against the working directory ${cwd}) does not exist; create it or leave contractsDir unset`,
      ],
      [
        { contractsDir: 'migrations/0001_widgets.sql' },
        (cwd: string) =>
          `"contractsDir" ${join(cwd, 'migrations/0001_widgets.sql')} (resolved from "migrations/0001_widgets.sql" against the working directory ${cwd}) is not a directory`,
      ],
      [
        { snapshotFile: '/nonexistent/snapshot.json' },
        () =>
          'SchemaMigrations: "snapshotFile" /nonexistent/snapshot.json does not exist; write it (schemaguard diff reads the same file), or leave snapshotFile unset',
      ],
      [
        { snapshotFile: 'migrations' },
        (cwd: string) => `"snapshotFile" ${join(cwd, 'migrations')} (resolved from "migrations" against the working directory ${cwd}) is not a file`,
      ],
    ])('%j', (props, message) => {
      const cwd = app();
      expect(() => resolveUserFiles('SchemaMigrations', props, cwd)).toThrow(message(cwd));
    });
  });
});

describe('Constant: USER_FILE_DEFAULTS', () => {
  it("are the CLI's defaults, so `npx schemaguard` and `cdk deploy` read the same files", () => {
    const cli = cliDefaults({});
    expect(USER_FILE_DEFAULTS).toEqual({ migrationsDir: cli.dir, contractsDir: cli.contractsDir, snapshotFile: cli.snapshot });
  });
});

describe('Function: resolveUserFiles, with schemaguard.config.json', () => {
  const config = (settings: Record<string, unknown>, files: Record<string, string> = {}) =>
    tempDir({ ...files, 'schemaguard.config.json': JSON.stringify(settings) }, 'project');

  it("takes the project file's folders, relative to the file, from a subfolder of the project too", () => {
    const root = config(
      { migrations: 'db/migrations', contracts: 'db/contracts', snapshot: 'db/snapshot.json' },
      { 'db/migrations/1_a.sql': 'SELECT 1;\n', 'db/contracts/c.sql': 'SELECT 1;\n', 'db/snapshot.json': '{}\n', 'infra/.keep': '' },
    );
    expect(resolveUserFiles('X', {}, join(root, 'infra'))).toEqual({
      migrationsLayout: 'flat',
      migrationsDir: join(root, 'db', 'migrations'),
      contractsDir: join(root, 'db', 'contracts'),
      snapshotFile: join(root, 'db', 'snapshot.json'),
    });
  });

  it('defaults to the folders beside the file, and a prop wins over the file', () => {
    const root = config(
      { migrations: 'db/migrations' },
      { 'migrations/1_a.sql': 'SELECT 1;\n', 'db/migrations/1_a.sql': 'SELECT 1;\n', 'contracts/c.sql': 'SELECT 1;\n', 'infra/.keep': '' },
    );
    expect(resolveUserFiles('X', { migrationsDir: '../migrations' }, join(root, 'infra')).migrationsDir).toBe(join(root, 'migrations'));
    expect(resolveUserFiles('X', {}, join(root, 'infra')).contractsDir).toBe(join(root, 'contracts'));
  });

  it('takes a contracts folder or a snapshot the file names only when it is there (the snapshot is written later)', () => {
    const root = config({ contracts: 'db/contracts', snapshot: 'migrations/schema.snapshot.json' }, { 'migrations/1_a.sql': 'SELECT 1;\n' });
    expect(resolveUserFiles('X', {}, root)).toEqual({
      migrationsDir: join(root, 'migrations'),
      migrationsLayout: 'flat',
      contractsDir: undefined,
      snapshotFile: undefined,
    });
  });

  it('stops synth on a migrations folder the file names that is not there, and on a bad file, naming it and the fix', () => {
    const missing = config({ migrations: 'db/migrations' });
    expect(() => resolveUserFiles('SchemaMigrations', {}, missing)).toThrow(
      `SchemaMigrations: "migrations" in ${join(missing, 'schemaguard.config.json')} is ${join(missing, 'db', 'migrations')}, which is not a directory; create it (it may be empty), correct "migrations" there, or pass migrationsDir`,
    );
    const bad = config({ migrations: 3 }, { 'migrations/1_a.sql': 'SELECT 1;\n' });
    expect(() => resolveUserFiles('SchemaMigrations', {}, bad)).toThrow(
      'SchemaMigrations: schemaguard.config.json: "migrations": 3 is not a path; fix: write the migrations folder as a string',
    );
  });
});
