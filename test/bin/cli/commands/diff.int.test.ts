/** `schemaguard diff` through the real executable. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../../support/cli';
import { dropDatabases, freshDatabase, targets, withClient } from '../../../support/db';
import { runFixes } from '../../../support/schema-fixes';

afterAll(dropDatabases);

const target = targets[0]!;

describe(`CLI: schemaguard diff on ${target.name}, on a migrated database`, () => {
  let url: string;
  beforeAll(async () => {
    url = await freshDatabase(target, 'cli_diff');
    await runFixes(url);
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

  /** With `made` in the database (dropped after by `drop`): diff exits 0 with `note` and no drift; then `more`. */
  async function noteNotDrift(made: string, drop: string, note: string, more: () => Promise<void> = async () => {}): Promise<void> {
    await withClient(url, (c) => c.query(made));
    try {
      const r = await runCli(['diff', '--database-url', url]);
      expect(r.code, r.stdout).toBe(0);
      expect(r.stdout).toContain(note);
      expect(r.stdout).toContain('no drift');
      await more();
    } finally {
      await withClient(url, (c) => c.query(drop));
    }
  }

  it('a schema made outside the migrations is a note, not drift (exit 0)', async () => {
    await noteNotDrift('CREATE SCHEMA audit; CREATE TABLE audit.events (id int)', 'DROP SCHEMA audit CASCADE',
      'note: schema not in the snapshot, not compared: audit (made outside the migrations; guard reports it as a ticket)');
  });

  // Regression (helper): after adopting from Flyway, diff failed (exit 1) forever on its history table, "only in live".
  it('another tool\'s history table kept after adoption is a note, not drift (exit 0)', async () => {
    await noteNotDrift('CREATE TABLE flyway_schema_history (installed_rank int PRIMARY KEY, version varchar(50))',
      'DROP TABLE flyway_schema_history; DROP TABLE IF EXISTS flyway_schema_history_copy',
      "note: another tool's history, not compared: public.flyway_schema_history (kept from before schemaguard; drop it once nothing reads it)",
      async () => {
        // A table of any other name is drift.
        await withClient(url, (c) => c.query('CREATE TABLE flyway_schema_history_copy (id int)'));
        expect((await runCli(['diff', '--database-url', url])).code).toBe(1);
      });
  });

  it('diff says when migrations are not applied yet, and exits 2 without a snapshot', async () => {
    const empty = await freshDatabase(target, 'cli_diff_empty');
    const r = await runCli(['diff', '--database-url', empty]);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/note: \d+ migrations are not applied here .*run migrate first/);
    const missing = await runCli(['diff', '--database-url', empty, '--snapshot', '/nonexistent/snapshot.json']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('/nonexistent/snapshot.json: cannot read the schema snapshot (ENOENT)');
    expect(missing.stderr).toContain('schemaguard snapshot');
  });
});
