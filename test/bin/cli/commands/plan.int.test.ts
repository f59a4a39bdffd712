/**
 * `schemaguard plan`: through the real executable in the first tests, in
 * process (`runCliInProcess`, the same `main`) in the others.
 */
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, runCliInProcess } from '../../../support/cli';
import { catalogFingerprint } from '../../../support/catalog-fingerprint';
import { dropDatabases, freshDatabase, rows, targets, whileHeld, withClient } from '../../../support/db';
import { addFile, tempDir } from '../../../support/files';
import { ALIKE_KINDS, ALIKE_RUN } from '../../../../lambda/checks/locks/plan-locks';
import { ALIKE_NOTE, INTERLEAVED_NOTE } from '../../../../bin/cli/commands/plan-locks';

afterAll(dropDatabases);

const target = targets[0]!;

describe(`CLI: schemaguard plan on ${target.name}`, () => {
  it('plan writes nothing — not even the state table — and runs on a read-only connection', async () => {
    const url = await freshDatabase(target, 'plan');
    await withClient(url, (c) => c.query('CREATE TABLE existing (id int); INSERT INTO existing VALUES (1)'));
    const dir = tempDir({
      '1_a.sql': 'CREATE TABLE a (id int);',
      '2_idx.sql': '-- schemaguard:no-transaction\n-- schemaguard:lock-timeout=2s\nCREATE INDEX CONCURRENTLY i ON a (id);',
    });
    const before = await catalogFingerprint(url);
    const readOnly = `${url}?options=${encodeURIComponent('-c default_transaction_read_only=on')}`;

    const r = await runCli(['plan', '--dir', dir, '--database-url', readOnly]);

    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('2 pending of 2');
    expect(r.stdout).toMatch(/1\s+1\s+1_a\.sql\s+1/);
    expect(r.stdout).toContain('no-transaction, lock-timeout=2s');
    expect(await catalogFingerprint(url)).toBe(before);
    expect(await rows(url, "SELECT to_regnamespace('schemaguard') AS s")).toEqual([{ s: null }]);
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
});

// Regression: a timestamp → timestamptz change was a rewrite in plan and an error in lint where the sessions run in UTC and PostgreSQL 12+ keeps the table.
describe.each(targets)("CLI: schemaguard plan --database-url behind a migration's lock, on $name", (t) => {
  // Regression: plan's table sizes (pg_relation_size, pg_total_relation_size) and ADD PRIMARY KEY USING INDEX's key columns waited behind a
  // migration's ACCESS EXCLUSIVE until it committed, saying nothing; a table without CHECK constraints, so lint's bounded read passes.
  it('a table held ACCESS EXCLUSIVE: exit 1 within seconds, naming the holder and what to do; once it ends, the plan with its size', async () => {
    const url = await freshDatabase(t, 'cli_plan_locked');
    await withClient(url, (c) =>
      c.query(
        "CREATE TABLE big (id int PRIMARY KEY, v text); INSERT INTO big SELECT g, 'v' || g FROM generate_series(1, 1000) g; CREATE UNIQUE INDEX big_v ON big (v); ANALYZE big",
      ),
    );
    const dir = tempDir({
      '1_alter.sql': 'ALTER TABLE big ADD COLUMN w int;\nALTER TABLE big DROP CONSTRAINT big_pkey, ADD CONSTRAINT big_v_key PRIMARY KEY USING INDEX big_v;\n',
    });
    await whileHeld(url, 'LOCK TABLE big IN ACCESS EXCLUSIVE MODE', async (pid) => {
      const started = Date.now();
      const r = await runCliInProcess(['plan', '--dir', dir, '--database-url', url]);
      expect(Date.now() - started).toBeLessThan(15_000);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(
        new RegExp(
          `error: the table sizes for plan could not be read: waiting on a lock held \\(ACCESS EXCLUSIVE\\) by pid ${pid} \\(a_migration, user \\w+, idle in transaction, in a transaction for \\d+ s\\) on public\\.big, past lock_timeout 1 s \\(55P03\\)\n`,
        ),
      );
      expect(r.stderr).toContain('fix: run it again once that transaction ends (a migration holds its tables until it commits)');
    });
    const free = await runCliInProcess(['plan', '--dir', dir, '--database-url', url]);
    expect(free.code, free.stderr).toBe(0);
    // The key column v is nullable (read from the catalog): the key scans the table for NULLs.
    expect(free.stdout).toMatch(/1_alter\.sql:2\s+ACCESS EXCLUSIVE\s+public\.big\s+1,000\s+\d+ kB\s+no\s+yes\s/);
  });
});

describe.each(targets)('CLI: timestamp → timestamptz on $name', (t) => {
  it.each([
    ['UTC', false],
    ['Europe/Paris', true],
  ] as const)("sessions in %s: plan's rewrite and lint's finding are what PostgreSQL does (%s)", async (zone, rewrites) => {
    const url = await freshDatabase(t, 'plan_zone');
    await rows(url, `ALTER DATABASE ${url.split('/').pop()!.split('?')[0]} SET timezone = '${zone}'`);
    const dir = tempDir({ '0001_events.sql': 'CREATE TABLE events (id int, at timestamp(3));' });
    expect((await runCliInProcess(['migrate', '--quiet', '--dir', dir, '--database-url', url])).code).toBe(0);
    await rows(url, 'INSERT INTO events SELECT g, now() FROM generate_series(1, 100) g');
    writeFileSync(join(dir, '0002_zone.sql'), 'ALTER TABLE events ALTER COLUMN at TYPE timestamptz;');

    const plan = await runCliInProcess(['plan', '--dir', dir, '--database-url', url, '--json']);
    const lint = await runCliInProcess(['lint', '--dir', dir, '--database-url', url, '--json']);

    expect(plan.code, plan.stderr).toBe(0);
    expect(JSON.parse(plan.stdout).statements.map((s: { rewrites: boolean }) => s.rewrites)).toEqual([rewrites]);
    expect(JSON.parse(lint.stdout).findings.map((f: { rule: string; severity: string }) => `${f.severity} ${f.rule}`)).toEqual(
      rewrites ? ['error column-type-rewrite'] : [],
    );
    const rewrote = await withClient(url, async (c) => {
      await c.query('BEGIN');
      try {
        const before = (await c.query("SELECT pg_relation_filenode('events') AS n")).rows[0].n;
        await c.query('ALTER TABLE events ALTER COLUMN at TYPE timestamptz');
        return (await c.query("SELECT pg_relation_filenode('events') AS n")).rows[0].n !== before;
      } finally {
        await c.query('ROLLBACK');
      }
    });
    expect(rewrote).toBe(rewrites);
  });
});

describe.each(targets)('CLI: schemaguard plan with statement locks on $name', (t) => {
  const ROWS = 200_000;
  let url: string;
  let dir: string;
  beforeAll(async () => {
    url = await freshDatabase(t, 'plan_locks');
    await withClient(url, (c) =>
      c.query(`CREATE TABLE big (id int PRIMARY KEY, a int, note text);
      INSERT INTO big SELECT g, g, md5(g::text) FROM generate_series(1, ${ROWS}) g; ANALYZE big`),
    );
    dir = tempDir({
      '0001_type.sql': 'ALTER TABLE big ALTER COLUMN a TYPE bigint;',
      '0002_index.sql': 'CREATE INDEX big_a ON big (a);',
      '0003_concurrent.sql': '-- schemaguard:no-transaction\nCREATE INDEX CONCURRENTLY big_note ON big (note);',
      '0004_held.sql': 'ALTER TABLE big ADD COLUMN flag boolean;\nUPDATE big SET flag = false;',
      '0005_text.sql': 'ALTER TABLE big ALTER COLUMN note TYPE varchar(64);\nCREATE TABLE tags (id int);\nCREATE INDEX tags_id ON tags (id);',
    });
  });

  it(`on a ${ROWS.toLocaleString('en-US')}-row table: each statement's lock, the rewrite or scan, and the live size within 10 %`, async () => {
    const before = await catalogFingerprint(url);
    const r = await runCliInProcess(['plan', '--dir', dir, '--database-url', url, '--json']);
    expect(r.code, r.stderr).toBe(0);
    const { statements, warnings, sized } = JSON.parse(r.stdout);
    const at = (file: string, line = 1) => statements.find((s: { file: string; line: number }) => s.file === file && s.line === line);
    expect(sized).toBe(true);
    expect(at('0001_type.sql')).toMatchObject({ lock: 'ACCESS EXCLUSIVE', table: 'public.big', rewrites: true, scans: true });
    expect(at('0002_index.sql')).toMatchObject({ lock: 'SHARE', table: 'public.big', rewrites: false, scans: true });
    expect(at('0003_concurrent.sql', 2)).toMatchObject({ lock: 'SHARE UPDATE EXCLUSIVE', table: 'public.big', rewrites: false, scans: true });
    for (const s of statements.filter((x: { table: string }) => x.table === 'public.big')) {
      expect(Math.abs(s.rows - ROWS) / ROWS).toBeLessThan(0.1);
      expect(s.bytes).toBeGreaterThan(ROWS * 40);
    }
    // The held lock: the UPDATE scans under the ACCESS EXCLUSIVE its file took a line earlier.
    expect(at('0004_held.sql', 2)).toMatchObject({ lock: 'ROW EXCLUSIVE', scans: true, held: { lock: 'ACCESS EXCLUSIVE', line: 1 } });
    // text → varchar(64) is not binary-compatible (the catalog's type says text): a rewrite.
    expect(at('0005_text.sql')).toMatchObject({ lock: 'ACCESS EXCLUSIVE', rewrites: true });
    expect(at('0005_text.sql', 3)).toMatchObject({ lock: 'SHARE', table: 'tags', rows: 0, newTable: true });
    expect(warnings.map((w: { file: string; line: number }) => `${w.file}:${w.line}`)).toEqual([
      '0001_type.sql:1',
      '0002_index.sql:1',
      '0004_held.sql:2',
      '0005_text.sql:1',
    ]);
    expect(warnings[0]).toMatchObject({ rule: 'blocking-lock-on-large-table', severity: 'warning' });
    expect(await catalogFingerprint(url)).toBe(before);
  });

  it('prints the statements as a table with the warnings; --warn-rows above the table silences them', async () => {
    const text = await runCliInProcess(['plan', '--dir', dir, '--database-url', url]);
    const quiet = await runCliInProcess(['plan', '--dir', dir, '--database-url', url, '--warn-rows', '1_000_000', '--json']);
    expect(text.stdout).toMatch(/0002_index\.sql:1\s+SHARE\s+public\.big\s+\d{3},\d{3}\s+\d+ MB\s+no\s+yes\s+CREATE INDEX big_a ON big \(a\)/);
    expect(text.stdout).toMatch(/0004_held\.sql:2\s+ROW EXCLUSIVE \+ row locks \(under ACCESS EXCLUSIVE from line 1\)/);
    expect(text.stdout).toContain('0002_index.sql:1:1: warning blocking-lock-on-large-table: CREATE [UNIQUE] INDEX takes SHARE on public.big');
    expect(JSON.parse(quiet.stdout).warnings).toEqual([]);
  });

  it('a new column of a constrained domain rewrites, one whose default calls an IMMUTABLE function does not: plan says what lint says and PostgreSQL does', async () => {
    await withClient(url, (c) =>
      c.query(`CREATE DOMAIN pos AS int CHECK (VALUE > 0); CREATE DOMAIN nn AS text NOT NULL;
      CREATE FUNCTION imm(int) RETURNS int LANGUAGE sql IMMUTABLE AS 'SELECT $1'`),
    );
    const files: Record<string, string> = {
      '0001_domain.sql': 'ALTER TABLE big ADD COLUMN d pos;',
      '0002_domain_default.sql': 'ALTER TABLE big ADD COLUMN d2 pos DEFAULT 5;',
      '0003_not_null_domain.sql': "ALTER TABLE big ADD COLUMN e nn DEFAULT 'x';",
      '0004_immutable.sql': 'ALTER TABLE big ADD COLUMN x int DEFAULT imm(3);',
      '0005_own.sql':
        "CREATE DOMAIN own_pos AS int CHECK (VALUE > 0);\nCREATE FUNCTION own_imm(int) RETURNS int LANGUAGE sql IMMUTABLE AS 'SELECT $1';\nALTER TABLE big ADD COLUMN f int DEFAULT own_imm(1);\nALTER TABLE big ADD COLUMN g own_pos;",
    };
    const domainDir = tempDir(files);

    const r = await runCliInProcess(['plan', '--dir', domainDir, '--database-url', url, '--json']);

    expect(r.code, r.stderr).toBe(0);
    const { statements, warnings, lint } = JSON.parse(r.stdout);
    const adds = statements.filter((s: { statement: string }) => s.statement.includes('ADD COLUMN'));
    const claimed = adds.map((s: { file: string; line: number; rewrites: boolean }) => [`${s.file}:${s.line}`, s.rewrites]);
    expect(claimed).toEqual([
      ['0001_domain.sql:1', true],
      ['0002_domain_default.sql:1', true],
      ['0003_not_null_domain.sql:1', true],
      ['0004_immutable.sql:1', false],
      ['0005_own.sql:3', false],
      ['0005_own.sql:4', true],
    ]);
    const where = (fs: { file: string; line: number }[]) => fs.map((f) => `${f.file}:${f.line}`);
    expect(where(warnings)).toEqual(['0001_domain.sql:1', '0002_domain_default.sql:1', '0003_not_null_domain.sql:1', '0005_own.sql:4']);
    expect(where(lint.findings.filter((f: { rule: string }) => f.rule === 'volatile-default'))).toEqual(where(warnings));
    // Without a database, the files' own CREATE DOMAIN and CREATE FUNCTION still decide.
    const offline = JSON.parse(
      (
        await runCliInProcess(['plan', '--dir', tempDir({ '0005_own.sql': files['0005_own.sql']! }), '--offline', '--json'], {
          env: { DATABASE_URL: undefined },
        })
      ).stdout,
    );
    expect(offline.statements.filter((s: { statement: string }) => s.statement.includes('ADD COLUMN')).map((s: { rewrites: boolean }) => s.rewrites)).toEqual([
      false,
      true,
    ]);
    // What PostgreSQL does: each file run in a transaction that is rolled back, the table's file node before and after.
    for (const [file, text] of Object.entries(files)) {
      const rewrote = await withClient(url, async (c) => {
        await c.query('BEGIN');
        try {
          const node = async () => (await c.query("SELECT pg_relation_filenode('big') AS n")).rows[0].n;
          const before = await node();
          await c.query(text);
          return (await node()) !== before;
        } finally {
          await c.query('ROLLBACK');
        }
      });
      expect([file, rewrote]).toEqual([file, adds.some((s: { file: string; rewrites: boolean }) => s.file === file && s.rewrites)]);
    }
  });

  it('without a database (--offline) the lock and rewrite columns still show; no sizes, no warnings', async () => {
    const r = await runCliInProcess(['plan', '--dir', dir, '--offline', '--json'], { env: { DATABASE_URL: undefined } });
    expect(r.code, r.stderr).toBe(0);
    const { statements, warnings, sized, target } = JSON.parse(r.stdout);
    expect(target).toContain('--offline');
    expect(sized).toBe(false);
    expect(statements[0]).toMatchObject({
      file: '0001_type.sql',
      lock: 'ACCESS EXCLUSIVE',
      table: 'big',
      rows: null,
      bytes: null,
      rewrites: true,
      scans: true,
    });
    expect(statements[1]).toMatchObject({ lock: 'SHARE', rewrites: false, scans: true });
    expect(warnings).toEqual([]);
  });
});

describe(`CLI: schemaguard plan --offline of a type change, on ${target.name}`, () => {
  // Regression: offline, varchar(128) → varchar(1024) of a column an earlier file created said rewrites yes, scans yes (against a database: no, no).
  it('takes the old type from the earlier file (no rewrite, as PostgreSQL does), and says ? when no file declares the column', async () => {
    const files = {
      '1_a.sql': 'CREATE TABLE kv (k text PRIMARY KEY, v varchar(128));',
      '2_b.sql': 'ALTER TABLE kv ALTER COLUMN v TYPE varchar(1024);\nALTER TABLE elsewhere ALTER COLUMN x TYPE varchar(10);',
    };
    const dir = tempDir(files);
    const j = JSON.parse((await runCliInProcess(['plan', '--dir', dir, '--offline', '--json'], { env: { DATABASE_URL: undefined } })).stdout);
    expect(j.statements.slice(1).map((s: { rewrites: boolean; scans: boolean; oldTypeUnknown?: boolean }) => [s.rewrites, s.scans, s.oldTypeUnknown])).toEqual([
      [false, false, undefined],
      [true, true, true],
    ]);
    const text = (await runCliInProcess(['plan', '--dir', dir, '--offline'], { env: { DATABASE_URL: undefined } })).stdout;
    expect(text).toMatch(/^2_b\.sql:1\s+ACCESS EXCLUSIVE\s+kv\s+no\s+no\s+ALTER TABLE kv/m);
    expect(text).toMatch(/^2_b\.sql:2\s+ACCESS EXCLUSIVE\s+elsewhere\s+\?\s+\?\s+ALTER TABLE elsewhere/m);
    expect(text).toContain(
      '? rewrites, scans: a type change of a column whose current type neither the database nor the migrations say: it may rewrite the table',
    );
    const url = await freshDatabase(target, 'plan_offline_type');
    const nodes = await withClient(url, async (c) => {
      await c.query(`${files['1_a.sql']} INSERT INTO kv VALUES ('a', 'b')`);
      const before = (await c.query("SELECT pg_relation_filenode('kv') AS n")).rows[0].n;
      await c.query('ALTER TABLE kv ALTER COLUMN v TYPE varchar(1024)');
      return [before, (await c.query("SELECT pg_relation_filenode('kv') AS n")).rows[0].n];
    });
    expect(nodes[1]).toBe(nodes[0]);
  });
});

describe(`CLI: schemaguard plan of DO blocks and CALL on ${target.name}`, () => {
  // Regression: a DO block that UPDATEs and ALTERs a table showed lock -, rewrites no, scans no, as if it locked nothing.
  it('shows ? for the lock, rewrites and scans of code it does not read, with the legend; --json says notRead', async () => {
    const url = await freshDatabase(target, 'plan_do');
    await withClient(url, (c) =>
      c.query(
        "CREATE TABLE roles (id bigint PRIMARY KEY, schemeid text); INSERT INTO roles VALUES (1, 'a'); CREATE PROCEDURE touch_roles() LANGUAGE sql AS $$UPDATE roles SET schemeid = 'b'$$",
      ),
    );
    const dir = tempDir({ '1_do.sql': "DO $$BEGIN UPDATE roles SET schemeid = 'x'; ALTER TABLE roles ADD COLUMN z int; END$$;\nCALL touch_roles();" });
    const r = await runCliInProcess(['plan', '--dir', dir, '--database-url', url]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^1_do\.sql:1\s+\?\s+\?\s+\?\s+DO \$\$BEGIN UPDATE roles/m);
    expect(r.stdout).toMatch(/^1_do\.sql:2\s+\?\s+\?\s+\?\s+CALL touch_roles\(\)/m);
    expect(r.stdout).toContain('? alone: DO block or CALL, not read: it takes whatever locks, rewrites and scans its code does (read the code)');
    const j = JSON.parse((await runCliInProcess(['plan', '--dir', dir, '--database-url', url, '--json'])).stdout);
    expect(j.statements.map((s: { notRead?: boolean; lock: string | null }) => [s.notRead, s.lock])).toEqual([
      [true, null],
      [true, null],
    ]);
    // What the block does when it runs: ACCESS EXCLUSIVE on roles, held until COMMIT (what "-" denied).
    const held = await withClient(url, async (c) => {
      await c.query('BEGIN');
      await c.query("DO $$BEGIN UPDATE roles SET schemeid = 'x'; ALTER TABLE roles ADD COLUMN z int; END$$");
      const locks = await c.query<{ mode: string }>("SELECT mode FROM pg_locks WHERE relation = 'roles'::regclass AND pid = pg_backend_pid() ORDER BY mode");
      await c.query('ROLLBACK');
      return locks.rows.map((l) => l.mode);
    });
    expect(held).toContain('AccessExclusiveLock');
  });
});

describe('CLI: schemaguard plan --offline with a file the parser refuses', () => {
  it("prints the table first, then the parser's error (exit 2)", async () => {
    const dir = tempDir({ '1_a.sql': 'CREATE TABLE a (id int);', '2_b.sql': 'CREATE TABLE (;' });
    const r = await runCliInProcess(['plan', '--dir', dir, '--offline'], { env: { DATABASE_URL: undefined } });
    expect(r.code).toBe(2);
    expect(r.stdout).toMatch(/2\s+2\s+2_b\.sql\s+1/);
    expect(r.stderr).toContain('2_b.sql:1:14: syntax error at or near "("');
  });
});

// Regression: plan read the files in order of name (10_f10.sql before 1_f1.sql), so past 20 problems it showed other ones than lint and migrate.
describe(`CLI: the files' problems in order of version, on ${target.name}`, () => {
  const files = Object.fromEntries(Array.from({ length: 25 }, (_, k) => [`${k + 1}_f${k + 1}.sql`, 'SELECT 1;\nBEGIN;\n']));
  const firstTwenty = Array.from({ length: 20 }, (_, k) => `${k + 1}_f${k + 1}.sql`);
  /** The files named, in the order named, each once. */
  const named = (text: string) => [...new Set([...text.matchAll(/\b\d+_f\d+\.sql\b/g)].map((m) => m[0]))];

  it('plan (text, --json, --format github) shows the same first 20 as lint and migrate', async () => {
    const dir = tempDir(files);
    const url = await freshDatabase(target, 'problems_by_version');
    const offline = { env: { DATABASE_URL: undefined } };

    const text = await runCliInProcess(['plan', '--dir', dir, '--offline'], offline);
    const json = await runCliInProcess(['plan', '--dir', dir, '--offline', '--json'], offline);
    const github = await runCliInProcess(['plan', '--dir', dir, '--offline', '--format', 'github'], offline);
    const lint = await runCliInProcess(['lint', '--dir', dir], offline);
    const migrate = await runCliInProcess(['migrate', '--dir', dir, '--database-url', url]);

    for (const r of [text, json, github, lint, migrate]) expect(r.code, r.stderr).toBe(2);
    expect(named(text.stderr)).toEqual(firstTwenty);
    expect(JSON.parse(json.stdout).problems.map((p: { file: string }) => p.file)).toEqual(firstTwenty);
    expect(
      named(
        github.stdout
          .split('\n')
          .filter((l) => l.startsWith('::error file='))
          .join('\n'),
      ),
    ).toEqual(firstTwenty);
    expect(named(lint.stderr)).toEqual(firstTwenty);
    expect(named(migrate.stderr)).toEqual(firstTwenty);
    expect(await rows(url, "SELECT to_regnamespace('schemaguard')::text AS s")).toEqual([{ s: null }]);
  });

  // Regression: past the 20 annotations, nothing in the workflow said that there were more (only stderr's text did).
  it('--format github ends with one annotation on the run counting those not annotated', async () => {
    const dir = tempDir(files);

    const plan = await runCliInProcess(['plan', '--dir', dir, '--offline', '--format', 'github'], { env: { DATABASE_URL: undefined } });
    const lint = await runCliInProcess(['lint', '--dir', dir, '--format', 'github'], { env: { DATABASE_URL: undefined } });

    for (const [command, r] of [
      ['plan', plan],
      ['lint', lint],
    ] as const) {
      expect(r.code, r.stderr).toBe(2);
      const annotations = r.stdout.split('\n').filter((l) => l.startsWith('::'));
      expect(annotations).toHaveLength(21);
      expect(annotations.slice(0, 20).every((l) => l.startsWith('::error file='))).toBe(true);
      expect(annotations[20]).toBe(
        `::error title=schemaguard ${command} failed::and 5 more problems in the migration files, not annotated (25 in all; fix these and run schemaguard ${command} again to see them)`,
      );
      expect(r.stderr).toContain('  and 5 more (fix these and run again to see them)');
    }
  });

  it('--format github adds no such annotation when every problem is annotated', async () => {
    const dir = tempDir(Object.fromEntries(Object.entries(files).slice(0, 20)));
    const r = await runCliInProcess(['plan', '--dir', dir, '--offline', '--format', 'github'], { env: { DATABASE_URL: undefined } });
    expect(r.code).toBe(2);
    expect(r.stdout.split('\n').filter((l) => l.startsWith('::'))).toHaveLength(20);
    expect(r.stdout).not.toContain('more problem');
  });
});

// Regression: plan said nothing (exit 0, no refusal) of a file migrate refuses where standard_conforming_strings is off.
describe.each(targets)('CLI: schemaguard plan where standard_conforming_strings is off, on $name', (t) => {
  it("names the file migrate refuses, with migrate's message and fix (text and --json), and writes nothing", async () => {
    const url = await freshDatabase(t, 'plan_scs_off');
    const database = new URL(url).pathname.slice(1);
    await withClient(url, (c) => c.query(`ALTER DATABASE ${database} SET standard_conforming_strings = off`));
    const dir = tempDir({ '1_t.sql': "CREATE TABLE t (p text DEFAULT E'a\\\\b');\n", '2_ins.sql': "INSERT INTO t VALUES ('C:\\dir');\n" });
    const before = await catalogFingerprint(url);

    const text = await runCliInProcess(['plan', '--dir', dir, '--database-url', url]);
    const json = await runCliInProcess(['plan', '--dir', dir, '--database-url', url, '--json']);
    const github = await runCliInProcess(['plan', '--dir', dir, '--database-url', url, '--format', 'github']);
    const migrate = await runCliInProcess(['migrate', '--dir', dir, '--database-url', url]);

    const message = "2_ins.sql:1: a string with a backslash, and this session's standard_conforming_strings is off";
    expect(migrate.code).toBe(2);
    expect(migrate.stderr).toContain(`error: ${message}`);
    const fix = /\n {2}fix: (.+)/.exec(migrate.stderr)![1]!;
    expect(fix).toContain(`ALTER DATABASE "${database}" SET standard_conforming_strings = on`);
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toContain(`warning: migrate through this URL will refuse to run: ${message}`);
    expect(text.stdout).toContain(`\n  fix: ${fix}\n`);
    expect(json.code, json.stderr).toBe(0);
    expect(JSON.parse(json.stdout).refusal).toEqual({ message: expect.stringMatching(new RegExp(`^${message}`)), fix, file: '2_ins.sql', line: 1 });
    // In a workflow: an error at the file (plan said nothing of it in --format github), counted in the summary line.
    expect(github.code, github.stderr).toBe(0);
    expect(github.stdout).toMatch(
      new RegExp(
        `^::error file=[^,]*2_ins\\.sql,line=1,title=schemaguard plan::migrate through this URL will refuse to run: ${message.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}.*%0AFix: `,
        'm',
      ),
    );
    expect(github.stdout).toMatch(/^plan: 1 error, \d+ warnings?$/m);
    expect(JSON.parse(json.stdout).note).toBeNull();
    expect(await catalogFingerprint(url)).toBe(before);
  });

  it("says nothing of it when no pending file has a backslash in a '…' string, or when the setting is on", async () => {
    const off = await freshDatabase(t, 'plan_scs_off_clean');
    await withClient(off, (c) => c.query(`ALTER DATABASE ${new URL(off).pathname.slice(1)} SET standard_conforming_strings = off`));
    const on = await freshDatabase(t, 'plan_scs_on');
    const clean = tempDir({ '1_t.sql': "CREATE TABLE t (p text DEFAULT E'a\\\\b');\n" });
    const backslash = tempDir({ '1_t.sql': "CREATE TABLE t (p text DEFAULT 'C:\\dir');\n" });

    for (const [url, dir] of [
      [off, clean],
      [on, backslash],
    ] as const) {
      const r = await runCliInProcess(['plan', '--dir', dir, '--database-url', url, '--json']);
      expect(r.code, r.stderr).toBe(0);
      expect(JSON.parse(r.stdout).refusal).toBeNull();
    }
  });
});

// Regression: plan left out of `refusals`, ::warning and SARIF what migrate refuses first of all (a changed file, an applied
// file deleted, a file older than the newest applied): they were warning lines under its table only, and a CI gate missed them.
describe.each(targets)("CLI: plan names migrate's refusals of the files against the state, on $name", (t) => {
  const cases = [
    [
      'a file changed after it was applied',
      (dir: string) => addFile(dir, '3_c.sql', 'CREATE TABLE c (id bigint);'),
      '3_c.sql',
      /^3_c\.sql was changed after it was applied: applied checksum [0-9a-f]{12}, file checksum [0-9a-f]{12}$/,
    ],
    [
      'an applied file deleted',
      (dir: string) => rmSync(join(dir, '3_c.sql')),
      undefined,
      /^applied migration missing from .+\/: version 3 \(c\), between 1_a\.sql and 5_e\.sql$/,
    ],
    [
      'a file older than the newest applied',
      (dir: string) => addFile(dir, '2_b.sql', 'CREATE TABLE b (id int);'),
      '2_b.sql',
      /^2_b\.sql is pending but older than the newest applied version 5$/,
    ],
  ] as const;

  it.each(cases)(
    "%s: migrate's message and fix in --json refusals, an ::error counted in the summary, a SARIF error at the file",
    async (_, change, file, message) => {
      const url = await freshDatabase(t, 'plan_state_refusal');
      const dir = tempDir({ '1_a.sql': 'CREATE TABLE a (id int);', '3_c.sql': 'CREATE TABLE c (id int);', '5_e.sql': 'CREATE TABLE e (id int);' });
      expect((await runCliInProcess(['migrate', '--quiet', '--dir', dir, '--database-url', url])).code).toBe(0);
      change(dir);
      const before = await catalogFingerprint(url);

      const json = await runCliInProcess(['plan', '--dir', dir, '--database-url', url, '--json']);
      const github = await runCliInProcess(['plan', '--dir', dir, '--database-url', url, '--format', 'github']);
      const sarif = await runCliInProcess(['plan', '--dir', dir, '--database-url', url, '--format', 'sarif']);
      const migrate = await runCliInProcess(['migrate', '--dir', dir, '--database-url', url]);

      for (const r of [json, github, sarif]) expect(r.code, r.stderr).toBe(0);
      const { refusals, refusal } = JSON.parse(json.stdout) as { refusal: unknown; refusals: { message: string; fix: string; file?: string }[] };
      expect(refusals).toHaveLength(1);
      expect(refusal).toEqual(refusals[0]);
      expect(refusals[0]!.message).toMatch(message);
      expect(refusals[0]!.file).toBe(file);
      expect(migrate.code).toBe(1);
      expect(migrate.stderr).toContain(`error: ${refusals[0]!.message}; nothing was run\n  fix: ${refusals[0]!.fix}\n`);
      const annotation = github.stdout.split('\n').find((l) => l.includes('title=schemaguard plan::'));
      expect(annotation).toMatch(file ? new RegExp(`^::error file=[^,]*/${file.replace('.', '\\.')},line=1,title=`) : /^::error title=/);
      expect(github.stdout).toMatch(/^plan: 1 error, 0 warnings$/m);
      const results = (
        JSON.parse(sarif.stdout) as {
          runs: {
            results: {
              ruleId: string;
              level: string;
              locations: { physicalLocation?: { artifactLocation: { uri: string }; region: { startLine: number } } }[];
            }[];
          }[];
        }
      ).runs[0]!.results;
      expect(results.map((r) => [r.ruleId, r.level])).toEqual([['migrate-would-refuse', 'error']]);
      const at = results[0]!.locations[0]!.physicalLocation;
      if (file) expect([at!.artifactLocation.uri.endsWith(`/${file}`), at!.region.startLine]).toEqual([true, 1]);
      else expect(at).toBeUndefined();
      expect(await catalogFingerprint(url)).toBe(before);
    },
  );
});

// Regression: plan kept a row per statement: a 16 MiB file of `DO $$BEGIN END$$;` lines (932,067 statements) peaked at 721 MB and printed 932,067 rows.
describe(`CLI: schemaguard plan of long runs of statements alike, on ${target.name}`, () => {
  const lines = <T>(n: number, item: (k: number) => T): T[] => Array.from({ length: n }, (_, k) => item(k));
  const many = [
    'CREATE TABLE t (id int);',
    ...lines(ALIKE_RUN + 500, (k) => `INSERT INTO t VALUES (${k});`),
    'SELECT * FROM t;',
    ...lines(ALIKE_RUN, () => 'DO $$BEGIN END$$;'),
    'SELECT * FROM t;',
    ...lines(ALIKE_RUN + 1, () => 'DO $$BEGIN END$$;'),
  ].join('\n');

  it('--offline: a run of more than ALIKE_RUN is one row and one JSON entry (alike, lastLine); a run of ALIKE_RUN a row each; every statement counted', async () => {
    const dir = tempDir({ '1_many.sql': many });

    const j = await runCliInProcess(['plan', '--dir', dir, '--offline', '--json'], { env: { DATABASE_URL: undefined } });
    const text = await runCliInProcess(['plan', '--dir', dir, '--offline'], { env: { DATABASE_URL: undefined } });

    expect(j.code, j.stderr).toBe(0);
    const { statements, pending } = JSON.parse(j.stdout) as {
      statements: { line: number; alike?: number; lastLine?: number }[];
      pending: { statements: number }[];
    };
    expect(statements.reduce((n, s) => n + (s.alike ?? 1), 0)).toBe(pending[0]!.statements);
    expect(statements).toHaveLength(1 + 1 + 1 + ALIKE_RUN + 1 + 1);
    expect(statements[1]).toMatchObject({ line: 2, lastLine: 1501, alike: 1500, lock: 'ROW EXCLUSIVE', table: 't', statement: 'INSERT INTO t VALUES (0)' });
    // Each INSERT took ROW EXCLUSIVE again: the SELECT runs under the last one's, as when each had its row.
    expect(statements[2]).toMatchObject({ line: 1502, lock: 'ACCESS SHARE', held: { lock: 'ROW EXCLUSIVE', line: 1501 } });
    expect(statements.slice(3, 3 + ALIKE_RUN).map((s) => [s.line, s.alike])).toEqual(lines(ALIKE_RUN, (k) => [1503 + k, undefined]));
    expect(statements.at(-1)).toMatchObject({ line: 2504, lastLine: 3504, alike: ALIKE_RUN + 1, notRead: true, statement: 'DO $$BEGIN END$$' });
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toMatch(/^1_many\.sql:2-1501\s+ROW EXCLUSIVE\s+t\s+no\s+no\s+INSERT INTO t VALUES \(0\) \(and 1,499 more alike\)$/m);
    expect(text.stdout).toMatch(/^1_many\.sql:1502\s+ACCESS SHARE \(under ROW EXCLUSIVE from line 1501\)\s+t\s+no\s+yes\s+SELECT \* FROM t$/m);
    expect(text.stdout).toMatch(/^1_many\.sql:2504-3504\s+\?\s+\?\s+\?\s+DO \$\$BEGIN END\$\$ \(and 1,000 more alike\)$/m);
    expect(text.stdout.match(/^1_many\.sql:\d+\s/gm)).toHaveLength(1 + 1 + ALIKE_RUN + 1);
    expect(text.stdout).toContain(`\n${ALIKE_NOTE}\n`);
  });

  // Regression: two forms taking turns never folded: a 16 MiB file of `SELECT 1;` and `DO $$BEGIN END$$;` lines by turns (1,198,368 statements) peaked at 632 MB (--json 1,460 MB) and printed a row each.
  it('--offline: forms that block no writes, taking turns, fold into a row per form (interleaved); a form that blocks writes, or a table under two locks, keeps a row per statement', async () => {
    const pairs = (n: number, a: (k: number) => string, b: string) => lines(n, (k) => `${a(k)}\n${b}`);
    const dir = tempDir({
      '1_turns.sql': [
        'CREATE TABLE t (id int);',
        ...pairs(600, () => 'SELECT 1;', 'DO $$BEGIN END$$;'),
        'LOCK t;',
        ...pairs(600, (k) => `INSERT INTO t VALUES (${k});`, 'SELECT 1;'),
        ...pairs(501, () => 'LOCK t;', 'SELECT 1;'),
      ].join('\n'),
      '2_two_locks.sql': pairs(501, () => 'INSERT INTO t VALUES (1);', 'LOCK t IN ROW SHARE MODE;').join('\n'),
    });

    const j = await runCliInProcess(['plan', '--dir', dir, '--offline', '--json'], { env: { DATABASE_URL: undefined } });
    const text = await runCliInProcess(['plan', '--dir', dir, '--offline'], { env: { DATABASE_URL: undefined } });

    expect(j.code, j.stderr).toBe(0);
    const { statements, pending } = JSON.parse(j.stdout) as { statements: { file: string; line: number; alike?: number }[]; pending: { statements: number }[] };
    expect(statements.reduce((n, s) => n + (s.alike ?? 1), 0)).toBe(pending[0]!.statements + pending[1]!.statements);
    const turns = statements.filter((s) => s.file === '1_turns.sql');
    expect(turns.slice(0, 6)).toMatchObject([
      { line: 1, form: expect.stringContaining('CREATE TABLE') },
      { line: 2, alike: 600, lastLine: 1200, interleaved: true, lock: null, statement: 'SELECT 1' },
      { line: 3, alike: 600, lastLine: 1201, interleaved: true, notRead: true, statement: 'DO $$BEGIN END$$' },
      { line: 1202, lock: 'ACCESS EXCLUSIVE', table: 't' },
      // Each INSERT runs under the ACCESS EXCLUSIVE of line 1202, as its row says.
      {
        line: 1203,
        alike: 600,
        lastLine: 2401,
        interleaved: true,
        lock: 'ROW EXCLUSIVE',
        held: { lock: 'ACCESS EXCLUSIVE', line: 1202 },
        statement: 'INSERT INTO t VALUES (0)',
      },
      { line: 1204, alike: 600, lastLine: 2402, interleaved: true, statement: 'SELECT 1' },
    ]);
    expect(turns.slice(6).map((s) => [s.line, s.alike])).toEqual(lines(1002, (k) => [2403 + k, undefined]));
    expect(statements.filter((s) => s.file === '2_two_locks.sql').map((s) => [s.line, s.alike])).toEqual(lines(1002, (k) => [1 + k, undefined]));
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toMatch(/^1_turns\.sql:2-1200\s+-\s+SELECT 1 \(and 599 more alike, interleaved\)$/m);
    expect(text.stdout).toMatch(/^1_turns\.sql:3-1201\s+\?\s+\?\s+\?\s+DO \$\$BEGIN END\$\$ \(and 599 more alike, interleaved\)$/m);
    expect(text.stdout).toMatch(
      /^1_turns\.sql:1203-2401\s+ROW EXCLUSIVE \(under ACCESS EXCLUSIVE from line 1202\)\s+t\s+no\s+no\s+INSERT INTO t VALUES \(0\) \(and 599 more alike, interleaved\)$/m,
    );
    expect(text.stdout).toContain(`\n${ALIKE_NOTE}\n${INTERLEAVED_NOTE}\n`);
  });

  it(`--offline: more than ${ALIKE_KINDS} forms taking turns are not folded`, async () => {
    const kinds = ALIKE_KINDS + 1;
    const dir = tempDir({ '1_kinds.sql': lines(ALIKE_RUN + kinds, (k) => `INSERT INTO t${k % kinds} VALUES (1);`).join('\n') });

    const j = await runCliInProcess(['plan', '--dir', dir, '--offline', '--json'], { env: { DATABASE_URL: undefined } });

    expect(j.code, j.stderr).toBe(0);
    const { statements } = JSON.parse(j.stdout) as { statements: { alike?: number }[] };
    expect(statements).toHaveLength(ALIKE_RUN + kinds);
    expect(statements.filter((s) => s.alike)).toEqual([]);
  });

  // Regression: plan's warnings were not capped: a file where every statement is warned of held (and printed) a warning each.
  it("with a database: the run's row has its table's size; statements that scan under a lock are never folded, each keeps its row; the first 100 warnings are kept, the rest counted", async () => {
    const url = await freshDatabase(target, 'plan_alike');
    await withClient(url, (c) => c.query('CREATE TABLE e (id int); INSERT INTO e SELECT generate_series(1, 1000); ANALYZE e'));
    const dir = tempDir({
      '1_many.sql': [...lines(ALIKE_RUN + 1, (k) => `INSERT INTO e VALUES (${k});`), ...lines(ALIKE_RUN + 1, () => 'CREATE INDEX ON e (id);')].join('\n'),
    });
    const more = '… and 901 more blocking-lock-on-large-table findings in 1_many.sql';

    const j = await runCliInProcess(['plan', '--dir', dir, '--database-url', url, '--warn-rows', '10', '--json']);
    const text = await runCliInProcess(['plan', '--dir', dir, '--database-url', url, '--warn-rows', '10']);
    const github = await runCliInProcess(['plan', '--dir', dir, '--database-url', url, '--warn-rows', '10', '--format', 'github']);

    expect(j.code, j.stderr).toBe(0);
    const { statements, warnings, warningsOmitted } = JSON.parse(j.stdout) as {
      statements: { line: number; alike?: number }[];
      warnings: { line: number }[];
      warningsOmitted: unknown[];
    };
    expect(statements).toHaveLength(1 + ALIKE_RUN + 1);
    expect(statements[0]).toMatchObject({ line: 1, alike: ALIKE_RUN + 1, lastLine: ALIKE_RUN + 1, lock: 'ROW EXCLUSIVE', table: 'public.e', rows: 1000 });
    expect(warnings.map((w) => w.line)).toEqual(lines(100, (k) => ALIKE_RUN + 2 + k));
    expect(warningsOmitted).toEqual([{ file: '1_many.sql', rule: 'blocking-lock-on-large-table', errors: 0, warnings: 901 }]);
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout.match(/^1_many\.sql:\d+:1: warning blocking-lock-on-large-table: /gm)).toHaveLength(100);
    expect(text.stdout).toContain(`\n1_many.sql:${ALIKE_RUN + 101}:1: warning blocking-lock-on-large-table: CREATE [UNIQUE] INDEX takes SHARE on public.e`);
    expect(text.stdout).toContain(`\n${more}\n`);
    expect(github.code, github.stderr).toBe(0);
    const annotations = github.stdout.trim().split('\n');
    expect(annotations.filter((l) => l.startsWith('::warning '))).toHaveLength(100);
    expect(annotations).toContainEqual(
      expect.stringMatching(new RegExp(`^::notice file=.*1_many\\.sql,title=schemaguard blocking-lock-on-large-table::${more}$`)),
    );
    // Every warning counted, and lint's index-not-concurrent errors (capped as ever).
    expect(annotations.at(-1)).toBe('plan: 1001 errors, 1001 warnings');
  });
});
