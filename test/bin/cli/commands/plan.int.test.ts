/** `schemaguard plan` through the real executable. */
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../../../support/cli';
import { catalogFingerprint } from '../../../support/catalog-fingerprint';
import { dropDatabases, freshDatabase, rows, targets, withClient } from '../../../support/db';
import { tempDir } from '../../../support/files';

afterAll(dropDatabases);

const target = targets[0]!;

describe(`CLI: schemaguard plan on ${target.name}`, () => {
  it('plan writes nothing — not even the state table — and runs on a read-only connection', async () => {
    const url = await freshDatabase(target, 'plan');
    await withClient(url, (c) => c.query('CREATE TABLE existing (id int); INSERT INTO existing VALUES (1)'));
    const dir = tempDir({ '1_a.sql': 'CREATE TABLE a (id int);', '2_idx.sql': '-- schemaguard:no-transaction\n-- schemaguard:lock-timeout=2s\nCREATE INDEX CONCURRENTLY i ON a (id);' });
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
