/**
 * Data the fixes cannot handle safely stops them with a message that counts
 * and shows examples; nothing is deleted, and the failing migration leaves no
 * trace (its transaction, state row included, is rolled back).
 */
import { afterAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PgDriver } from '../../lambda/driver/pg/pg-driver';
import { MigrationError } from '../../lambda/engine/errors/errors';
import { migrate } from '../../lambda/engine/runner';
import { loadMigrations } from '../../lambda/engine/files/source';
import { diffCatalogs, formatDifferences } from '../../lambda/schema/catalog';
import { catalogFingerprint } from '../support/catalog-fingerprint';
import { runCli } from '../support/cli';
import { fullMatrixMajors, dropDatabases, freshDatabase, rows, withClient } from '../support/db';
import { appliedVersions, catalogOf, loadFixture, MIGRATIONS_DIR, rowCounts, runFixes } from '../support/schema-fixes';

afterAll(dropDatabases);

async function failure(p: Promise<unknown>): Promise<MigrationError> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(MigrationError);
  return e as MigrationError;
}

/** The line of 0003's first step that raises `text`: a failure inside a DO block is reported at the line PL/pgSQL names. */
const raiseLine = (text: string) =>
  readFileSync(join(MIGRATIONS_DIR, '0003_accounts_id_uuid.sql'), 'utf8')
    .split('\n')
    .findIndex((l) => l.includes(`RAISE EXCEPTION '${text}`)) + 1;
const NOT_UUID_LINE = raiseLine('accounts.id cannot be converted to uuid');
const MISSING_LINE = raiseLine('accounts.id and every account_id column must exist');

const columnType = (url: string, table: string, column: string) =>
  rows<{ t: string }>(url, `SELECT format_type(atttypid, atttypmod) AS t FROM pg_attribute WHERE attrelid = $1::regclass AND attname = $2`, [table, column]);

describe.each(fullMatrixMajors)('$name', (target) => {
  describe('ids that are not UUIDs', () => {
    it('stop 0003 with a count and examples per column, and change nothing', async () => {
      const url = await freshDatabase(target, 'garbage');
      await loadFixture(url, 'garbage_ids');
      const before = await rows(url, 'SELECT id, name FROM accounts ORDER BY id');

      const e = await failure(runFixes(url));

      expect(e.file).toBe('0003_accounts_id_uuid.sql');
      expect(e.line).toBe(NOT_UUID_LINE);
      expect(e.sqlstate).toBe('22P02');
      expect(e.message).toBe(
        `0003_accounts_id_uuid.sql:${NOT_UUID_LINE}: accounts.id cannot be converted to uuid: 4 value(s) are not UUIDs: ` +
          "accounts.id: 3 value(s), e.g. '', '42', 'acct-001'; users.account_id: 1 value(s), e.g. 'acct-001'",
      );
      expect(e.hint).toMatch(/map each listed value to a UUID/);
      expect(await appliedVersions(url)).toEqual([1, 2]);
      expect(await columnType(url, 'accounts', 'id')).toEqual([{ t: 'character varying(255)' }]);
      expect(await rows(url, 'SELECT id, name FROM accounts ORDER BY id')).toEqual(before);
    });

    it('make the CLI exit 1 naming the file, the line and the bad values', async () => {
      const url = await freshDatabase(target, 'garbagecli');
      await loadFixture(url, 'garbage_ids');

      const r = await runCli(['migrate', '--dir', MIGRATIONS_DIR, '--database-url', url]);

      expect(r.code, r.stdout + r.stderr).toBe(1);
      expect(r.stderr).toContain(`error: 0003_accounts_id_uuid.sql:${NOT_UUID_LINE}: accounts.id cannot be converted to uuid: 4 value(s) are not UUIDs`);
      expect(r.stderr).toContain("users.account_id: 1 value(s), e.g. 'acct-001'");
      expect(r.stderr).toContain('hint: map each listed value to a UUID');
    });
  });

  describe('orphaned references', () => {
    it('protect new writes at once (NOT VALID), stop 0008 listing the orphans, and delete nothing', async () => {
      const url = await freshDatabase(target, 'orphans');
      await loadFixture(url, 'orphaned_references');
      const before = await rowCounts(url);

      const e = await failure(runFixes(url));

      expect(e.file).toBe('0008_validate_constraints.sql');
      expect(e.sqlstate, e.message).toBe('23503');
      expect(e.message).toContain('cannot validate constraints: 5 row(s) violate them');
      expect(e.message).toContain(
        'appointments_account_id_fkey (appointments.account_id → accounts.id): 2 orphaned row(s), ' +
          'e.g. id=16000000-0000-4000-8000-000000000002 account_id=12000000-0000-4000-8000-0000000000dd, ' +
          'id=16000000-0000-4000-8000-000000000003 account_id=12000000-0000-4000-8000-0000000000ee',
      );
      expect(e.message).toContain('users_account_id_fkey (users.account_id → accounts.id): 1 orphaned row(s), e.g. id=13000000-0000-4000-8000-000000000002');
      expect(e.message).toContain('web_sessions_lead_id_fkey (web_sessions.lead_id → all_leads.id): 1 orphaned row(s)');
      expect(e.message).toContain(
        'appointments_duration_check (appointments ((duration > 0))): 1 row(s) violate it, e.g. id=16000000-0000-4000-8000-000000000004',
      );
      expect(await appliedVersions(url)).toEqual([1, 2, 3, 4, 5, 6, 7]);
      const after = await rowCounts(url);
      expect(Object.fromEntries(Object.keys(before).map((t) => [t, after[t]]))).toEqual(before);

      // The constraints exist, not yet validated, and already refuse a new orphan.
      expect(await rows(url, `SELECT convalidated FROM pg_constraint WHERE conname = 'appointments_account_id_fkey'`)).toEqual([{ convalidated: false }]);
      const refused = await withClient(url, (c) =>
        c.query(`INSERT INTO appointments (account_id, datetime) VALUES ('12000000-0000-4000-8000-0000000000ff', now())`).then(
          () => undefined,
          (err: { code?: string }) => err.code,
        ),
      );
      expect(refused).toBe('23503');
    });

    it('converge once the operator repairs the rows the message listed', async () => {
      const url = await freshDatabase(target, 'orphansfixed');
      await loadFixture(url, 'orphaned_references');
      await failure(runFixes(url));
      await withClient(url, async (c) => {
        await c.query('UPDATE appointments SET duration = 30 WHERE duration <= 0');
        await c.query('UPDATE appointments a SET account_id = NULL WHERE NOT EXISTS (SELECT 1 FROM accounts x WHERE x.id = a.account_id)');
        await c.query('UPDATE users u SET account_id = NULL WHERE NOT EXISTS (SELECT 1 FROM accounts x WHERE x.id = u.account_id)');
        await c.query('UPDATE web_sessions s SET lead_id = NULL WHERE NOT EXISTS (SELECT 1 FROM all_leads x WHERE x.id = s.lead_id)');
      });

      const result = await runFixes(url);

      expect(result.applied.map((a) => a.version)).toEqual([8, 9]);
      const fresh = await freshDatabase(target, 'orphansref');
      await runFixes(fresh);
      expect(formatDifferences(diffCatalogs(await catalogOf(fresh), await catalogOf(url)))).toBe('');
    });
  });

  describe('a key column that is missing', () => {
    it('stops 0003 before it changes anything, naming the column', async () => {
      const url = await freshDatabase(target, 'dropped');
      await loadFixture(url, 'dropped_column');
      await runFixes(url, { upTo: 2 });
      const before = await catalogFingerprint(url);

      const e = await failure(runFixes(url));

      expect(e.file).toBe('0003_accounts_id_uuid.sql');
      expect(e.line).toBe(MISSING_LINE);
      expect(e.sqlstate).toBe('42703');
      expect(e.message).toContain('accounts.id and every account_id column must exist before they are converted to uuid: users.account_id missing');
      expect(e.hint).toMatch(/restore the missing column/);
      expect(await catalogFingerprint(url)).toBe(before);
      expect(await columnType(url, 'accounts', 'id')).toEqual([{ t: 'character varying(255)' }]);
      expect(await appliedVersions(url)).toEqual([1, 2]);
    });
  });

  describe('a key column the online form cannot carry (a hand-made index on it)', () => {
    const SCHEMA = `
      CREATE TABLE accounts (id varchar(36) PRIMARY KEY, name text NOT NULL, created_at timestamptz NOT NULL DEFAULT now());
      CREATE TABLE users (id uuid PRIMARY KEY, account_id varchar(36), email text NOT NULL, name text, created_at timestamptz NOT NULL DEFAULT now());
      CREATE UNIQUE INDEX users_account_email_key ON users (account_id, email);
      INSERT INTO accounts (id, name) SELECT gen_random_uuid()::text, 'a' || g FROM generate_series(1, 100) AS g;`;
    const addUsers = (n: number) => `INSERT INTO users (id, account_id, email)
      SELECT gen_random_uuid(), (SELECT id FROM accounts ORDER BY id OFFSET g % 100 LIMIT 1), 'u' || g || '@example.com' FROM generate_series(1, ${n}) AS g`;

    it('is converted in place when its table is small, keeping the index, with a note', async () => {
      const url = await freshDatabase(target, 'inplace_small');
      await rows(url, SCHEMA + addUsers(50));
      const notes: string[] = [];
      const driver = new PgDriver({ connectionString: url });
      try {
        await migrate({
          driver,
          migrations: loadMigrations(MIGRATIONS_DIR),
          appliedBy: 'test',
          onEvent: (e) => {
            if (e.type === 'note') notes.push(e.message);
          },
        });
      } finally {
        await driver.end();
      }
      expect(
        notes.some((n) => /users\.account_id will be converted in place \(a \d+ kB rewrite under ACCESS EXCLUSIVE\): index users_account_email_key/.test(n)),
      ).toBe(true);
      expect(await columnType(url, 'users', 'account_id')).toEqual([{ t: 'uuid' }]);
      expect(await rows(url, `SELECT pg_get_indexdef('users_account_email_key'::regclass) AS d`)).toEqual([
        { d: 'CREATE UNIQUE INDEX users_account_email_key ON public.users USING btree (account_id, email)' },
      ]);
    });

    it('is refused above schema_fix.max_blocking_rewrite, naming the table, its size and the override; the override converts it', async () => {
      const url = await freshDatabase(target, 'inplace_big');
      await rows(url, SCHEMA + addUsers(20_000));
      const db = new URL(url).pathname.slice(1);
      await rows(url, `ALTER DATABASE ${db} SET schema_fix.max_blocking_rewrite = '1MB'`);
      await runFixes(url, { upTo: 2 });
      const before = await catalogFingerprint(url);

      const e = await failure(runFixes(url));

      expect(e.file).toBe('0003_accounts_id_uuid.sql');
      expect(e.sqlstate).toBe('55000');
      expect(e.message).toMatch(
        /cannot convert a column to uuid online, and a blocking rewrite of that size is over schema_fix\.max_blocking_rewrite \(1MB\): users\.account_id \(index users_account_email_key; table users is \d+ (kB|MB)\)/,
      );
      expect(e.hint).toContain(`ALTER DATABASE ${db} SET schema_fix.max_blocking_rewrite = '<size>'`);
      expect(await catalogFingerprint(url)).toBe(before);

      await rows(url, `ALTER DATABASE ${db} SET schema_fix.max_blocking_rewrite = '1GB'`);
      const result = await runFixes(url);

      expect(result.applied.map((a) => a.version)).toEqual([3, 4, 5, 6, 7, 8, 9]);
      expect(await columnType(url, 'users', 'account_id')).toEqual([{ t: 'uuid' }]);
    });

    it('refuses a setting that is not a size', async () => {
      const url = await freshDatabase(target, 'inplace_badsize');
      await rows(url, SCHEMA + addUsers(10));
      await rows(url, `ALTER DATABASE ${new URL(url).pathname.slice(1)} SET schema_fix.max_blocking_rewrite = 'lots'`);
      const e = await failure(runFixes(url));
      expect(e.message).toContain('schema_fix.max_blocking_rewrite: "lots" is not a size');
      expect(e.hint).toContain('16MB');
    });
  });
});
