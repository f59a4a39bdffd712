/**
 * `schemaguard plan --trace` as the CLI runs it (its `main`, in process; with
 * an embedded server, through the real executable): the pending files
 * run on a copy of the target's schema (a database the trace makes on the
 * scratch server and drops), each row beside what PostgreSQL did, and the
 * target exactly as it was.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readCatalog } from '../../../../lambda/schema/catalog';
import { runCli, runCliInProcess } from '../../../support/cli';
import { catalogFingerprint } from '../../../support/catalog-fingerprint';
import { dropDatabases, freshDatabase, rows, versionPair, withClient } from '../../../support/db';
import { tempDir } from '../../../support/files';

afterAll(dropDatabases);

const [newest, older] = [versionPair[0]!, versionPair[1]];

const APPLIED = `CREATE TABLE orders (id bigint PRIMARY KEY, customer_id int, note text);
CREATE INDEX orders_customer ON orders (customer_id);
CREATE VIEW order_notes AS SELECT id, note FROM orders;
INSERT INTO orders SELECT g, g % 10, 'n' FROM generate_series(1, 500) g;
`;

const PENDING = {
  '2_change.sql': `ALTER TABLE orders ADD COLUMN status text DEFAULT 'new';
ALTER TABLE orders ALTER COLUMN customer_id TYPE bigint;
UPDATE orders SET status = 'old';
DO $$BEGIN EXECUTE 'ALTER TABLE orders ALTER COLUMN note SET NOT NULL'; END$$;
`,
  '3_index.sql': '-- schemaguard:no-transaction\nCREATE INDEX CONCURRENTLY orders_note ON orders (note);\n',
};

/** A target with the first file applied (by migrate) and rows, and the directory with every file. */
async function project(label: string, target = newest): Promise<{ url: string; dir: string }> {
  const url = await freshDatabase(target, label);
  const dir = tempDir({ '1_orders.sql': APPLIED });
  const migrated = await runCliInProcess(['migrate', '--dir', dir, '--database-url', url]);
  expect(migrated.code, migrated.stderr).toBe(0);
  for (const [name, text] of Object.entries(PENDING)) writeFileSync(join(dir, name), text);
  return { url, dir };
}

/** What a trace could change on the target: its catalog (every part the drift dump reads), its rows, table by table. */
async function targetState(url: string): Promise<unknown> {
  const catalog = await withClient(url, (c) => readCatalog(c, { schemas: ['public', 'schemaguard'] }));
  const counts = await rows(url, 'SELECT (SELECT count(*) FROM orders)::int AS orders, (SELECT count(*) FROM schemaguard.applied_migrations)::int AS applied');
  return { catalog, counts, fingerprint: await catalogFingerprint(url) };
}

async function traceDatabases(adminUrl: string): Promise<unknown[]> {
  return rows(adminUrl, "SELECT datname FROM pg_database WHERE datname LIKE 'schemaguard\\_trace\\_%'");
}

describe(`CLI: schemaguard plan --trace, on ${newest.name}`, () => {
  it('gives each statement predicted and observed lock, rewrite and scan, with mismatch false where they agree, and leaves the target as it was', async () => {
    const { url, dir } = await project('trace_json');
    const before = await targetState(url);

    const r = await runCliInProcess(['plan', '--dir', dir, '--database-url', url, '--trace-database', newest.adminUrl, '--json']);

    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.trace).toMatchObject({ major: newest.major, statements: 5, mismatches: 0, failed: 0, notCopied: [] });
    const [addColumn, alterType, update, doBlock, cic] = out.statements;
    expect(addColumn).toMatchObject({
      line: 1,
      predicted: { lock: 'ACCESS EXCLUSIVE', rewrites: false, scans: false },
      observed: { lock: 'ACCESS EXCLUSIVE', rewrites: false, scans: false, locks: [{ relation: 'public.orders', lock: 'ACCESS EXCLUSIVE' }] },
      mismatch: false,
    });
    // ACCESS EXCLUSIVE is held from line 1: not taken again; the rewrite is seen in the new file node.
    expect(alterType).toMatchObject({
      predicted: { lock: 'ACCESS EXCLUSIVE', rewrites: true, scans: true },
      observed: { held: ['ACCESS EXCLUSIVE'], rewrites: true, scans: true },
      mismatch: false,
    });
    expect(update).toMatchObject({ predicted: { lock: 'ROW EXCLUSIVE', scans: true }, observed: { lock: 'ROW EXCLUSIVE', scans: true }, mismatch: false });
    // A DO block plan does not read: the trace says what it did (its table held already, read for the NOT NULL).
    expect(doBlock).toMatchObject({ notRead: true, observed: { scans: true }, mismatch: false });
    expect(cic).toMatchObject({
      predicted: { lock: 'SHARE UPDATE EXCLUSIVE' },
      observed: { lock: 'SHARE UPDATE EXCLUSIVE', outside: true, scans: true },
      mismatch: false,
    });
    expect(await targetState(url)).toEqual(before);
    expect(await traceDatabases(newest.adminUrl)).toEqual([]);
  });

  it('shows what the server took beside each predicted cell, and a statement that fails on the copy as a trace-failed warning', async () => {
    const { url, dir } = await project('trace_text');
    writeFileSync(join(dir, '4_label.sql'), "SECURITY LABEL FOR nobody ON TABLE orders IS 'x';\n");

    const r = await runCliInProcess(['plan', '--dir', dir, '--database-url', url, '--trace-database', newest.adminUrl]);

    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/where\s+lock\s+seen lock\s+table\s+rows\s+size\s+rewrites\s+seen\s+scans\s+seen\s+statement/);
    expect(r.stdout).toMatch(/2_change\.sql:2\s+ACCESS EXCLUSIVE\s+ACCESS EXCLUSIVE \(held\)\s+public\.orders\s+500/);
    expect(r.stdout).toMatch(/3_index\.sql:2\s+SHARE UPDATE EXCLUSIVE\s+SHARE UPDATE EXCLUSIVE\s+public\.orders/);
    expect(r.stdout).toContain(`seen: what PostgreSQL ${newest.major} took running each statement on a copy of the schema without rows`);
    expect(r.stdout).toContain('0 rows differ from plan (!), 1 statement failed');
    expect(r.stdout).toContain(
      '4_label.sql:1:1: warning trace-failed: the statement failed on the copy: 22023: security label provider "nobody" is not loaded',
    );
    expect(await traceDatabases(newest.adminUrl)).toEqual([]);
  });

  it('refuses a --trace-database that names the target database: exit 2, nothing run, no database made', async () => {
    const { url, dir } = await project('trace_self');
    const before = await targetState(url);

    const r = await runCliInProcess(['plan', '--dir', dir, '--database-url', url, '--trace-database', url]);

    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--trace-database names the target database');
    expect(r.stderr).toContain('fix: name a scratch server');
    expect(await targetState(url)).toEqual(before);
    expect(await traceDatabases(newest.adminUrl)).toEqual([]);
  });

  it('--offline --trace-database: every file runs on an empty copy, in order', async () => {
    const dir = tempDir({ '1_orders.sql': APPLIED, ...PENDING });

    const r = await runCliInProcess(['plan', '--offline', '--dir', dir, '--trace-database', newest.adminUrl, '--json']);

    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.trace).toMatchObject({ copied: 0, mismatches: 0, failed: 0 });
    expect(out.statements.every((s: { observed?: unknown }) => s.observed)).toBe(true);
  });
});

describe.runIf(older)('CLI: schemaguard plan --trace on a server of another major', () => {
  it('compares each row with what plan says of the copy server, and says the target runs another major', async () => {
    const { url, dir } = await project('trace_major', older);

    const r = await runCliInProcess(['plan', '--dir', dir, '--database-url', url, '--trace-database', newest.adminUrl]);

    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(
      `note: the target runs PostgreSQL ${older!.major} and the copy ${newest.major}: each row is compared with what plan says of PostgreSQL ${newest.major}`,
    );
    expect(r.stdout).toContain('0 rows differ from plan');
  });
});

describe('CLI: schemaguard plan --trace on the embedded server', () => {
  it('makes the copy on the embedded server under --embedded-dir when no --trace-database is given', async () => {
    const root = tempDir(
      { 'migrations/1_orders.sql': APPLIED, ...Object.fromEntries(Object.entries(PENDING).map(([k, v]) => [`migrations/${k}`, v])) },
      'trace-embedded',
    );

    const r = await runCli(['plan', '--offline', '--trace', '--embedded-dir', `${root}/pg`, '--json'], {
      cwd: root,
      env: { DATABASE_URL: undefined },
      timeoutMs: 180_000,
    });

    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.trace).toMatchObject({ server: `the embedded server (${root}/pg/)`, major: 18, mismatches: 0, failed: 0 });
  }, 200_000);
});
