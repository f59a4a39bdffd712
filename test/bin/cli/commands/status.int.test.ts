/** `schemaguard status`: through the real executable in the first test, in process (`runCliInProcess`, the same `main`) in the others. */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli, runCliInProcess } from '../../../support/cli';
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
    expect((await runCliInProcess(['migrate', '--dir', dir, '--database-url', url, '--quiet'])).code).toBe(0);
    const upToDate = await runCliInProcess(['status', '--exit-code', '--dir', dir, '--database-url', url]);
    addFile(dir, '2_b.sql', 'CREATE TABLE b (id int);');
    const pending = await runCliInProcess(['status', '--exit-code', '--dir', dir, '--database-url', url]);
    const plain = await runCliInProcess(['status', '--dir', dir, '--database-url', url]);
    addFile(dir, '1_a.sql', 'CREATE TABLE a (id bigint);');
    const changed = await runCliInProcess(['status', '--exit-code', '--dir', dir, '--database-url', url, '--json']);

    expect(upToDate.code, upToDate.stderr).toBe(0);
    expect(pending.code).toBe(1);
    expect(pending.stderr).toContain('status --exit-code: 1 pending (2_b.sql)');
    expect(pending.stdout).toMatch(/2\s+b\s+pending/);
    expect(plain.code).toBe(0);
    expect(changed.code).toBe(1);
    expect(changed.stderr).toContain('1 changed after it was applied (1_a.sql)');
    expect(JSON.parse(changed.stdout).command).toBe('status');
    // Regression (helper): under --format github the gate failed the job with no annotation saying why.
    const github = await runCliInProcess(['status', '--exit-code', '--dir', dir, '--database-url', url, '--format', 'github']);
    expect(github.code).toBe(1);
    const annotations = github.stdout.split('\n').filter((l) => l.startsWith('::'));
    expect(annotations).toHaveLength(2);
    expect(annotations[0]).toMatch(/^::error file=.*1_a\.sql,line=1,title=schemaguard status failed::1_a\.sql changed after it was applied$/);
    expect(annotations[1]).toBe('::error title=schemaguard status failed::status --exit-code: 1 pending (2_b.sql); 1 changed after it was applied (1_a.sql)');
  });
});

// Regression (helper): the gate passed (0) where migrate then refused (1): versions applied above every file; and plan listed an out-of-order file as any other.
describe(`CLI: status --exit-code and plan where migrate would refuse, on ${target.name}`, () => {
  it('versions applied above every file fail the gate unless --allow-ahead; plan warns of a file older than the newest applied one', async () => {
    const url = await freshDatabase(target, 'status_ahead');
    const dir = tempDir({ '1_a.sql': 'CREATE TABLE a (id int);', '2_b.sql': 'CREATE TABLE b (id int);' });
    expect((await runCliInProcess(['migrate', '--dir', dir, '--database-url', url, '--quiet'])).code).toBe(0);
    rmSync(join(dir, '2_b.sql'));
    const gate = await runCliInProcess(['status', '--exit-code', '--dir', dir, '--database-url', url]);
    expect(gate.code).toBe(1);
    expect(gate.stderr).toContain('status --exit-code: 1 applied above the newest file (version 2: migrate refuses without --allow-ahead)');
    expect((await runCliInProcess(['migrate', '--dir', dir, '--database-url', url, '--quiet'])).code).toBe(1);
    expect((await runCliInProcess(['status', '--exit-code', '--allow-ahead', '--dir', dir, '--database-url', url])).code).toBe(0);

    addFile(dir, '2_b.sql', 'CREATE TABLE b (id int);');
    addFile(dir, '3_c.sql', 'CREATE TABLE c (id int);');
    expect((await runCliInProcess(['migrate', '--dir', dir, '--database-url', url, '--quiet'])).code).toBe(0);
    addFile(dir, '0_early.sql', 'CREATE TABLE early (id int);');
    const plan = await runCliInProcess(['plan', '--dir', dir, '--database-url', url]);
    expect(plan.stdout).toContain(
      'warning: migrate through this URL will refuse to run: 0_early.sql is pending but older than the newest applied version 3\n  fix: renumber it above 3, or pass --out-of-order if it is independent of the newer migrations',
    );
  });
});

describe(`CLI: an applied file deleted from between the others, on ${target.name}`, () => {
  it('status names the missing version, its place and the fix (--exit-code fails); migrate refuses saying the same, not "older code against a newer database"', async () => {
    // Prepare: three applied, the middle file deleted, a new one added
    const url = await freshDatabase(target, 'missing_middle');
    const dir = tempDir({ '0001_a.sql': 'CREATE TABLE a (id int);', '0002_b.sql': 'CREATE TABLE b (id int);', '0003_c.sql': 'CREATE TABLE c (id int);' });
    expect((await runCliInProcess(['migrate', '--dir', dir, '--database-url', url, '--quiet'])).code).toBe(0);
    rmSync(join(dir, '0002_b.sql'));
    addFile(dir, '0004_d.sql', 'CREATE TABLE d (id int);');

    // Act
    const status = await runCliInProcess(['status', '--dir', dir, '--database-url', url]);
    const gate = await runCliInProcess(['status', '--exit-code', '--dir', dir, '--database-url', url]);
    const run = await runCliInProcess(['migrate', '--dir', dir, '--database-url', url, '--json']);

    // Assess
    expect(status.code).toBe(0);
    expect(status.stdout).toContain(`applied in the database but missing from ${dir}/: version 2 (b), between 0001_a.sql and 0003_c.sql`);
    expect(status.stdout).toContain(`fix: restore the file (it was deleted or renamed): git log --diff-filter=DR --name-status -- ${dir}/`);
    expect(gate.code).toBe(1);
    expect(gate.stderr).toContain(`status --exit-code: 1 applied but missing from ${dir}/ (version 2); 1 pending (0004_d.sql)`);
    expect(run.code).toBe(1);
    const error = JSON.parse(run.stdout) as { error: string; message: string; fix: string; unknownVersions: number[] };
    expect(error).toMatchObject({ error: 'DatabaseAheadError', unknownVersions: [2] });
    expect(error.message).toBe(`applied migration missing from ${dir}/: version 2 (b), between 0001_a.sql and 0003_c.sql; nothing was run`);
    expect(error.fix).toContain('restore the file');
    expect(error.fix).not.toContain('older code');
    // Nothing ran: 0004 is still pending.
    expect((await runCliInProcess(['status', '--dir', dir, '--database-url', url])).stdout).toMatch(/4\s+d\s+pending/);
  });

  it('a version above every file is still the database ahead of the code (a rollback), as before', async () => {
    const url = await freshDatabase(target, 'ahead');
    const dir = tempDir({ '0001_a.sql': 'CREATE TABLE a (id int);', '0002_b.sql': 'CREATE TABLE b (id int);' });
    expect((await runCliInProcess(['migrate', '--dir', dir, '--database-url', url, '--quiet'])).code).toBe(0);
    rmSync(join(dir, '0002_b.sql'));

    const run = await runCliInProcess(['migrate', '--dir', dir, '--database-url', url]);
    const status = await runCliInProcess(['status', '--exit-code', '--dir', dir, '--database-url', url]);

    expect(run.code).toBe(1);
    expect(run.stderr).toContain('the database has applied migrations that are not in the files: 2 (b)');
    expect(run.stderr).toContain('older code against a newer database');
    // The gate fails where migrate refuses; --allow-ahead (a rollback expected) passes both.
    expect(status.code).toBe(1);
    expect(status.stdout).not.toContain('missing from');
    expect((await runCliInProcess(['status', '--exit-code', '--allow-ahead', '--dir', dir, '--database-url', url])).code).toBe(0);
    expect((await runCliInProcess(['migrate', '--allow-ahead', '--dir', dir, '--database-url', url, '--quiet'])).code).toBe(0);
  });
});
