/**
 * set-not-null-without-check with a database: a validated CHECK that proves
 * the column, made outside the migrations (the database's own), spares SET
 * NOT NULL its scan on PostgreSQL 18 and 15, so lint (and plan's scans
 * column) follow the catalog's CHECKs too; one a pending migration drops
 * first no longer counts.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readLintCatalog } from '../../../../../lambda/checks/lint';
import { fixFiles } from '../../../../../lambda/checks/lint/fix';
import { planLocks } from '../../../../../lambda/checks/locks/plan-locks';
import { loadMigrations } from '../../../../../lambda/engine/files/source';
import { dropDatabases, freshDatabase, rows, versionPair, withClient } from '../../../../support/db';
import { driverKinds } from '../../../../support/drivers';
import { runEngine } from '../../../../support/engine';
import { tempDir } from '../../../../support/files';
import { lintAfter } from '../pending';
import { lintWithDatabase } from '../with-database';
import { directAndFixed, ONLY_SETUP } from '../fix-outcome';

afterAll(dropDatabases);

const OUTSIDE = `CREATE TABLE contacts (id int, email text, phone text);
INSERT INTO contacts SELECT g, 'x', 'y' FROM generate_series(1, 100) g;
ALTER TABLE contacts ADD CONSTRAINT contacts_email_present CHECK (email IS NOT NULL AND email <> '');`;

describe.each(versionPair)('set-not-null-without-check with a database, on $name', (target) => {
  let url: string;
  beforeAll(async () => {
    url = await freshDatabase(target, 'not_null_db_check');
    await withClient(url, (c) => c.query(OUTSIDE));
  });

  const lint = async (pending: string[], withDatabase = true) =>
    (await lintWithDatabase(url, pending, withDatabase)).findings.map((f) => `${f.file}:${f.line} ${f.rule}`);

  /** Whether the server reads the table for `sql`, in a transaction rolled back. */
  const serverScans = (sql: string, before = '') =>
    withClient(url, async (c) => {
      await c.query('BEGIN');
      try {
        if (before) await c.query(before);
        const n = async () =>
          Number((await c.query("SELECT coalesce((SELECT seq_scan FROM pg_stat_xact_user_tables WHERE relname = 'contacts'), 0) AS n")).rows[0].n);
        const start = await n();
        await c.query(sql);
        return (await n()) > start;
      } finally {
        await c.query('ROLLBACK');
      }
    });

  it('a CHECK of the database proves email: no finding, no scan; phone has none: a finding and a scan', async () => {
    expect(await lint(['ALTER TABLE contacts ALTER COLUMN email SET NOT NULL;'])).toEqual([]);
    expect(await serverScans('ALTER TABLE contacts ALTER COLUMN email SET NOT NULL')).toBe(false);
    expect(await lint(['ALTER TABLE contacts ALTER COLUMN phone SET NOT NULL;'])).toEqual(['1_pending.sql:1 set-not-null-without-check']);
    expect(await serverScans('ALTER TABLE contacts ALTER COLUMN phone SET NOT NULL')).toBe(true);
  });

  it('without the database, or once a pending migration drops the CHECK, it is reported, as the server scans', async () => {
    expect(await lint(['ALTER TABLE contacts ALTER COLUMN email SET NOT NULL;'], false)).toEqual(['1_pending.sql:1 set-not-null-without-check']);
    const drop = 'ALTER TABLE contacts DROP CONSTRAINT contacts_email_present';
    expect(await lint([`${drop};`, 'ALTER TABLE contacts ALTER COLUMN email SET NOT NULL;'])).toEqual(['2_pending.sql:1 set-not-null-without-check']);
    expect(await serverScans('ALTER TABLE contacts ALTER COLUMN email SET NOT NULL', drop)).toBe(true);
  });

  it('plan with the database says no scan for the proved column, as lint does', async () => {
    const catalog = await withClient(url, (c) => readLintCatalog(c));
    const p = await planLocks(
      loadMigrations(
        tempDir({
          '1_email.sql': 'ALTER TABLE contacts ALTER COLUMN email SET NOT NULL;\n',
          '2_phone.sql': 'ALTER TABLE contacts ALTER COLUMN phone SET NOT NULL;\n',
        }),
      ),
      { lintCatalog: catalog },
    );
    expect(p.statements.map((s) => [s.file, s.scans])).toEqual([
      ['1_email.sql', false],
      ['2_phone.sql', true],
    ]);
  });
});

const LEGACY = "CREATE TABLE legacy (n int, code text, m int);\nINSERT INTO legacy VALUES (1, 'a', 2);";

describe.each(versionPair)('set-not-null-without-check: the fix of a statement with other commands, on $name', (target) => {
  // Regression: the fix kept only the NOT NULL steps; the statement's ADD COLUMN and SET DEFAULT were lost.
  it('applies through the engine, and leaves the table as the statement would: the other commands made, every column NOT NULL', async () => {
    const url = await freshDatabase(target, 'not_null_fix_rest');
    const statement = "ALTER TABLE legacy ALTER COLUMN m SET NOT NULL, ADD COLUMN note text, ALTER COLUMN n SET NOT NULL, ALTER COLUMN code SET DEFAULT 'x';";
    const findings = (await lintAfter(LEGACY, statement)).findings;
    expect(findings.map((f) => f.rule)).toEqual(['set-not-null-without-check', 'set-not-null-without-check']);
    const files = fixFiles(findings[0]!.fix);
    expect((await lintAfter(LEGACY, ...files)).findings).toEqual([]);
    const pg = driverKinds.find((d) => d.name === 'pg')!;
    const r = await runEngine(pg, url, tempDir({ '1_legacy.sql': LEGACY, ...Object.fromEntries(files.map((text, k) => [`${k + 2}_fix.sql`, text])) }));
    expect(r.applied.map((a) => a.file)).toEqual(['1_legacy.sql', '2_fix.sql', '3_fix.sql']);
    expect(
      await rows(
        url,
        `SELECT a.attname AS name, a.attnotnull AS "notNull", pg_get_expr(d.adbin, d.adrelid) AS "default"
      FROM pg_attribute a LEFT JOIN pg_attrdef d ON (d.adrelid, d.adnum) = (a.attrelid, a.attnum)
      WHERE a.attrelid = 'legacy'::regclass AND a.attnum > 0 ORDER BY a.attnum`,
      ),
    ).toEqual([
      { name: 'n', notNull: true, default: null },
      { name: 'code', notNull: false, default: "'x'::text" },
      { name: 'm', notNull: true, default: null },
      { name: 'note', notNull: false, default: null },
    ]);
    expect(await rows(url, "SELECT count(*)::int AS n FROM pg_constraint WHERE conrelid = 'legacy'::regclass AND contype = 'c'")).toEqual([{ n: 0 }]);
  });
});

// Regression: on PostgreSQL 18 the fix's CHECK took the name of the NOT NULL constraint (`<table>_<column>_not_null`), which PostgreSQL then named `…_not_null1`;
// and the fix dropped the statement's ONLY, making every child table's column NOT NULL too.
describe.each(versionPair)('set-not-null-without-check: the fix leaves what the statement leaves, on $name', (target) => {
  const LONG = `${ONLY_SETUP}\nCREATE TABLE ${'t'.repeat(63)} (${'é'.repeat(31)} int, id int);`;
  const cases: { sql: string; setup?: string; refused?: string }[] = [
    { sql: 'ALTER TABLE parent ALTER COLUMN n SET NOT NULL;' },
    { sql: 'ALTER TABLE ONLY parent ALTER COLUMN n SET NOT NULL;' },
    { sql: 'ALTER TABLE ONLY journal ALTER COLUMN n SET NOT NULL;' },
    // ONLY and another command: the fix keeps the command, ONLY on it and on every step.
    { sql: 'ALTER TABLE ONLY parent ALTER COLUMN n SET NOT NULL, ADD CONSTRAINT parent_id_pos CHECK (id > 0) NO INHERIT NOT VALID;' },
    { sql: 'ALTER TABLE ONLY ledger ALTER COLUMN n SET NOT NULL;', refused: 'constraint must be added to child tables too' },
    // PostgreSQL 18's ADD CONSTRAINT … NOT NULL (15's grammar has none: fixes.int.test.ts): refused with ONLY on a parent with children, as the fix's same step.
    ...(target.major >= 18
      ? [
          { sql: 'ALTER TABLE ONLY parent ADD CONSTRAINT parent_n_nn NOT NULL n;', refused: 'constraint must be added to child tables too' },
          { sql: 'ALTER TABLE ONLY journal ADD CONSTRAINT journal_n_nn NOT NULL n;' },
        ]
      : []),
    // Names cut to 63 bytes as PostgreSQL cuts them: the table's and the column's shares, the column's at a character's end.
    { sql: `ALTER TABLE ${'t'.repeat(63)} ALTER COLUMN ${'é'.repeat(31)} SET NOT NULL;`, setup: LONG },
  ];

  it.each(cases)('$sql', async ({ sql, setup, refused }) => {
    const r = await directAndFixed(target, 'set-not-null-without-check', setup ?? ONLY_SETUP, sql);
    expect(r.fixFindings).toEqual([]);
    expect(r.direct.refused).toBe(refused);
    if (refused) {
      // Refused by the same step; a CHECK an earlier file of the fix added may stay, NOT VALID.
      expect(r.fixed.refused).toBe(refused);
      expect(r.fixed.notNull).toEqual(r.direct.notNull);
      return;
    }
    expect(r.fixed).toEqual(r.direct);
    expect(r.fixed.notNull.length).toBeGreaterThan(0);
  });

  it('the CHECK is <table>_<column>_not_null_proof, and PostgreSQL 18 names its NOT NULL constraint as without the fix', async () => {
    const r = await directAndFixed(target, 'set-not-null-without-check', ONLY_SETUP, 'ALTER TABLE ONLY parent ALTER COLUMN n SET NOT NULL;');
    expect(r.fix).toContain('ALTER TABLE ONLY parent ADD CONSTRAINT parent_n_not_null_proof CHECK (n IS NOT NULL) NO INHERIT NOT VALID;');
    expect(r.fixed.notNull.filter((c) => c.table === 'parent')).toEqual([
      { table: 'parent', column: 'n', name: target.major >= 18 ? 'parent_n_not_null' : null },
    ]);
  });
});

// Regression: the fix's CHECK was named <table>_<column>_not_null_proof whatever the table had: a constraint of that name in the database made the fix fail.
describe.each(versionPair)("set-not-null-without-check: the fix's CHECK takes a name the database's table does not have, on $name", (target) => {
  const TAKEN = `CREATE TABLE people (id int, email text, CONSTRAINT people_email_not_null_proof CHECK (email <> ''));
INSERT INTO people VALUES (1, 'a');`;
  const pg = driverKinds.find((d) => d.name === 'pg')!;
  const sql = 'ALTER TABLE people ALTER COLUMN email SET NOT NULL;';

  /** The fix lint prints for `sql`, with the database's catalog or without, run through the engine on a fresh database after TAKEN: the error, if any. */
  const applied = async (withDatabase: boolean) => {
    const url = await freshDatabase(target, 'proof_name');
    await withClient(url, (c) => c.query(TAKEN));
    const fix = (await lintWithDatabase(url, [sql], withDatabase)).findings[0]!.fix;
    const files = fixFiles(fix);
    const error = await runEngine(pg, url, tempDir(Object.fromEntries(files.map((text, k) => [`${k + 1}_fix.sql`, text])))).then(
      () => undefined,
      (e: Error) => e.message,
    );
    return { fix, error, notNull: await rows(url, "SELECT attnotnull AS n FROM pg_attribute WHERE attrelid = 'people'::regclass AND attname = 'email'") };
  };

  it('with the database: …_not_null_proof1, and the fix applies; without it the name is taken and PostgreSQL refuses the fix', async () => {
    const known = await applied(true);
    expect(known.fix).toContain('ALTER TABLE people ADD CONSTRAINT people_email_not_null_proof1 CHECK (email IS NOT NULL) NOT VALID;');
    expect(known.error).toBeUndefined();
    expect(known.notNull).toEqual([{ n: true }]);
    const blind = await applied(false);
    expect(blind.fix).toContain('ADD CONSTRAINT people_email_not_null_proof CHECK');
    expect(blind.error).toContain('constraint "people_email_not_null_proof" for relation "people" already exists');
  });
});
