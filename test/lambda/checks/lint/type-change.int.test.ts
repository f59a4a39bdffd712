/**
 * rewritesOnTypeChange against real PostgreSQL (18; 15 too in the full
 * matrix): for each pair, `ALTER COLUMN … TYPE` on a populated table, reading
 * the table's file node before and after (a new one = a rewrite), with the
 * types written as in a migration and read the way lint reads them. Also
 * through a rename: lint's answer for the renamed column is PostgreSQL's.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lintMigrations, lintSourceFromText, rewritesOnTypeChange, usingTransforms } from '../../../../lambda/checks/lint';
import { as, list, loadParser, parseSql, typeNameText } from '../../../../lambda/checks/parser/parse';
import { readLintCatalog } from '../../../../lambda/checks/lint/catalog';
import { isZoneChange } from '../../../../lambda/checks/lint/type-change';
import { dropDatabases, freshDatabase, targets, withClient } from '../../../support/db';
import { planWithCatalog } from '../locks/plan-with-catalog';

afterAll(dropDatabases);
beforeAll(loadParser);

/** [from, to]: every binary-compatible rule of rewritesOnTypeChange, and rewriting neighbours. */
const PAIRS: [string, string][] = [
  ['varchar(20)', 'varchar(40)'],
  ['varchar(20)', 'text'],
  ['varchar(20)', 'varchar'],
  ['text', 'varchar'],
  ['text', 'varchar(10)'],
  ['varchar(40)', 'varchar(20)'],
  ['numeric(10,2)', 'numeric(12,2)'],
  ['numeric(10,2)', 'numeric'],
  ['numeric(10,2)', 'numeric(12,4)'],
  ['numeric', 'numeric(10,2)'],
  ['timestamp(3)', 'timestamp(6)'],
  ['timestamp(3)', 'timestamp'],
  ['timestamptz(3)', 'timestamptz'],
  ['timestamptz(6)', 'timestamptz(3)'],
  ['time(3)', 'time'],
  ['interval(3)', 'interval'],
  ['interval(3)', 'interval(6)'],
  ['bit varying(5)', 'bit varying(10)'],
  ['varbit(5)', 'varbit'],
  ['bit(8)', 'varbit'],
  ['bit(8)', 'varbit(8)'],
  ['cidr', 'inet'],
  ['xml', 'text'],
  ['int', 'bigint'],
  ['smallint', 'int'],
  ['timestamp', 'timestamptz'],
  ['char(10)', 'text'],
  ['char(10)', 'char(20)'],
  ['json', 'jsonb'],
  ['uuid', 'text'],
  ['varchar(20)[]', 'text[]'],
];

/** [from, to, USING]: a USING that computes the value rewrites between binary-compatible types; the column itself, or cast to the new type, does not. */
const USING_CASES: [string, string, string][] = [
  ['varchar(20)', 'varchar(40)', 'lower(c)'],
  ['varchar(20)', 'text', 'trim(c)'],
  ['numeric(10,2)', 'numeric(12,2)', 'round(c, 1)'],
  ['bigint', 'bigint', 'c + 0'],
  ['varchar(20)', 'text', 'c'],
  ['varchar(20)', 'text', 't.c'],
  ['varchar(20)', 'text', 'c::text'],
  ['varchar(20)', 'varchar(40)', 'CAST(c AS varchar(40))'],
  ['int', 'bigint', 'c'],
];

/** The ALTER COLUMN … TYPE's ColumnDef as lint reads it. */
function alterDef(sql: string): Record<string, unknown> {
  const s = parseSql(sql).statements[0]!;
  return as(as(list(s.node.cmds)[0], 'AlterTableCmd')!.def, 'ColumnDef')!;
}

/** The type as lint reads it from a migration. */
function lintType(written: string): string {
  const s = parseSql(`CREATE TABLE x (c ${written})`).statements[0]!;
  return typeNameText(as(list(s.node.tableElts)[0], 'ColumnDef')!.typeName);
}

describe.each(targets)('Type changes on $name', (target) => {
  let url: string;
  beforeAll(async () => {
    url = await freshDatabase(target, 'lint_types');
  });

  /** Whether the change gave the table a new file node; rolled back. */
  async function rewrote(from: string, to: string, using = ''): Promise<boolean> {
    return withClient(url, async (c) => {
      await c.query("BEGIN; SET LOCAL timezone = 'Europe/Paris'");
      try {
        await c.query(`CREATE TABLE t (id int, c ${from}); INSERT INTO t (id) SELECT g FROM generate_series(1, 20) g`);
        const before = (await c.query("SELECT pg_relation_filenode('t') AS n")).rows[0].n;
        await c.query(`ALTER TABLE t ALTER COLUMN c TYPE ${to}${using && ` USING ${using}`}`);
        return (await c.query("SELECT pg_relation_filenode('t') AS n")).rows[0].n !== before;
      } finally {
        await c.query('ROLLBACK');
      }
    });
  }

  it.each(PAIRS)('%s → %s: rewritesOnTypeChange is what PostgreSQL does', async (from, to) => {
    expect(rewritesOnTypeChange(lintType(from), lintType(to))).toBe(await rewrote(from, to));
  });

  it.each(USING_CASES)('%s → %s USING %s: the types and usingTransforms together are what PostgreSQL does', async (from, to, using) => {
    const def = alterDef(`ALTER TABLE t ALTER COLUMN c TYPE ${to} USING ${using}`);
    expect(rewritesOnTypeChange(lintType(from), lintType(to)) || usingTransforms(def, 'c')).toBe(await rewrote(from, to, using));
  });

  // Regression: lint reported timestamp → timestamptz as a rewrite (an error) where the sessions run in UTC and PostgreSQL 12+ keeps the table.
  it.each(['UTC', 'Etc/GMT', 'Europe/Paris', 'Europe/London'])(
    "the database's sessions in %s: utcSessions says whether timestamp → timestamptz rewrites there",
    async (zone) => {
      const db = await freshDatabase(target, 'lint_zone');
      await withClient(db, (c) => c.query(`ALTER DATABASE ${db.split('/').pop()!.split('?')[0]} SET timezone = '${zone}'`));
      const { utc, rewrites } = await withClient(db, async (c) => {
        const catalog = await readLintCatalog(c);
        await c.query('BEGIN');
        try {
          await c.query('CREATE TABLE t (id int, at timestamp(3)); INSERT INTO t SELECT g, now() FROM generate_series(1, 20) g');
          const before = (await c.query("SELECT pg_relation_filenode('t') AS n")).rows[0].n;
          await c.query('ALTER TABLE t ALTER COLUMN at TYPE timestamptz');
          return { utc: catalog.utcSessions, rewrites: (await c.query("SELECT pg_relation_filenode('t') AS n")).rows[0].n !== before };
        } finally {
          await c.query('ROLLBACK');
        }
      });
      expect(isZoneChange(lintType('timestamp(3)'), lintType('timestamptz'))).toBe(true);
      expect(utc).toBe(!rewrites);
      expect(utc).toBe(zone === 'UTC' || zone === 'Etc/GMT');
    },
  );

  // Regression: lint and plan read the database's TimeZone and ignored the file's own SET before the type change.
  it.each([
    ['UTC', "SET TimeZone = 'America/New_York';"],
    ['UTC', "SET TIME ZONE 'Europe/London';"],
    ['Europe/Paris', "SET TIME ZONE 'UTC';"],
    ['Europe/Paris', 'SET TIME ZONE 0;'],
    ['Europe/Paris', "SET LOCAL timezone = 'Etc/GMT';"],
    ['UTC', "SET TIME ZONE 'America/New_York';\nRESET timezone;"],
  ])('the database in %s, the file setting %s: lint and plan say what the server does', async (zone, set) => {
    const db = await freshDatabase(target, 'lint_file_zone');
    await withClient(db, (c) =>
      c.query(`ALTER DATABASE ${db.split('/').pop()!.split('?')[0]} SET timezone = '${zone}';
      CREATE TABLE ev (id int, at timestamp(3)); INSERT INTO ev SELECT g, now() FROM generate_series(1, 200) g; ANALYZE ev;`),
    );
    const alter = 'ALTER TABLE ev ALTER COLUMN at TYPE timestamptz;';
    const rewrites = await withClient(db, async (c) => {
      await c.query('BEGIN');
      try {
        const before = (await c.query("SELECT pg_relation_filenode('ev') AS n")).rows[0].n;
        await c.query(`${set}\n${alter}`);
        return (await c.query("SELECT pg_relation_filenode('ev') AS n")).rows[0].n !== before;
      } finally {
        await c.query('ROLLBACK');
      }
    });
    const catalog = await withClient(db, (c) => readLintCatalog(c));
    // The table as an applied migration made it: lint knows its column's type from the migrations.
    const lint = await lintMigrations(
      [lintSourceFromText('1_ev.sql', 'CREATE TABLE ev (id int, at timestamp(3));', true), lintSourceFromText('2_zone.sql', `${set}\n${alter}`)],
      { catalog },
    );
    expect(lint.findings.some((f) => f.rule === 'column-type-rewrite')).toBe(rewrites);
    const plan = await planWithCatalog(db, { '1_zone.sql': `${set}\n${alter}` }, { warnRows: 100 });
    expect(plan.statements.find((st) => st.statement.startsWith('ALTER'))!.rewrites).toBe(rewrites);
  });

  it('a renamed varchar column changed to text: no rewrite, and lint reports none (only the rename, under renaming-column)', async () => {
    const files = [
      'CREATE TABLE leads (id int, code varchar(20));',
      'ALTER TABLE leads RENAME COLUMN code TO referral;',
      'ALTER TABLE leads ALTER COLUMN referral TYPE text;',
    ];
    const node = await withClient(url, async (c) => {
      await c.query('BEGIN');
      try {
        await c.query(`${files[0]} INSERT INTO leads SELECT g, 'x' FROM generate_series(1, 20) g; ${files[1]}`);
        const before = (await c.query("SELECT pg_relation_filenode('leads') AS n")).rows[0].n;
        await c.query(files[2]!);
        return { before, after: (await c.query("SELECT pg_relation_filenode('leads') AS n")).rows[0].n };
      } finally {
        await c.query('ROLLBACK');
      }
    });
    expect(node.after).toBe(node.before);
    const r = await lintMigrations(files.map((text, k) => lintSourceFromText(`${k + 1}_f.sql`, text, k === 0)));
    expect(r.findings.map((f) => f.rule)).toEqual(['renaming-column']);
  });
});
