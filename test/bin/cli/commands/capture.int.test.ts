/**
 * `schemaguard capture` on a server with pg_stat_statements loaded: the
 * application's upsert and inserts become contract files; the captured
 * upsert passes `check`, and once unique_active_purchase is dropped `check`
 * and `guard` fail naming it. Through the real executable in the first test,
 * in process (`runCliInProcess`, the same `main`) in the others.
 */
import { cpSync, existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, runCliInProcess } from '../../../support/cli';
import { fullMatrixMajors, dropDatabases, freshDatabase, withClient } from '../../../support/db';
import { tempDir } from '../../../support/files';
import { CONTRACTS_DIR, runFixes } from '../../../support/schema-fixes';
import { runApplication, startStatStatementsServer, type StatServer } from '../../../support/stat-statements';

afterAll(dropDatabases);

describe.each(fullMatrixMajors)('CLI: schemaguard capture on $name', (target) => {
  let server: StatServer;
  let url: string;
  beforeAll(async () => {
    server = await startStatStatementsServer(target);
    url = await server.database('cli_capture');
    await runFixes(url);
    await runApplication(url, 5);
  }, 120_000);
  afterAll(() => server?.stop());

  it('--dry-run lists the contracts it would write and writes nothing', async () => {
    const dir = join(tempDir({}, 'capture'), 'contracts');
    const r = await runCli(['capture', '--database-url', url, '--contracts', dir, '--dry-run']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(
      `would write ${join(dir, 'student_course_purchases_upsert.sql')} (5 calls): INSERT INTO student_course_purchases (student_id, course_id, is_active) VALUES ($1, $2, $3) ON CONFLICT (student_id, course_id) WHERE is_active = $4`,
    );
    expect(r.stdout).toMatch(/^capture: 5 to write, 0 already present, 0 skipped; \d+ not the application's/m);
    expect(existsSync(dir)).toBe(false);
  });

  it('writes one file per statement; the captured upsert passes check, and fails naming the index once it is dropped; a second capture writes nothing', async () => {
    const dir = join(tempDir({}, 'capture'), 'contracts');
    const r = await runCliInProcess(['capture', '--database-url', url, '--contracts', dir]);
    expect(r.code, r.stderr).toBe(0);
    expect(readdirSync(dir).sort()).toEqual([
      'lead_purchases_insert.sql',
      'student_course_purchases_upsert.sql',
      'web_sessions_insert.sql',
      'web_sessions_select.sql',
      'whatsapp_sessions_insert.sql',
    ]);
    expect(readFileSync(join(dir, 'student_course_purchases_upsert.sql'), 'utf8')).toMatch(
      /^-- Captured from pg_stat_statements by schemaguard capture \(queryid -?\d+, 5 calls\)\.\n.*\nINSERT INTO student_course_purchases \(student_id, course_id, is_active\)\nVALUES \(\$1, \$2, \$3\)\nON CONFLICT \(student_id, course_id\) WHERE is_active = true\nDO UPDATE SET updated_at = now\(\)\nRETURNING id;\n$/,
    );

    const passed = await runCliInProcess(['check', '--database-url', url, '--contracts', dir]);
    expect(passed.code, passed.stdout).toBe(0);
    expect(passed.stdout).toContain('ON CONFLICT on student_course_purchases infers unique index unique_active_purchase (partial: WHERE is_active = true)');

    const again = await runCliInProcess(['capture', '--database-url', url, '--contracts', dir]);
    expect(again.stdout).toMatch(/^capture: 0 written, 5 already present, 0 skipped/m);

    await withClient(url, (c) => c.query('DROP INDEX unique_active_purchase'));
    try {
      const failed = await runCliInProcess(['check', '--database-url', url, '--contracts', dir]);
      expect(failed.code).toBe(1);
      expect(failed.stdout).toContain('FAILED student_course_purchases_upsert.sql:3');
      expect(failed.stdout).toContain(
        'the arbiter the migrations create, unique index unique_active_purchase on public.student_course_purchases (student_id, course_id), is missing here',
      );
      // The rows a unique build fails on first, then the build.
      expect(failed.stdout).toContain('fix: SELECT student_id, course_id, count(*) FROM student_course_purchases WHERE (is_active = true) AND ');
      expect(failed.stdout).toContain(
        'CREATE UNIQUE INDEX CONCURRENTLY unique_active_purchase ON public.student_course_purchases USING btree (student_id, course_id) WHERE (is_active = true);',
      );
      const guard = await runCliInProcess(['guard', '--database-url', url, '--contracts', dir]);
      expect(guard.code).toBe(1);
      expect(guard.stdout).toContain(
        'PAGE   contract-plan student_course_purchases_upsert.sql: contract student_course_purchases_upsert (student_course_purchases_upsert.sql:3) fails: ',
      );
      expect(guard.stdout).toContain('unique index unique_active_purchase');
    } finally {
      await withClient(url, (c) =>
        c.query('CREATE UNIQUE INDEX unique_active_purchase ON student_course_purchases (student_id, course_id) WHERE is_active = true'),
      );
    }
  });

  it('statements contracts/ already has are reported present, by their normalised form', async () => {
    const dir = join(tempDir({}, 'capture'), 'contracts');
    cpSync(CONTRACTS_DIR, dir, { recursive: true });
    const r = await runCliInProcess(['capture', '--database-url', url, '--contracts', dir, '--json']);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout) as { statements: { status: string; file?: string }[] };
    expect(
      j.statements
        .filter((s) => s.status === 'present')
        .map((s) => s.file)
        .sort(),
    ).toEqual(['lead_purchase_insert.sql', 'purchase_upsert.sql', 'web_session_insert.sql', 'whatsapp_session_insert.sql']);
    expect(j.statements.filter((s) => s.status === 'new').map((s) => s.file)).toEqual(['web_sessions_select.sql']);
  });

  it('exits 2 on --min-calls 0', async () => {
    const r = await runCliInProcess(['capture', '--database-url', url, '--min-calls', '0']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--min-calls: must be at least 1');
  });
});

describe.each(fullMatrixMajors)('CLI: schemaguard capture on $name without pg_stat_statements', (target) => {
  it('exits 2 naming what the server lacks and the fix, and writes nothing', async () => {
    const url = await freshDatabase(target, 'cli_capture_none');
    const dir = join(tempDir({}, 'capture'), 'contracts');
    const r = await runCliInProcess(['capture', '--database-url', url, '--contracts', dir]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(
      'error: capture reads pg_stat_statements, and this server cannot give it: the library is not loaded: shared_preload_libraries is ""',
    );
    expect(r.stderr).toContain('CREATE EXTENSION pg_stat_statements;');
    expect(existsSync(dir)).toBe(false);
  });
});
