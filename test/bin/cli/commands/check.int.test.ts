/** `schemaguard check` through the real executable in the first test, in process (`runCliInProcess`, the same `main`) in the others. */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, runCliInProcess } from '../../../support/cli';
import { dropDatabases, freshDatabase, targets, withClient } from '../../../support/db';
import { tempDir } from '../../../support/files';
import { runFixes } from '../../../support/schema-fixes';

afterAll(dropDatabases);

const target = targets[0]!;

describe(`CLI: schemaguard check on ${target.name}, on a migrated database`, () => {
  let url: string;
  beforeAll(async () => {
    url = await freshDatabase(target, 'cli_check');
    await runFixes(url);
  });

  it('check passes the repository contracts (default --contracts contracts) and shows the arbiter', async () => {
    const r = await runCli(['check', '--database-url', url]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toMatch(/ok {5}purchase_upsert\.sql:5 purchase_upsert \(\$1 uuid, \$2 uuid\)/);
    expect(r.stdout).toContain('ON CONFLICT on student_course_purchases infers unique index unique_active_purchase (partial: WHERE is_active = true)');
    expect(r.stdout).toMatch(/contracts: \d+ passed, 0 failed/);
  });

  it('regression: as a user the alarms count, it says so before checking and names the guard role', async () => {
    const r = await runCliInProcess(['check', '--database-url', url]);
    expect(r.stderr).toContain(`note: connected as "${new URL(url).username}": the database alarms count this user's ERROR lines`);
  });

  it('check exits 1 naming the file, the statement and the reason', async () => {
    const contracts = tempDir(
      {
        'upsert.sql':
          'INSERT INTO student_course_purchases (student_id, course_id, is_active) VALUES ($1, $2, true)\nON CONFLICT (student_id, course_id) DO UPDATE SET updated_at = now()',
        'call.sql': 'SELECT no_such_function($1)',
      },
      'contracts',
    );
    const r = await runCliInProcess(['check', '--contracts', contracts, '--database-url', url]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('FAILED upsert.sql:1 upsert ($1 uuid, $2 uuid)');
    expect(r.stdout).toContain('statement: INSERT INTO student_course_purchases (student_id, course_id, is_active) VALUES ($1, $2, true) ON CONFLICT');
    expect(r.stdout).toContain(
      'reason: ON CONFLICT (student_id, course_id) matches no unique index or constraint of student_course_purchases: the unique index unique_active_purchase',
    );
    expect(r.stdout).toContain('FAILED call.sql:1 call');
    expect(r.stdout).toContain('reason: function no_such_function(unknown) does not exist (42883)');
    expect(r.stderr).toContain('error: 2 of 2 contracts failed: call.sql, upsert.sql');
    const j = await runCliInProcess(['check', '--contracts', contracts, '--database-url', url, '--json']);
    expect(j.code).toBe(1);
    expect(JSON.parse(j.stdout)).toMatchObject({ command: 'check', passed: 0, failed: 2 });
  });

  // Regression: a lock held on a contract's table was reported as a failed contract ("1 of 3 contracts failed").
  it("a contract's table locked past the lock_timeout: an error saying it could not be checked, with the fix, not a failed contract", async () => {
    await withClient(url, async (holder) => {
      await holder.query('BEGIN; LOCK TABLE student_course_purchases IN SHARE MODE');
      try {
        const r = await runCliInProcess(['check', '--database-url', url]);
        expect(r.code).toBe(1);
        expect(r.stderr).toMatch(/error: contract purchase_upsert\.sql:5 \(purchase_upsert\) could not be checked: canceling statement due to lock timeout/);
        expect(r.stderr).toContain("fix: another session held a lock on its table longer than the check's lock_timeout");
        expect(r.stderr).not.toContain('contracts failed');
      } finally {
        await holder.query('ROLLBACK');
      }
    });
  });

  // Regression: run by a role without USAGE on public, check said "relation … does not exist" and "a migration must create the table".
  it("as a role without USAGE on the table's schema: the failure says the table exists and gives the GRANT USAGE (text and --json)", async () => {
    const role = `sg_check_${randomBytes(4).toString('hex')}`;
    const password = randomBytes(12).toString('hex');
    await withClient(url, (c) =>
      c.query(`CREATE ROLE ${role} LOGIN PASSWORD '${password}'; GRANT SELECT ON lead_purchases TO ${role}; REVOKE USAGE ON SCHEMA public FROM PUBLIC`),
    );
    try {
      const roleUrl = new URL(url);
      roleUrl.username = role;
      roleUrl.password = password;
      const contracts = tempDir({ 'price.sql': 'SELECT price FROM lead_purchases WHERE id = $1' }, 'contracts');
      const r = await runCliInProcess(['check', '--contracts', contracts, '--database-url', roleUrl.toString()]);
      expect(r.code).toBe(1);
      expect(r.stdout).toContain(
        `reason: relation "lead_purchases" does not exist (42P01): the table public.lead_purchases exists, but role ${role} has no USAGE on schema public, so PostgreSQL leaves that schema out of its search_path\n`,
      );
      expect(r.stdout).toContain(`fix: GRANT USAGE ON SCHEMA public TO ${role};  -- as the schema's owner or the master user\n`);
      expect(r.stdout).not.toContain('a migration must create the table');
      const j = await runCliInProcess(['check', '--contracts', contracts, '--database-url', roleUrl.toString(), '--json']);
      expect(JSON.parse(j.stdout).results[0].failures[0]).toMatchObject({
        sqlstate: '42P01',
        schemaWithoutUsage: 'public',
        fix: `GRANT USAGE ON SCHEMA public TO ${role};  -- as the schema's owner or the master user`,
      });
    } finally {
      await withClient(url, (c) => c.query(`GRANT USAGE ON SCHEMA public TO PUBLIC; DROP OWNED BY ${role}; DROP ROLE ${role}`));
    }
  });

  it('check exits 2 on a bad contract file, naming it', async () => {
    const contracts = tempDir({ 'two.sql': 'SELECT 1; SELECT 2;' }, 'contracts');
    const r = await runCliInProcess(['check', '--contracts', contracts, '--database-url', url]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('two.sql: a contract file holds exactly one statement (found 2)');
  });
});
