/** The safety commands through the real executable: lint, check, diff, doctor, and lint under plan. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { runCli, ROOT } from '../../support/cli';
import { dropDatabases, freshDatabase, targets, withClient } from '../../support/db';
import { tempDir } from '../../support/files';
import { runFixes } from '../../support/schema-fixes';

afterAll(dropDatabases);

const target = targets[0]!;
const NO_DB = { DATABASE_URL: undefined };

describe(`CLI: safety commands on ${target.name}`, () => {
  describe('lint', () => {
    it('exits 1 on errors, printing file:line:column, rule, why and fix', async () => {
      const dir = tempDir({
        '1_a.sql': 'CREATE TABLE leads (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), name text);',
        '2_b.sql': 'CREATE TABLE purchases (id uuid PRIMARY KEY, lead_id uuid);\nCREATE INDEX CONCURRENTLY p_lead ON purchases (lead_id);',
      });
      const r = await runCli(['lint', '--dir', dir], { env: NO_DB });
      expect(r.code).toBe(1);
      expect(r.stdout).toContain('2_b.sql:1:25: error uuid-pk-without-default: purchases.id is a uuid primary key without a DEFAULT');
      expect(r.stdout).toContain('2_b.sql:2:1: error concurrently-in-transaction: CREATE INDEX CONCURRENTLY in a transactional migration');
      expect(r.stdout).toMatch(/\n {2}why: .+\n {2}fix: .+/);
      expect(r.stdout).toContain('lint: 2 files, 2 errors, 0 warnings');
      expect(r.stderr).toContain('no database: every file counts as pending');
    });

    it('exits 0 with warnings only, and prints JSON with --json', async () => {
      const dir = tempDir({ '1_a.sql': '-- schemaguard:allow index-not-concurrent nothing here\nCREATE TABLE t (id int);' });
      const r = await runCli(['lint', '--dir', dir, '--json'], { env: NO_DB });
      expect(r.code).toBe(0);
      const json = JSON.parse(r.stdout);
      expect(json).toMatchObject({ command: 'lint', files: ['1_a.sql'], errors: 0, warnings: 1, findings: [{ rule: 'unused-allow', line: 1 }] });
    });

    it('with --database-url lints only pending files, with the applied ones as context', async () => {
      const url = await freshDatabase(target, 'cli_lint');
      const dir = tempDir({ '1_a.sql': 'CREATE TABLE t (id int);' });
      expect((await runCli(['migrate', '--dir', dir, '--database-url', url, '--quiet'])).code).toBe(0);
      const dir2 = tempDir({ '1_a.sql': 'CREATE TABLE t (id int);', '2_b.sql': 'CREATE INDEX t_id ON t (id);' });
      const withDb = await runCli(['lint', '--dir', dir2, '--database-url', url]);
      const withoutDb = await runCli(['lint', '--dir', dir2], { env: NO_DB });
      expect(withDb.code).toBe(1);
      expect(withDb.stdout).toContain('2_b.sql:1:22: error index-not-concurrent');
      expect(withDb.stdout).toContain('lint: 1 file, 1 error');
      expect(withoutDb.code).toBe(0);
    });

    it('passes on migrations/ of this repository', async () => {
      const r = await runCli(['lint', '--dir', join(ROOT, 'migrations')], { env: NO_DB });
      expect(r.code, r.stdout).toBe(0);
      expect(r.stdout).toMatch(/lint: \d+ files, 0 errors/);
    });
  });

  it('plan prints the lint findings of the pending migrations under its table', async () => {
    const url = await freshDatabase(target, 'cli_plan_lint');
    await withClient(url, (c) => c.query('CREATE TABLE existing (id int)'));
    const dir = tempDir({ '1_a.sql': 'CREATE INDEX existing_id ON existing (id);' });
    const r = await runCli(['plan', '--dir', dir, '--database-url', url]);
    const j = await runCli(['plan', '--dir', dir, '--database-url', url, '--json']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/1_a\.sql[\s\S]*1_a\.sql:1:29: error index-not-concurrent/);
    expect(JSON.parse(j.stdout).lint).toMatchObject({ errors: 1, findings: [{ rule: 'index-not-concurrent' }] });
  });

  describe('check, diff and doctor on a migrated database', () => {
    let url: string;
    beforeAll(async () => {
      url = await freshDatabase(target, 'cli_safety');
      await runFixes(url);
    });

    it('check passes the repository contracts (default --contracts contracts) and shows the arbiter', async () => {
      const r = await runCli(['check', '--database-url', url]);
      expect(r.code, r.stdout + r.stderr).toBe(0);
      expect(r.stdout).toMatch(/ok {5}purchase_upsert\.sql:5 purchase_upsert \(\$1 uuid, \$2 uuid\)/);
      expect(r.stdout).toContain('ON CONFLICT on student_course_purchases infers unique index unique_active_purchase (partial: WHERE is_active = true)');
      expect(r.stdout).toMatch(/contracts: \d+ passed, 0 failed/);
    });

    it('check exits 1 naming the file, the statement and the reason', async () => {
      const contracts = tempDir({
        'upsert.sql': 'INSERT INTO student_course_purchases (student_id, course_id, is_active) VALUES ($1, $2, true)\nON CONFLICT (student_id, course_id) DO UPDATE SET updated_at = now()',
        'call.sql': 'SELECT no_such_function($1)',
      }, 'contracts');
      const r = await runCli(['check', '--contracts', contracts, '--database-url', url]);
      expect(r.code).toBe(1);
      expect(r.stdout).toContain('FAILED upsert.sql:1 upsert ($1 uuid, $2 uuid)');
      expect(r.stdout).toContain('statement: INSERT INTO student_course_purchases (student_id, course_id, is_active) VALUES ($1, $2, true) ON CONFLICT');
      expect(r.stdout).toContain('reason: ON CONFLICT (student_id, course_id) matches no unique index or constraint of student_course_purchases: the unique index unique_active_purchase');
      expect(r.stdout).toContain('FAILED call.sql:1 call');
      expect(r.stdout).toContain('reason: function no_such_function(unknown) does not exist (42883)');
      expect(r.stderr).toContain('error: 2 of 2 contracts failed: call.sql, upsert.sql');
      const j = await runCli(['check', '--contracts', contracts, '--database-url', url, '--json']);
      expect(j.code).toBe(1);
      expect(JSON.parse(j.stdout)).toMatchObject({ command: 'check', passed: 0, failed: 2 });
    });

    it('check exits 2 on a bad contract file, naming it', async () => {
      const contracts = tempDir({ 'two.sql': 'SELECT 1; SELECT 2;' }, 'contracts');
      const r = await runCli(['check', '--contracts', contracts, '--database-url', url]);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain('two.sql: a contract file holds exactly one statement (found 2)');
    });

    it('diff exits 0 without drift and 1 on drift, naming the column', async () => {
      const clean = await runCli(['diff', '--database-url', url]);
      expect(clean.code, clean.stdout).toBe(0);
      expect(clean.stdout).toContain('no drift');
      await withClient(url, (c) => c.query('ALTER TABLE lead_purchases ALTER COLUMN id DROP DEFAULT'));
      try {
        const r = await runCli(['diff', '--database-url', url]);
        expect(r.code).toBe(1);
        expect(r.stdout).toContain('column public.lead_purchases.id: default differs: snapshot "gen_random_uuid()" vs live null');
        expect(r.stdout).toContain('drift: 1 difference');
        const j = await runCli(['diff', '--database-url', url, '--json']);
        expect(JSON.parse(j.stdout)).toMatchObject({ command: 'diff', drift: true, differences: [{ name: 'public.lead_purchases.id', field: 'default' }] });
        const check = await runCli(['check', '--database-url', url]);
        expect(check.code).toBe(1);
        expect(check.stdout).toContain('reason: lead_purchases.id is NOT NULL, has no DEFAULT, and the statement does not set it');
      } finally {
        await withClient(url, (c) => c.query('ALTER TABLE lead_purchases ALTER COLUMN id SET DEFAULT gen_random_uuid()'));
      }
    });

    it('diff says when migrations are not applied yet, and exits 2 without a snapshot', async () => {
      const empty = await freshDatabase(target, 'cli_diff_empty');
      const r = await runCli(['diff', '--database-url', empty]);
      expect(r.code).toBe(1);
      expect(r.stdout).toMatch(/note: \d+ migrations are not applied here .*run migrate first/);
      const missing = await runCli(['diff', '--database-url', empty, '--snapshot', '/nonexistent/snapshot.json']);
      expect(missing.code).toBe(2);
      expect(missing.stderr).toContain('/nonexistent/snapshot.json: cannot read the schema snapshot (ENOENT)');
      expect(missing.stderr).toContain('npm run snapshot');
    });

    it('doctor exits 0 on the fixed schema and 1 when a uuid id loses its default', async () => {
      const ok = await runCli(['doctor', '--database-url', url]);
      expect(ok.code, ok.stdout).toBe(0);
      await withClient(url, (c) => c.query('ALTER TABLE lead_purchases ALTER COLUMN id DROP DEFAULT'));
      try {
        const bad = await runCli(['doctor', '--database-url', url]);
        expect(bad.code).toBe(1);
        expect(bad.stdout).toContain('lead_purchases.id: error pk-without-default: lead_purchases.id is a primary key of type uuid without a default');
        expect(bad.stdout).toContain('fix: ALTER TABLE lead_purchases ALTER COLUMN id SET DEFAULT gen_random_uuid();');
        const j = await runCli(['doctor', '--database-url', url, '--json']);
        expect(JSON.parse(j.stdout)).toMatchObject({ command: 'doctor', errors: 1 });
      } finally {
        await withClient(url, (c) => c.query('ALTER TABLE lead_purchases ALTER COLUMN id SET DEFAULT gen_random_uuid()'));
      }
    });
  });
});
