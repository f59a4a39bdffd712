/**
 * `lint` and `plan` against the server's own version: its grammar (syntax
 * newer than it) and the locks it takes. Through the real executable in the
 * first test, in process (`runCliInProcess`, the same `main`) in the others.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { runCli, runCliInProcess } from '../../../support/cli';
import { dropDatabases, freshDatabase, versionPair } from '../../../support/db';
import { tempDir } from '../../../support/files';

afterAll(dropDatabases);

const NO_DB = { DATABASE_URL: undefined };

describe.each(versionPair)("CLI: lint and plan against $name's version", (target) => {
  it('reports PostgreSQL 17/18 syntax a PostgreSQL 15 server refuses (42601 at migrate, after lint and plan passed), and nothing on 18', async () => {
    const url = await freshDatabase(target, 'server_syntax');
    const dir = tempDir({
      '1_pg18.sql':
        'CREATE TABLE v (a int, b int GENERATED ALWAYS AS (a * 2) VIRTUAL, c int GENERATED ALWAYS AS (a * 3), d int GENERATED ALWAYS AS (a * 4) STORED);\n' +
        'ALTER TABLE v ADD CONSTRAINT a_nn NOT NULL a NOT VALID;\nCREATE TABLE w (a int NOT NULL, NOT NULL a);',
      '2_pg17.sql':
        'MERGE INTO v USING w ON v.a = w.a WHEN MATCHED THEN DELETE RETURNING *;\n' +
        "SELECT * FROM JSON_TABLE('[]'::jsonb, '$[*]' COLUMNS (x int PATH '$.x')) jt;\nMERGE INTO v USING w ON v.a = w.a WHEN MATCHED THEN DELETE;",
    });
    const lint = await runCli(['lint', '--dir', dir, '--database-url', url, '--json']);
    const plan = JSON.parse((await runCli(['plan', '--dir', dir, '--database-url', url, '--json'])).stdout);
    const migrate = await runCli(['migrate', '--dir', dir, '--database-url', url]);
    const found = (JSON.parse(lint.stdout).findings as { rule: string; file: string; line: number; column: number; message: string }[]).filter(
      (f) => f.rule === 'server-version-syntax',
    );
    if (target.major >= 18) {
      expect(found).toEqual([]);
      expect(migrate.code, migrate.stderr).toBe(0);
      return;
    }
    expect(target.major).toBe(15);
    expect(lint.code).toBe(1);
    expect(
      found.map((f) => `${f.file}:${f.line}:${f.column}: ${f.message.replace(/ is PostgreSQL.*/, '')} (${/PostgreSQL (\d+) syntax/.exec(f.message)![1]})`),
    ).toEqual([
      "1_pg18.sql:1:30: a virtual generated column (GENERATED ALWAYS AS (…) VIRTUAL, or without STORED: virtual is 18's default) (18)",
      "1_pg18.sql:1:73: a virtual generated column (GENERATED ALWAYS AS (…) VIRTUAL, or without STORED: virtual is 18's default) (18)",
      "1_pg18.sql:2:19: NOT NULL as a table constraint (ADD [CONSTRAINT name] NOT NULL col [NOT VALID], or NOT NULL col among CREATE TABLE's elements) (18)",
      "1_pg18.sql:3:33: NOT NULL as a table constraint (ADD [CONSTRAINT name] NOT NULL col [NOT VALID], or NOT NULL col among CREATE TABLE's elements) (18)",
      '2_pg17.sql:1:1: MERGE … RETURNING (17)',
      '2_pg17.sql:2:15: JSON_TABLE (17)',
    ]);
    expect(found[0]!.message).toContain('the server is PostgreSQL 15, which refuses it (42601 syntax error)');
    expect(plan.lint.findings.filter((f: { rule: string }) => f.rule === 'server-version-syntax')).toHaveLength(6);
    // What the findings foretell: the server refuses the first of them.
    expect(migrate.code).toBe(1);
    expect(migrate.stderr).toContain('error: 1_pg18.sql:1: syntax error at or near "VIRTUAL"');
    // Without a database: PostgreSQL 18's grammar, nothing to report.
    const offline = await runCli(['lint', '--dir', dir, '--json'], { env: NO_DB });
    expect(JSON.parse(offline.stdout).findings.filter((f: { rule: string }) => f.rule === 'server-version-syntax')).toEqual([]);
  });

  // Regression: REINDEX SYSTEM / DATABASE without a name (16+) was refused as a statement that cannot run in a transaction block, and passed lint in a no-transaction file, where a PostgreSQL 15 server refuses its syntax.
  it('REINDEX SYSTEM and DATABASE without a name: server-version-syntax on 15 (whose server refuses it, 42601), nothing on 18 (whose server runs it)', async () => {
    const url = await freshDatabase(target, 'server_reindex');
    const dir = tempDir({ '1_reindex.sql': '-- schemaguard:no-transaction\nREINDEX SYSTEM;\nREINDEX (VERBOSE) DATABASE;' });
    const lint = await runCliInProcess(['lint', '--dir', dir, '--database-url', url, '--json']);
    const migrate = await runCliInProcess(['migrate', '--dir', dir, '--database-url', url]);
    const found = (JSON.parse(lint.stdout).findings as { rule: string; line: number; message: string }[]).map((f) => `${f.line} ${f.rule}: ${f.message}`);
    if (target.major >= 16) {
      expect(found).toEqual(['3 index-not-concurrent: REINDEX database without CONCURRENTLY']);
      expect(migrate.code, migrate.stderr).toBe(0);
      return;
    }
    expect(found).toEqual(
      [2, 3].map(
        (line) =>
          `${line} server-version-syntax: REINDEX SYSTEM or DATABASE without the database's name is PostgreSQL 16 syntax; the server is PostgreSQL ${target.major}, which refuses it (42601 syntax error)`,
      ),
    );
    expect(migrate.code).toBe(1);
    expect(migrate.stderr).toContain('error: 1_reindex.sql:2: syntax error at end of input\n  sqlstate: 42601');
  });

  it("plan shows the lock GRANT takes on the server's version (none on 13 to 17, ACCESS SHARE on 18); offline, which versions take it", async () => {
    const url = await freshDatabase(target, 'server_grant');
    const applied = { '1_a.sql': 'CREATE TABLE t (id int);' };
    expect((await runCliInProcess(['migrate', '--quiet', '--dir', tempDir(applied), '--database-url', url])).code).toBe(0);
    const dir = tempDir({ ...applied, '2_grant.sql': 'GRANT SELECT ON t TO PUBLIC;' });
    const live = JSON.parse((await runCliInProcess(['plan', '--dir', dir, '--database-url', url, '--json'])).stdout);
    expect(live.statements).toMatchObject([
      { file: '2_grant.sql', form: expect.stringMatching(/^GRANT \/ REVOKE/), lock: target.major <= 17 ? null : 'ACCESS SHARE', table: 'public.t' },
    ]);
    expect(live.statements[0].olderServers).toBeUndefined();
    const offline = await runCliInProcess(['plan', '--dir', dir, '--offline'], { env: NO_DB });
    expect(offline.stdout).toMatch(/2_grant\.sql:1 +ACCESS SHARE +t /);
    expect(offline.stdout).toContain(
      "2_grant.sql:1: ACCESS SHARE on PostgreSQL 18 and later (seen on each); PostgreSQL 17 and older take no lock on the table (with --database-url, plan shows the server's)",
    );
  });
});

describe('CLI: --server-version, for lint and plan without a database', () => {
  it('reports the syntax that version lacks and plan shows its locks; refused with a database or outside 13 to 18 (exit 2)', async () => {
    const dir = tempDir({ '1_a.sql': 'CREATE TABLE t (id int, b int GENERATED ALWAYS AS (id * 2) VIRTUAL);', '2_grant.sql': 'GRANT SELECT ON t TO PUBLIC;' });
    const on15 = await runCliInProcess(['lint', '--dir', dir, '--server-version', '15'], { env: NO_DB });
    expect(on15.code).toBe(1);
    expect(on15.stdout).toContain('1_a.sql:1:31: error server-version-syntax: a virtual generated column');
    expect(on15.stdout).toContain('the server is PostgreSQL 15, which refuses it (42601 syntax error)');
    expect((await runCliInProcess(['lint', '--dir', dir, '--server-version', '18'], { env: NO_DB })).code).toBe(0);
    const plan = JSON.parse((await runCliInProcess(['plan', '--dir', dir, '--offline', '--server-version', '15', '--json'], { env: NO_DB })).stdout);
    expect(plan.statements.find((st: { file: string }) => st.file === '2_grant.sql')).toMatchObject({ lock: null });
    expect(plan.lint.findings.map((f: { rule: string }) => f.rule)).toEqual(['server-version-syntax']);
    const withDb = await runCliInProcess(['lint', '--dir', dir, '--server-version', '15', '--database-url', versionPair[0]!.adminUrl]);
    expect(withDb.code).toBe(2);
    expect(withDb.stderr).toContain('error: --server-version is for lint and plan without a database: with one, its own version decides');
    const planWithDb = await runCliInProcess(['plan', '--dir', dir, '--server-version', '15', '--database-url', versionPair[0]!.adminUrl]);
    expect(planWithDb.code).toBe(2);
    // REINDEX SYSTEM without a name in a transactional file: 15's syntax error, not 16's transaction-block refusal (exit 2 either way, before anything runs).
    const reindex = tempDir({ '1_reindex.sql': 'REINDEX SYSTEM;' });
    const syntax = await runCliInProcess(['lint', '--dir', reindex, '--server-version', '15'], { env: NO_DB });
    expect(syntax.code).toBe(2);
    expect(syntax.stderr).toContain(
      "error: 1_reindex.sql:1: REINDEX SYSTEM without the database's name is PostgreSQL 16 syntax; the server is PostgreSQL 15, which refuses it (42601 syntax error)",
    );
    const block = await runCliInProcess(['lint', '--dir', reindex, '--server-version', '16'], { env: NO_DB });
    expect(block.code).toBe(2);
    expect(block.stderr).toContain('error: 1_reindex.sql:1: REINDEX cannot run inside a transaction block');
    expect(block.stderr).not.toContain('PostgreSQL 15 and older');
    expect((await runCliInProcess(['lint', '--dir', reindex], { env: NO_DB })).stderr).toContain("on PostgreSQL 15 and older it needs the database's name too");
    const old = await runCliInProcess(['lint', '--dir', dir, '--server-version', '9'], { env: NO_DB });
    expect(old.code).toBe(2);
    expect(old.stderr).toContain('error: --server-version 9 is not a PostgreSQL major version schemaguard supports (13 to 18)');
    expect((await runCliInProcess(['lint', '--dir', dir, '--server-version', '12'], { env: NO_DB })).code).toBe(2);
    // 13, the oldest: 14's syntax is reported too.
    const on13 = await runCliInProcess(
      [
        'lint',
        '--dir',
        tempDir({ '1_trigger.sql': 'CREATE TABLE t (id int);\nCREATE OR REPLACE TRIGGER tr BEFORE INSERT ON t FOR EACH ROW EXECUTE FUNCTION f();' }),
        '--server-version',
        '13',
      ],
      { env: NO_DB },
    );
    expect(on13.code).toBe(1);
    expect(on13.stdout).toContain(
      'error server-version-syntax: CREATE OR REPLACE TRIGGER is PostgreSQL 14 syntax; the server is PostgreSQL 13, which refuses it (42601 syntax error)',
    );
  });
});
