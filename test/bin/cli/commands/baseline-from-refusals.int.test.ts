/**
 * `baseline --from` for the TypeScript tools refuses what it cannot map, the
 * row named and nothing recorded: knex's held lock (a run in progress, or one
 * stopped midway), a name without a leading number, two rows on one version,
 * a dbmate version with no file, a drizzle row whose `created_at` is no
 * journal entry's `when` and one that ran another text than the file's. The
 * tables are made as each tool makes them (columns from its first run here).
 * One server: the readers' SQL does not vary by server.
 */
import { createHash } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { catalogFingerprint } from '../../../support/catalog-fingerprint';
import { runCliInProcess } from '../../../support/cli';
import { dropDatabases, freshDatabase, targets, withClient } from '../../../support/db';
import { tempDir } from '../../../support/files';

afterAll(dropDatabases);

const target = targets[0]!;

/** A database holding `sql` (a tool's history table and its rows). */
async function withHistory(label: string, sql: string): Promise<string> {
  const url = await freshDatabase(target, label);
  await withClient(url, (c) => c.query(sql));
  return url;
}

/** baseline --from `tool` over `dir`: its result, and the database left as it was. */
async function refused(tool: string, dir: string, url: string): Promise<{ code: number; stderr: string }> {
  const before = await catalogFingerprint(url);
  const r = await runCliInProcess(['baseline', '--from', tool, '--dir', dir, '--database-url', url]);
  expect(await catalogFingerprint(url)).toEqual(before);
  return r;
}

const KNEX = `CREATE TABLE knex_migrations (id serial PRIMARY KEY, name varchar(255), batch integer, migration_time timestamptz);
  CREATE TABLE knex_migrations_lock (index serial PRIMARY KEY, is_locked integer);
  INSERT INTO knex_migrations (name, batch, migration_time) VALUES ('20240101000001_leads.js', 1, now())`;

describe(`CLI: baseline --from refuses what it cannot map, the row named, on ${target.name}`, () => {
  it('knex: a held lock (is_locked = 1) is refused with knex migrate:unlock; released, the same table is adopted', async () => {
    const dir = tempDir({ '20240101000001_leads.sql': 'SELECT 1;' });
    const url = await withHistory('refuse_knex_lock', `${KNEX}; INSERT INTO knex_migrations_lock (is_locked) VALUES (1)`);
    const r = await refused('knex', dir, url);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(
      'baseline --from knex: detected a held lock (knex_migrations_lock: is_locked = 1): a knex migration is running, or one stopped midway and left it; nothing was recorded',
    );
    expect(r.stderr).toContain('knex migrate:unlock');
    await withClient(url, (c) => c.query('UPDATE knex_migrations_lock SET is_locked = 0'));
    const ok = await runCliInProcess(['baseline', '--from', 'knex', '--dir', dir, '--database-url', url]);
    expect(ok.code, ok.stderr).toBe(0);
  });

  it('sequelize: a name without a leading number; kysely: two names on one version', async () => {
    const dir = tempDir({ '20240101_leads.sql': 'SELECT 1;' });
    const seq = await withHistory(
      'refuse_sequelize',
      `CREATE TABLE "SequelizeMeta" (name varchar(255) PRIMARY KEY); INSERT INTO "SequelizeMeta" VALUES ('create-leads.js')`,
    );
    const kys = await withHistory(
      'refuse_kysely',
      `CREATE TABLE kysely_migration (name varchar(255) PRIMARY KEY, timestamp varchar(255) NOT NULL);
      INSERT INTO kysely_migration VALUES ('2024_01_01_leads', '2024-01-01T00:00:00.000Z'), ('2024_01_01_notes', '2024-01-01T00:00:01.000Z')`,
    );
    const s = await refused('sequelize', dir, seq);
    const k = await refused('kysely', dir, kys);
    expect(s.code).toBe(2);
    expect(s.stderr).toContain('baseline --from sequelize: public."SequelizeMeta" has "create-leads.js", which has no leading number to take as its version');
    expect(k.code).toBe(1);
    expect(k.stderr).toContain(
      'baseline --from kysely: public.kysely_migration rows 2024_01_01_leads and 2024_01_01_notes: both map to version 20240101; nothing was recorded',
    );
  });

  it('dbmate: a version it applied that no file here has is listed', async () => {
    const dir = tempDir({ '20240101000001_leads.sql': '-- migrate:up\nSELECT 1;\n' });
    const url = await withHistory(
      'refuse_dbmate',
      "CREATE TABLE schema_migrations (version varchar(128) PRIMARY KEY); INSERT INTO schema_migrations VALUES ('20240101000001'), ('20240101000009')",
    );
    const r = await refused('dbmate', dir, url);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(
      'baseline --from dbmate: public.schema_migrations and the files disagree; applied there but no file here: 20240101000009; nothing was recorded',
    );
  });

  it('drizzle: a row no journal entry has, and a row that ran another text than the file, are named', async () => {
    const text = 'CREATE TABLE leads (id int PRIMARY KEY);\n';
    const journal = JSON.stringify({
      version: '7',
      dialect: 'postgresql',
      entries: [{ idx: 0, version: '7', when: 1700000000000, tag: '0000_leads', breakpoints: true }],
    });
    const dir = tempDir({ 'meta/_journal.json': journal, '0000_leads.sql': text });
    const table = 'CREATE SCHEMA drizzle; CREATE TABLE drizzle.__drizzle_migrations (id serial PRIMARY KEY, hash text NOT NULL, created_at bigint)';
    const sha = (s: string) => createHash('sha256').update(s).digest('hex');
    const stray = await withHistory(
      'refuse_drizzle_when',
      `${table}; INSERT INTO drizzle.__drizzle_migrations (hash, created_at) VALUES ('${sha(text)}', 1700000000999)`,
    );
    const edited = await withHistory(
      'refuse_drizzle_hash',
      `${table}; INSERT INTO drizzle.__drizzle_migrations (hash, created_at) VALUES ('${sha('CREATE TABLE leads (id bigint PRIMARY KEY);\n')}', 1700000000000)`,
    );
    const w = await refused('drizzle', dir, stray);
    const h = await refused('drizzle', dir, edited);
    expect(w.code).toBe(1);
    expect(w.stderr).toMatch(
      /baseline --from drizzle: drizzle\.__drizzle_migrations row id 1 \(created_at 1700000000999, hash [0-9a-f]{12}\) is no migration here: no journal entry has when = 1700000000999; nothing was recorded/,
    );
    expect(h.code).toBe(1);
    expect(h.stderr).toMatch(
      /baseline --from drizzle: drizzle\.__drizzle_migrations row id 1 \(created_at 1700000000000, hash [0-9a-f]{12}\) ran 0000_leads\.sql with another text \(its hash is not the file's, [0-9a-f]{12}\); nothing was recorded/,
    );
  });
});
