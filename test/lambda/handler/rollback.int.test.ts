/**
 * Rollback detection against real PostgreSQL: a CloudFormation rollback sends
 * older files to a newer database. Only an Update whose files are behind the
 * database (nothing pending, every unknown version newer than the files) is a
 * rollback; anything else is refused by the engine as before.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { PgDriver } from '../../../lambda/driver/pg/pg-driver';
import { DatabaseAheadError } from '../../../lambda/engine/errors/errors';
import { Redactor } from '../../../lambda/engine/errors/redact';
import { migrate } from '../../../lambda/engine/runner';
import { loadMigrations } from '../../../lambda/engine/files/source';
import { createLogger } from '../../../lambda/handler/log';
import { databaseAhead, migrateUnlessRollback } from '../../../lambda/handler/rollback';
import { dropDatabases, freshDatabase, rows, targets } from '../../support/db';
import { rejection } from '../../support/engine';
import { tempDir } from '../../support/files';

afterAll(dropDatabases);

const FILES = {
  '1_a.sql': 'CREATE TABLE a (id int);\n',
  '2_b.sql': 'CREATE TABLE b (id int);\n',
  '3_c.sql': 'CREATE TABLE c (id int);\n',
};
const only = (...names: (keyof typeof FILES)[]) => loadMigrations(tempDir(Object.fromEntries(names.map((n) => [n, FILES[n]]))));

describe.each(targets)('rollback detection on $name', (target) => {
  async function database(label: string, applied: (keyof typeof FILES)[]) {
    const url = await freshDatabase(target, label);
    const driver = new PgDriver({ connectionString: url });
    await migrate({ driver, migrations: only(...applied), appliedBy: 'newer-code' });
    return { url, driver };
  }

  describe('Function: databaseAhead', () => {
    it('names the versions beyond older files', async () => {
      const { driver } = await database('rb_ahead', ['1_a.sql', '2_b.sql', '3_c.sql']);
      try {
        expect(await databaseAhead(driver, only('1_a.sql'), 'schemaguard')).toEqual([2, 3]);
      } finally {
        await driver.end();
      }
    });

    it.each([
      ['files and database agree', ['1_a.sql', '2_b.sql'], ['1_a.sql', '2_b.sql']],
      ['a migration is pending', ['1_a.sql', '3_c.sql'], ['1_a.sql', '2_b.sql']],
      ['the unknown version is older than a file (a gap, not a rollback)', ['1_a.sql', '2_b.sql'], ['1_a.sql', '3_c.sql']],
    ] as const)('is undefined when %s', async (_case, applied, files) => {
      const { driver } = await database('rb_not', [...applied]);
      try {
        expect(await databaseAhead(driver, only(...files), 'schemaguard')).toBeUndefined();
      } finally {
        await driver.end();
      }
    });
  });

  describe('Function: migrateUnlessRollback', () => {
    const log = createLogger(new Redactor(), () => undefined);

    it('lets a rollback Update succeed without changing anything', async () => {
      const { url, driver } = await database('rb_update', ['1_a.sql', '2_b.sql']);
      const files = only('1_a.sql');
      try {
        const run = await migrateUnlessRollback({ requestType: 'Update', driver, migrations: files, stateSchema: 'schemaguard', log }, (allowAhead) =>
          migrate({ driver, migrations: files, appliedBy: 'older-code', allowAhead }),
        );

        expect(run.ahead).toEqual([2]);
        expect(run.result).toMatchObject({ outcome: 'up-to-date', applied: [], currentVersion: 2 });
        expect(await rows(url, 'SELECT version, applied_by FROM schemaguard.applied_migrations ORDER BY version')).toEqual([
          { version: '1', applied_by: 'newer-code' },
          { version: '2', applied_by: 'newer-code' },
        ]);
      } finally {
        await driver.end();
      }
    });

    it('does not treat a Create against a newer database as a rollback: the engine refuses it', async () => {
      const { driver } = await database('rb_create', ['1_a.sql', '2_b.sql']);
      const files = only('1_a.sql');
      try {
        const e = await rejection(
          migrateUnlessRollback({ requestType: 'Create', driver, migrations: files, stateSchema: 'schemaguard', log }, (allowAhead) =>
            migrate({ driver, migrations: files, appliedBy: 'create', allowAhead }),
          ),
        );

        expect(e).toBeInstanceOf(DatabaseAheadError);
      } finally {
        await driver.end();
      }
    });

    it('does not treat an Update whose files lost one from between the others as a rollback: the refusal names the missing file', async () => {
      const { url, driver } = await database('rb_gap', ['1_a.sql', '2_b.sql', '3_c.sql']);
      const files = only('1_a.sql', '3_c.sql');
      try {
        const e = await rejection<DatabaseAheadError>(
          migrateUnlessRollback({ requestType: 'Update', driver, migrations: files, stateSchema: 'schemaguard', log }, (allowAhead) =>
            migrate({ driver, migrations: files, appliedBy: 'gap', allowAhead }),
          ),
        );

        expect(e).toBeInstanceOf(DatabaseAheadError);
        expect(e.message).toBe('applied migration missing from the migration files: version 2 (b), between 1_a.sql and 3_c.sql; nothing was run');
        expect(e.fix).toContain('restore the file');
        expect(await rows(url, 'SELECT count(*)::int AS n FROM schemaguard.applied_migrations')).toEqual([{ n: 3 }]);
      } finally {
        await driver.end();
      }
    });

    it('decides again when the database moved ahead while the request waited for the lock', async () => {
      const { url, driver } = await database('rb_late', ['1_a.sql']);
      const files = only('1_a.sql');
      const calls: boolean[] = [];
      try {
        // The update being rolled back commits version 2 after the first check, before this request gets the lock.
        const run = await migrateUnlessRollback({ requestType: 'Update', driver, migrations: files, stateSchema: 'schemaguard', log }, async (allowAhead) => {
          calls.push(allowAhead);
          if (calls.length === 1) await migrate({ driver, migrations: only('1_a.sql', '2_b.sql'), appliedBy: 'newer-code' });
          return migrate({ driver, migrations: files, appliedBy: 'older-code', allowAhead });
        });

        expect(calls).toEqual([false, true]);
        expect(run.ahead).toEqual([2]);
        expect(await rows(url, 'SELECT count(*)::int AS n FROM schemaguard.applied_migrations')).toEqual([{ n: 2 }]);
      } finally {
        await driver.end();
      }
    });
  });
});
