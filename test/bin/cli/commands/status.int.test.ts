/** `schemaguard status` through the real executable. */
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../../../support/cli';
import { dropDatabases, freshDatabase, targets } from '../../../support/db';
import { addFile, tempDir } from '../../../support/files';

afterAll(dropDatabases);

const target = targets[0]!;

describe(`CLI: schemaguard status on ${target.name}`, () => {
  it('status shows the table: applied with their time, pending, and the counts', async () => {
    const url = await freshDatabase(target, 'status');
    const dir = tempDir({ '1_a.sql': 'CREATE TABLE a (id int);', '2_b.sql': 'CREATE TABLE b (id int);' });
    expect((await runCli(['migrate', '--dir', dir, '--database-url', url, '--quiet'])).code).toBe(0);
    addFile(dir, '3_c.sql', 'CREATE TABLE c (id int);');

    const s = await runCli(['status', '--dir', dir, '--database-url', url]);

    expect(s.code).toBe(0);
    expect(s.stdout).toMatch(/version\s+name\s+status\s+applied at\s+checksum/);
    expect(s.stdout).toMatch(/1\s+a\s+applied\s+\d{4}-\d\d-\d\d/);
    expect(s.stdout).toMatch(/3\s+c\s+pending/);
    expect(s.stdout).toContain('2 applied, 1 pending, 0 changed, 0 unknown; version 2');
  });
});

describe.each(targets)('CLI: schemaguard status --exit-code on $name', (t) => {
  it('exits 0 when up to date, 1 when a file is pending or changed, naming them on stderr', async () => {
    const url = await freshDatabase(t, 'status_gate');
    const dir = tempDir({ '1_a.sql': 'CREATE TABLE a (id int);' });
    expect((await runCli(['migrate', '--dir', dir, '--database-url', url, '--quiet'])).code).toBe(0);
    const upToDate = await runCli(['status', '--exit-code', '--dir', dir, '--database-url', url]);
    addFile(dir, '2_b.sql', 'CREATE TABLE b (id int);');
    const pending = await runCli(['status', '--exit-code', '--dir', dir, '--database-url', url]);
    const plain = await runCli(['status', '--dir', dir, '--database-url', url]);
    addFile(dir, '1_a.sql', 'CREATE TABLE a (id bigint);');
    const changed = await runCli(['status', '--exit-code', '--dir', dir, '--database-url', url, '--json']);

    expect(upToDate.code, upToDate.stderr).toBe(0);
    expect(pending.code).toBe(1);
    expect(pending.stderr).toContain('status --exit-code: 1 pending (2_b.sql)');
    expect(pending.stdout).toMatch(/2\s+b\s+pending/);
    expect(plain.code).toBe(0);
    expect(changed.code).toBe(1);
    expect(changed.stderr).toContain('1 changed after it was applied (1_a.sql)');
    expect(JSON.parse(changed.stdout).command).toBe('status');
  });
});
