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
