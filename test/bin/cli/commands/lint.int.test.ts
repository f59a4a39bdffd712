/**
 * `schemaguard lint`: through the real executable in the first test and in
 * those of very many findings (their output's size and the process's stack),
 * in process (`runCliInProcess`, the same `main`) in the others.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { truncateSync } from 'node:fs';
import { join } from 'node:path';
import { runCli, runCliInProcess, ROOT } from '../../../support/cli';
import { dropDatabases, freshDatabase, targets, whileHeld, withClient } from '../../../support/db';
import { tempDir } from '../../../support/files';
import { checksum } from '../../../../lambda/engine/files/checksum';

afterAll(dropDatabases);

const target = targets[0]!;
const NO_DB = { DATABASE_URL: undefined };

describe(`CLI: schemaguard lint on ${target.name}`, () => {
  it('exits 1 on errors, printing file:line:column, rule, why and fix', async () => {
    const dir = tempDir({
      '1_a.sql': 'CREATE TABLE leads (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), name text);',
      '2_b.sql': 'CREATE TABLE purchases (id uuid PRIMARY KEY, lead_id uuid);\nCREATE INDEX CONCURRENTLY p_lead ON purchases (lead_id);',
    });
    const r = await runCli(['lint', '--dir', dir], { env: NO_DB });
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('2_b.sql:1:25: warning uuid-pk-without-default: purchases.id is a uuid primary key without a DEFAULT');
    expect(r.stdout).toContain('2_b.sql:2:1: error concurrently-in-transaction: CREATE INDEX CONCURRENTLY in a transactional migration');
    expect(r.stdout).toMatch(/\n {2}why: .+\n {2}fix: .+/);
    expect(r.stdout).toContain('lint: 2 files, 1 error, 1 warning');
    expect(r.stderr).toContain(`lint all 2 files in ${dir}/ (every file counts as pending)`);
    // And first on stdout, as a warning: nothing said which files are applied.
    expect(r.stdout.split('\n')[0]).toMatch(
      /^warning: every file counts as pending, all 2 files in .*: no database, .*; the rules for existing tables cannot fire until lint knows what is applied: --since REF, --database-url URL \(or DATABASE_URL\), or schemaguard migrate first$/,
    );
  });

  // Regression: a fix echoing a literal that looks like a connection string was printed masked, with nothing to say so.
  it('prints a literal that may hold a password masked, in fixes too, and the fix says where the file has it', async () => {
    // legacy: a table no migration creates, so lint takes it as existing.
    const dir = tempDir({ '1_a.sql': "CREATE INDEX legacy_code_pw ON legacy (code) WHERE code <> 'host=x password=LintSecret1';" });
    for (const format of ['text', 'json']) {
      const r = await runCliInProcess(['lint', '--dir', dir, '--format', format], { env: NO_DB });
      expect(r.stdout).toContain('index-not-concurrent');
      expect(r.stdout).not.toContain('LintSecret1');
      expect(r.stdout).toContain('password=****');
      expect(r.stdout).toContain(
        '-- where this fix shows ****, the output masked a literal that may hold a password: copy that literal from the migration file, not ****',
      );
    }
  });

  it('names one file as one file in its progress line', async () => {
    const dir = tempDir({ '1_a.sql': 'CREATE TABLE t (id int);' });
    const r = await runCliInProcess(['lint', '--dir', dir], { env: NO_DB });
    expect(r.code).toBe(0);
    expect(r.stderr).toContain(`lint the 1 file in ${dir}/ (every file counts as pending)`);
  });

  it('refuses the files migrate and plan refuse (a .sql name without a version, a version twice, BEGIN, SET TRANSACTION, VACUUM, a bad directive or check, an after-backfill naming no earlier backfill), with their message and exit 2; other files are left out', async () => {
    const cases: { files: Record<string, string>; error: string; fix: string }[] = [
      {
        files: { 'V1__init.sql': 'CREATE TABLE t (id int);', 'README.md': '# notes' },
        error: 'V1__init.sql: file name does not match <version>_<name>.sql',
        fix: "rename it to 1_init.sql (Flyway's V<version>__<name>.sql, with the number kept)",
      },
      {
        files: { '1_a.sql': 'CREATE TABLE t (id int);', '001_b.sql': 'CREATE TABLE u (id int);' },
        error: 'duplicate version 1: 001_b.sql and 1_a.sql',
        fix: 'give 1_a.sql the next free version number, 2: rename it to 2_a.sql',
      },
      { files: { '1_a.sql': 'BEGIN;\nCREATE TABLE t (id int);' }, error: '1_a.sql:1: BEGIN inside a transactional migration', fix: 'remove it' },
      {
        files: { '1_a.sql': 'CREATE TABLE t (id int);\nSET TRANSACTION ISOLATION LEVEL SERIALIZABLE;' },
        error: '1_a.sql:2: SET TRANSACTION inside a transactional migration',
        fix: 'remove it: schemaguard runs the file in its own transaction',
      },
      {
        files: { '1_a.sql': 'CREATE TABLE t (id int);\nVACUUM t;' },
        error: '1_a.sql:2: VACUUM cannot run inside a transaction block',
        fix: 'move it to a migration of its own that starts with "-- schemaguard:no-transaction"',
      },
      {
        files: { '1_a.sql': '-- schemaguard:no-transactoin\nCREATE TABLE t (id int);' },
        error: '1_a.sql:1: unknown directive schemaguard:no-transactoin',
        fix: 'known directives',
      },
      {
        files: { '1_a.sql': '-- schemaguard:lock-timeout=banana\nCREATE TABLE t (id int);' },
        error: '1_a.sql:1: schemaguard:lock-timeout has a bad duration "banana"',
        fix: '',
      },
      {
        files: { '1_a.sql': 'CREATE TABLE t (id int);\n-- schemaguard:check no rows\n' },
        error: '1_a.sql:2: check "no rows" must be exactly one query (found 0)',
        fix: 'follow each',
      },
      {
        files: { '1_a.sql': 'CREATE TABLE t (id int);', '2_b.sql': '-- schemaguard:after-backfill 9999_missing.sql\nALTER TABLE t ADD COLUMN b int;' },
        error: '2_b.sql:1: schemaguard:after-backfill 9999_missing.sql names no file of the migrations',
        fix: 'name the earlier file whose -- schemaguard:backfill must be done first',
      },
      {
        files: {
          '1_a.sql': 'CREATE TABLE t (id int);',
          '2_b.sql': '-- b, once a backfill is done\n-- schemaguard:after-backfill 1_a.sql\nALTER TABLE t ADD COLUMN b int;',
        },
        error: '2_b.sql:2: schemaguard:after-backfill 1_a.sql names a file without a backfill (no -- schemaguard:backfill in it)',
        fix: 'name the earlier file',
      },
    ];
    for (const c of cases) {
      const dir = tempDir(c.files);
      const lint = await runCliInProcess(['lint', '--dir', dir], { env: NO_DB });
      const plan = await runCliInProcess(['plan', '--offline', '--dir', dir], { env: NO_DB });
      expect(lint.code).toBe(2);
      expect(lint.stderr).toContain(`error: ${c.error}`);
      expect(lint.stderr).toContain(`fix: ${c.fix}`);
      expect(lint.stdout).toBe('');
      expect(plan.code).toBe(2);
      expect(plan.stderr).toContain(`error: ${c.error}`);
    }
    // Over the size limit (a sparse file): refused before it is read, as migrate refuses it.
    const big = tempDir({ '1_big.sql': 'SELECT 1;' });
    truncateSync(join(big, '1_big.sql'), 16 * 1024 * 1024 + 1);
    const tooLarge = await runCliInProcess(['lint', '--dir', big], { env: NO_DB });
    expect(tooLarge.code).toBe(2);
    expect(tooLarge.stderr).toContain('error: 1_big.sql: 16777217 bytes is over the 16777216-byte limit for a migration');
    const notes = await runCliInProcess(['lint', '--dir', tempDir({ '1_a.sql': 'CREATE TABLE t (id int);', 'README.md': '# notes', 'seed.csv': 'a,b' })], {
      env: NO_DB,
    });
    expect(notes.code).toBe(0);
    expect(notes.stdout).toContain('lint: 1 file, 0 errors');
  });

  it('exits 0 with warnings only, and prints JSON with --json', async () => {
    const dir = tempDir({ '1_a.sql': '-- schemaguard:allow index-not-concurrent nothing here\nCREATE TABLE t (id int);' });
    const r = await runCliInProcess(['lint', '--dir', dir, '--json'], { env: NO_DB });
    expect(r.code).toBe(0);
    const json = JSON.parse(r.stdout);
    expect(json).toMatchObject({ command: 'lint', files: ['1_a.sql'], errors: 0, warnings: 1, findings: [{ rule: 'unused-allow', line: 1 }] });
  });

  // Regression: a 16 MiB file of RESET ALL lines (1.5 million findings) crashed lint, "Maximum call stack size exceeded", exit 1, after 714 MB.
  it('shows the first 100 findings of a rule in a file and one "… and N more" line, with exact counts and exit 1, in text, --json, github and sarif', async () => {
    const dir = tempDir({ '1_reset.sql': 'RESET ALL;\n'.repeat(5000) });
    const more = '… and 4900 more lock-timeout-disabled findings in 1_reset.sql';
    const text = await runCli(['lint', '--dir', dir], { env: NO_DB });
    expect(text.code).toBe(1);
    expect(text.stdout.match(/^1_reset\.sql:\d+:1: error lock-timeout-disabled: /gm)).toHaveLength(100);
    expect(text.stdout).toContain('1_reset.sql:100:1: error lock-timeout-disabled: ');
    expect(text.stdout.trimEnd().split('\n').slice(-2)).toEqual([more, 'lint: 1 file, 5000 errors, 0 warnings']);

    const json = await runCli(['lint', '--dir', dir, '--json'], { env: NO_DB });
    expect(json.code).toBe(1);
    const out = JSON.parse(json.stdout);
    expect(Object.keys(out)).toEqual([
      'command',
      'config',
      'scope',
      'files',
      'errors',
      'warnings',
      'notes',
      'findings',
      'omitted',
      'allowed',
      'allowedOmitted',
    ]);
    expect(out.scope).toMatchObject({ applied: 'none', appliedKnown: false });
    expect(out).toMatchObject({
      files: ['1_reset.sql'],
      errors: 5000,
      warnings: 0,
      omitted: [{ file: '1_reset.sql', rule: 'lock-timeout-disabled', errors: 4900, warnings: 0 }],
      allowed: [],
    });
    expect(out.findings).toHaveLength(100);

    const github = await runCli(['lint', '--dir', dir, '--format', 'github'], { env: NO_DB });
    expect(github.code).toBe(1);
    const lines = github.stdout.trim().split('\n');
    expect(lines.filter((l) => l.startsWith('::error '))).toHaveLength(100);
    expect(lines.slice(-2)).toEqual([
      expect.stringMatching(new RegExp(`^::notice file=.*1_reset\\.sql,title=schemaguard lock-timeout-disabled::${more}$`)),
      'lint: 5000 errors, 0 warnings',
    ]);

    const sarif = await runCli(['lint', '--dir', dir, '--format', 'sarif'], { env: NO_DB });
    expect(sarif.code).toBe(1);
    const run = JSON.parse(sarif.stdout).runs[0];
    expect(run.results).toHaveLength(100);
    // First, what the run could not know: no database, no embedded server, no git base said which files were applied.
    expect(run.invocations).toEqual([
      {
        executionSuccessful: true,
        toolExecutionNotifications: [
          { level: 'note', message: { text: expect.stringMatching(/^warning: every file counts as pending, the 1 file in /) } },
          { level: 'note', message: { text: `${more}.` } },
        ],
      },
    ]);
  });

  // Regression: past 25,000 results the SARIF file kept the first 25,000 in file order, so a warning could take an error's place.
  it("keeps a SARIF file within code scanning's 25,000 results, errors first, saying what it left out in the log and on stderr; exit 1 and the counts as before", async () => {
    const files: Record<string, string> = { '1_a.sql': [1, 2, 3].map((k) => `CREATE TABLE p${k} (id uuid PRIMARY KEY);\n`).join('') };
    for (let k = 2; k <= 252; k++) files[`${k}_reset.sql`] = 'RESET ALL;\n'.repeat(100);
    const dir = tempDir(files);
    const sarif = await runCli(['lint', '--dir', dir, '--format', 'sarif'], { env: NO_DB });
    expect(sarif.code).toBe(1);
    const run = JSON.parse(sarif.stdout).runs[0];
    expect(run.results).toHaveLength(25_000);
    expect(run.results.filter((r: { level: string }) => r.level !== 'error')).toEqual([]);
    // The warnings of the first file go first, then the last file's errors: 25,100 errors, 25,000 kept.
    expect(run.results.at(-1).locations[0].physicalLocation.artifactLocation.uri).toMatch(/251_reset\.sql$/);
    expect(run.results.at(-1).locations[0].physicalLocation.region.startLine).toBe(100);
    const left =
      '103 results left out of this SARIF file (100 errors, 3 warnings): code scanning rejects a file of more than 25,000 results or 10 MB gzip-compressed, ' +
      'so the lowest severities were left out first; `schemaguard lint --format text` (or `--format json`) shows every one';
    expect(run.invocations[0].toolExecutionNotifications.map((n: { message: { text: string } }) => n.message.text)).toEqual([
      expect.stringMatching(/^warning: every file counts as pending/),
      `${left}.`,
    ]);
    expect(sarif.stderr).toContain(`schemaguard lint: ${left}\n`);
    const text = await runCli(['lint', '--dir', dir], { env: NO_DB });
    expect(text.code).toBe(1);
    expect(text.stdout).toContain('lint: 252 files, 25100 errors, 3 warnings');
  });

  // Regression: lint --database-url read each CHECK with pg_get_constraintdef, which waits behind a migration's ACCESS EXCLUSIVE: lint waited until it committed.
  it('with --database-url, a table a migration holds (ACCESS EXCLUSIVE): exit 1 within seconds, naming the holder and what to do', async () => {
    const url = await freshDatabase(target, 'cli_lint_locked');
    await withClient(url, (c) => c.query('CREATE TABLE accounts (id int PRIMARY KEY, email text, CONSTRAINT email_nn CHECK (email IS NOT NULL))'));
    const dir = tempDir({ '1_a.sql': 'ALTER TABLE accounts ADD COLUMN phone text;' });
    await whileHeld(url, 'ALTER TABLE accounts ADD COLUMN added_by_a_migration int', async (pid) => {
      const started = Date.now();
      const r = await runCliInProcess(['lint', '--dir', dir, '--database-url', url]);
      expect(Date.now() - started).toBeLessThan(15_000);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(
        new RegExp(
          `error: the database catalog for lint could not be read: waiting on a lock held \\(ACCESS EXCLUSIVE\\) by pid ${pid} \\(a_migration, user \\w+, idle in transaction, in a transaction for \\d+ s\\) on public\\.accounts, past lock_timeout 1 s \\(55P03\\)\n`,
        ),
      );
      expect(r.stderr).toContain('fix: run it again once that transaction ends (a migration holds its tables until it commits)');
    });
    const free = await runCliInProcess(['lint', '--dir', dir, '--database-url', url]);
    expect(free.code).toBe(0);
  });

  // Regression: every allowed finding was kept and printed: a file with an allow before each statement printed a line per statement.
  it('shows the first 100 allowed findings of a rule in a file and one "… and N more allowed" line, counting every one, in text and --json', async () => {
    const dir = tempDir({ '1_reset.sql': '-- schemaguard:allow lock-timeout-disabled the pool resets it anyway\nRESET ALL;\n'.repeat(5000) });
    const text = await runCliInProcess(['lint', '--dir', dir], { env: NO_DB });
    const json = await runCliInProcess(['lint', '--dir', dir, '--json'], { env: NO_DB });

    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout.match(/^1_reset\.sql:\d+:1: allowed lock-timeout-disabled \(the pool resets it anyway\)$/gm)).toHaveLength(100);
    expect(text.stdout.trimEnd().split('\n').slice(-3)).toEqual([
      '1_reset.sql:200:1: allowed lock-timeout-disabled (the pool resets it anyway)',
      '… and 4900 more allowed lock-timeout-disabled findings in 1_reset.sql',
      'lint: 1 file, 0 errors, 0 warnings, 5000 allowed',
    ]);
    expect(json.code, json.stderr).toBe(0);
    const out = JSON.parse(json.stdout);
    expect(out.allowed).toHaveLength(100);
    expect(out).toMatchObject({
      errors: 0,
      warnings: 0,
      findings: [],
      omitted: [],
      allowedOmitted: [{ file: '1_reset.sql', rule: 'lock-timeout-disabled', errors: 4900, warnings: 0 }],
    });
  });

  it('with --database-url lints only pending files, with the applied ones as context', async () => {
    const url = await freshDatabase(target, 'cli_lint');
    const dir = tempDir({ '1_a.sql': 'CREATE TABLE t (id int);' });
    expect((await runCliInProcess(['migrate', '--dir', dir, '--database-url', url, '--quiet'])).code).toBe(0);
    const dir2 = tempDir({ '1_a.sql': 'CREATE TABLE t (id int);', '2_b.sql': 'CREATE INDEX t_id ON t (id);' });
    const withDb = await runCliInProcess(['lint', '--dir', dir2, '--database-url', url]);
    const withoutDb = await runCliInProcess(['lint', '--dir', dir2], { env: NO_DB });
    expect(withDb.code).toBe(1);
    expect(withDb.stderr).not.toContain('pg_depend');
    expect(withDb.stdout).toContain('2_b.sql:1:22: error index-not-concurrent');
    expect(withDb.stdout).toContain('lint: 1 file, 1 error');
    expect(withoutDb.code).toBe(0);
  });

  it("with --database-url lints a file at a version applied under another name or text, and fails with migrate's refusal (it was skipped as applied: exit 0 on a set migrate refuses)", async () => {
    const url = await freshDatabase(target, 'cli_lint_version_taken');
    const ran = { '0001_a.sql': 'CREATE TABLE t (id int);', '0002_search_path.sql': 'CREATE TABLE u (id int);' };
    expect((await runCliInProcess(['migrate', '--dir', tempDir(ran), '--database-url', url, '--quiet'])).code).toBe(0);
    const renamed = tempDir({ '0001_a.sql': ran['0001_a.sql'], '0002_clean.sql': 'CREATE INDEX ui ON u (id);' });
    const r = await runCliInProcess(['lint', '--dir', renamed, '--database-url', url]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('0002_clean.sql:1:20: error index-not-concurrent');
    expect(r.stdout).toContain('error: migrate through this URL will refuse to run: version 2 was applied as "search_path" (checksum ');
    expect(r.stdout).toContain('fix: give 0002_clean.sql a version above the newest applied one, and restore the migration that ran as 0002_search_path.sql;');
    expect(r.stdout).toContain('lint: 1 file, 2 errors, 0 warnings');
    const json = JSON.parse((await runCliInProcess(['lint', '--dir', renamed, '--database-url', url, '--json'])).stdout);
    expect(json).toMatchObject({
      files: ['0002_clean.sql'],
      errors: 1,
      refusals: [{ file: '0002_clean.sql', message: expect.stringContaining('version 2 was applied as "search_path"') }],
    });
    const plan = JSON.parse((await runCliInProcess(['plan', '--dir', renamed, '--database-url', url, '--json'])).stdout);
    expect(plan.lint.files).toEqual(['0002_clean.sql']);
    // The same name, edited after it ran: linted, and refused as migrate refuses it; a valid-checksum for the text that ran counts as applied.
    const edited = tempDir({ '0001_a.sql': ran['0001_a.sql'], '0002_search_path.sql': 'CREATE TABLE u (id int);\nCREATE INDEX ui ON u (id);' });
    const e = await runCliInProcess(['lint', '--dir', edited, '--database-url', url, '--format', 'github']);
    expect(e.code).toBe(1);
    expect(e.stdout).toMatch(
      /^::error file=.*0002_search_path\.sql,line=1,title=schemaguard lint::migrate through this URL will refuse to run: 0002_search_path\.sql was changed after it was applied/m,
    );
    expect(e.stdout).toContain('lint: 1 error, 0 warnings');
    const accepted = tempDir({
      '0001_a.sql': ran['0001_a.sql'],
      '0002_search_path.sql': `-- schemaguard:valid-checksum ${checksum(ran['0002_search_path.sql'])}\nCREATE TABLE IF NOT EXISTS u (id int);`,
    });
    const v = await runCliInProcess(['lint', '--dir', accepted, '--database-url', url]);
    expect(v.code, v.stdout).toBe(0);
    expect(v.stdout).toContain('lint: 0 files, 0 errors, 0 warnings');
  });

  it("with --database-url reads functions' volatility from pg_proc: a STABLE function of the database does not rewrite", async () => {
    const url = await freshDatabase(target, 'cli_lint_volatility');
    const applied = { '1_a.sql': 'CREATE TABLE t (id int);' };
    expect((await runCliInProcess(['migrate', '--dir', tempDir(applied), '--database-url', url, '--quiet'])).code).toBe(0);
    await withClient(url, (c) =>
      c.query("CREATE TABLE accounts (id int); CREATE FUNCTION tenant() RETURNS text LANGUAGE plpgsql STABLE AS $$BEGIN RETURN 't'; END$$"),
    );
    const dir = tempDir({ ...applied, '2_b.sql': 'ALTER TABLE accounts ADD COLUMN tenant text DEFAULT tenant();' });
    const withDb = await runCliInProcess(['lint', '--dir', dir, '--database-url', url]);
    const withoutDb = await runCliInProcess(['lint', '--dir', dir], { env: NO_DB });
    expect(withDb.code, withDb.stdout).toBe(0);
    expect(withoutDb.code).toBe(1);
    expect(withoutDb.stdout).toContain(
      '2_b.sql:1:33: error volatile-default: ADD COLUMN tenant on existing table accounts with a default calling tenant(), whose volatility lint does not know',
    );
    const plan = await runCliInProcess(['plan', '--dir', dir, '--database-url', url, '--json']);
    expect(JSON.parse(plan.stdout).lint.findings).toEqual([]);
  });

  it('with --database-url names what a DROP … CASCADE would take there now, as PostgreSQL names it; plan says the same', async () => {
    const url = await freshDatabase(target, 'cli_lint_cascade');
    const applied = { '1_a.sql': "CREATE TYPE mood AS ENUM ('ok', 'bad');\nCREATE TABLE leads (id int, m mood);\nCREATE VIEW moods AS SELECT m FROM leads;" };
    expect((await runCliInProcess(['migrate', '--dir', tempDir(applied), '--database-url', url, '--quiet'])).code).toBe(0);
    const dir = tempDir({ ...applied, '2_b.sql': 'DROP TYPE mood CASCADE;' });
    const withDb = await runCliInProcess(['lint', '--dir', dir, '--database-url', url]);
    expect(withDb.code).toBe(0);
    expect(withDb.stderr).toMatch(/^lint reads what depends on what in .+ \(pg_depend\): a pending file says CASCADE$/m);
    expect(withDb.stdout).toContain(
      '2_b.sql:1:16: warning drop-cascade: DROP TYPE of mood with CASCADE: everything that depends on it is dropped too, and the migration does not say what that is: in the database now, column m of table leads, view moods',
    );
    const withoutDb = await runCliInProcess(['lint', '--dir', tempDir({ '2_b.sql': 'DROP TYPE mood CASCADE;' })], { env: NO_DB });
    expect(withoutDb.stdout).toContain(
      '2_b.sql:1:16: warning drop-cascade: DROP TYPE of mood with CASCADE: everything that depends on it is dropped too, and the migration does not say what that is\n',
    );
    const plan = await runCliInProcess(['plan', '--dir', dir, '--database-url', url, '--json']);
    expect(JSON.parse(plan.stdout).lint.findings).toMatchObject([
      { rule: 'drop-cascade', message: expect.stringMatching(/: in the database now, column m of table leads, view moods$/) },
    ]);
  });

  it('passes on migrations/ of this repository', async () => {
    const r = await runCliInProcess(['lint', '--dir', join(ROOT, 'migrations')], { env: NO_DB });
    expect(r.code, r.stdout).toBe(0);
    expect(r.stdout).toMatch(/lint: \d+ files, 0 errors/);
  });
});
