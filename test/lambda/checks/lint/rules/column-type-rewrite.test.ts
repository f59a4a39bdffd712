/** Rule column-type-rewrite: the findings it reports, and what it lets pass. */
import { describe, expect, it } from 'vitest';
import { lintMigrations, lintSourceFromText } from '../../../../../lambda/checks/lint';
import { lint, rules } from '../pending';

describe('Rule: column-type-rewrite', () => {
  it('reports a type change that rewrites an existing table, naming both types', async () => {
    const r = await lint('ALTER TABLE leads ALTER COLUMN score TYPE bigint;');
    expect(r.findings.map((f) => f.rule)).toEqual(['column-type-rewrite']);
    expect(r.findings[0]!.message).toContain('from integer to bigint');
  });
  it('accepts binary-compatible changes: varchar(20) → varchar(40) and text, numeric precision up', async () => {
    expect(await rules('ALTER TABLE leads ALTER COLUMN code TYPE varchar(40);')).toEqual([]);
    expect(await rules('ALTER TABLE leads ALTER COLUMN code TYPE text;')).toEqual([]);
    expect(await rules('ALTER TABLE leads ALTER COLUMN price TYPE numeric(12,2);')).toEqual([]);
  });
  it('reports narrowing varchar and a change of numeric scale', async () => {
    expect(await rules('ALTER TABLE leads ALTER COLUMN code TYPE varchar(10);')).toEqual(['column-type-rewrite']);
    expect(await rules('ALTER TABLE leads ALTER COLUMN price TYPE numeric(12,4);')).toEqual(['column-type-rewrite']);
  });
  // Regression: a USING that computes the value was judged by the types alone; PostgreSQL rewrites the table for it.
  it('reports a binary-compatible change whose USING computes the value, and says why', async () => {
    const r = await lint('ALTER TABLE leads ALTER COLUMN code TYPE varchar(40) USING lower(code);');
    expect(r.findings.map((f) => f.message)).toEqual([
      'leads.code: type change from character varying(20) to character varying(40) with a USING expression that computes each value (not the column itself) rewrites the table, although the types are binary-compatible',
    ]);
    expect(await rules('ALTER TABLE leads ALTER COLUMN price TYPE numeric(12,2) USING round(price, 1);')).toEqual(['column-type-rewrite']);
    expect(await rules('ALTER TABLE leads ALTER COLUMN score TYPE integer USING score + 0;')).toEqual(['column-type-rewrite']);
  });
  it('accepts a USING that is the column itself, qualified, or cast to the new type', async () => {
    expect(await rules('ALTER TABLE leads ALTER COLUMN code TYPE text USING code;')).toEqual([]);
    expect(await rules('ALTER TABLE leads ALTER COLUMN code TYPE text USING leads.code;')).toEqual([]);
    expect(await rules('ALTER TABLE leads ALTER COLUMN code TYPE text USING code::text;')).toEqual([]);
    expect(await rules('ALTER TABLE leads ALTER COLUMN code TYPE varchar(40) USING CAST(code AS varchar(40));')).toEqual([]);
  });
  it("timestamp → timestamptz: a warning without a database (the session's TimeZone decides), nothing when its sessions are in UTC, an error when not", async () => {
    const change = async (utcSessions?: boolean) =>
      (
        await lintMigrations(
          [
            lintSourceFromText('1_events.sql', 'CREATE TABLE events (id int, at timestamp(3));', true),
            lintSourceFromText('2_zone.sql', 'ALTER TABLE events ALTER COLUMN at TYPE timestamptz;'),
          ],
          utcSessions === undefined ? {} : { catalog: { functions: [], domains: [], utcSessions } },
        )
      ).findings.map((f) => `${f.severity}: ${f.message}`);
    expect(await change()).toEqual([
      "warning: events.at: type change from timestamp(3) without time zone to timestamp with time zone rewrites the table unless the session's TimeZone is UTC (then PostgreSQL 12 and later keep the table; schemaguard does not set TimeZone: the server's, database's or role's setting decides; lint with --database-url to know)",
    ]);
    expect(await change(true)).toEqual([]);
    expect(await change(false)).toEqual([
      "error: events.at: type change from timestamp(3) without time zone to timestamp with time zone rewrites the table: the database's sessions are not in UTC (in UTC, PostgreSQL 12 and later would keep the table)",
    ]);
  });
  it('reports a change whose current type is unknown, and says so', async () => {
    const r = await lint('ALTER TABLE somewhere_else ALTER COLUMN a TYPE text;');
    expect(r.findings[0]!.message).toContain('not known from the migrations');
  });

  it('follows RENAME COLUMN: varchar(20) → text on the renamed column rewrites nothing', async () => {
    expect(await rules('ALTER TABLE leads RENAME COLUMN code TO referral_code;', 'ALTER TABLE leads ALTER COLUMN referral_code TYPE text;')).toEqual([
      'renaming-column',
    ]);
  });
  it('follows RENAME TO and SET SCHEMA: the column types go with the table', async () => {
    expect(
      await rules(
        'CREATE SCHEMA archive;\nALTER TABLE leads RENAME TO old_leads;\nALTER TABLE old_leads SET SCHEMA archive;',
        'ALTER TABLE archive.old_leads ALTER COLUMN code TYPE varchar(64);',
      ),
    ).toEqual(['renaming-table']);
    const r = await lint('ALTER TABLE leads RENAME TO prospects;', 'ALTER TABLE prospects ALTER COLUMN score TYPE bigint;');
    expect(r.findings.filter((f) => f.rule === 'column-type-rewrite').map((f) => f.message)).toEqual([
      'prospects.score: type change from integer to bigint rewrites the table',
    ]);
  });
  it('does not fire on a table created and renamed in the pending set', async () => {
    expect(await rules('CREATE TABLE t_new (a int);\nALTER TABLE t_new RENAME TO t;', 'ALTER TABLE t ALTER COLUMN a TYPE bigint;')).toEqual([]);
  });
  it('accepts a timestamp precision going up, written either way', async () => {
    expect(await rules('ALTER TABLE events ADD COLUMN at timestamp(3) with time zone;', 'ALTER TABLE events ALTER COLUMN at TYPE timestamptz(6);')).toEqual([]);
    expect(await rules('ALTER TABLE events ADD COLUMN at timestamptz(3);', 'ALTER TABLE events ALTER COLUMN at TYPE timestamp(6) with time zone;')).toEqual([]);
  });
});
