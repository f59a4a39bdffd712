/**
 * The executable's exit: whatever the command printed reaches a reader that
 * is slower than the CLI, whole, on every way out (success, failure, bad
 * input, an internal error), even when it is far larger than a pipe's
 * 64 KiB; and a reader that goes away ends the output, not the command.
 * (The embedded server's stop is covered in cli/embedded.int.test.ts.)
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { CLI, ROOT, runCli, runNode } from '../support/cli';
import { dropDatabases, freshDatabase, rows, targets } from '../support/db';
import { manyMigrations, tempDir } from '../support/files';

afterAll(dropDatabases);

const target = targets[0]!;
const PIPE_BUFFER = 64 * 1024;
/** The reader starts 3 s late: a CLI that exits without waiting for its output loses all but 64 KiB. */
const slowly = { slowReaderMs: 3_000, timeoutMs: 120_000 };

describe(`schemaguard's output through a slow pipe, on ${target.name}`, () => {
  it('status --json of 400 applied migrations parses whole (exit 0)', async () => {
    const url = await freshDatabase(target, 'big_status');
    const dir = tempDir(manyMigrations(400));
    const migrated = await runCli(['migrate', '--dir', dir, '--database-url', url, '--quiet'], { timeoutMs: 120_000 });

    const r = await runCli(['status', '--dir', dir, '--database-url', url, '--json'], slowly);

    expect(migrated.code, migrated.stderr).toBe(0);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.length).toBeGreaterThan(2 * PIPE_BUFFER);
    const status = JSON.parse(r.stdout);
    expect(status.migrations).toHaveLength(400);
    expect(status.migrations[399]).toMatchObject({ version: 400, status: 'applied' });
  });

  it('a failed migration with a 100 KB detail prints the whole error, as JSON on stdout and as text on stderr (exit 1)', async () => {
    const url = await freshDatabase(target, 'big_error');
    const dir = tempDir({ '1_fails.sql': "DO $$ BEGIN RAISE EXCEPTION 'too much' USING DETAIL = repeat('d', 100000) || 'END'; END $$;\n" });

    const json = await runCli(['migrate', '--dir', dir, '--database-url', url, '--json', '--quiet'], slowly);
    const text = await runCli(['migrate', '--dir', dir, '--database-url', url, '--quiet'], slowly);

    expect(json.code, json.stderr).toBe(1);
    const error = JSON.parse(json.stdout);
    expect(error).toMatchObject({ error: 'StatementError', file: '1_fails.sql', sqlstate: 'P0001' });
    expect(error.detail).toBe(`${'d'.repeat(100000)}END`);
    expect(text.code).toBe(1);
    expect(text.stderr).toContain(`detail: ${'d'.repeat(100000)}END\n`);
  });

  it('bad input with a 100 KB value prints the whole JSON error (exit 2)', async () => {
    const value = 'v'.repeat(100000);
    const dir = tempDir({ '1_a.sql': `-- schemaguard:frobnicate ${value}\nSELECT 1;\n` });

    const r = await runCli(['status', '--dir', dir, '--json'], { ...slowly, env: { DATABASE_URL: undefined } });

    expect(r.code).toBe(2);
    expect(JSON.parse(r.stdout)).toMatchObject({ error: 'InputError', file: '1_a.sql', line: 1, value: `-- schemaguard:frobnicate ${value}` });
  });

  it('an internal error (a failure main did not turn into an exit code) prints all that came before and its whole stack (exit 1)', async () => {
    // The path is unreachable from the command line by design; run it as the entry point does.
    const exitModule = join(ROOT, 'bin', 'cli', 'exit.ts');
    const script = `import { exitOnInternalError } from ${JSON.stringify(exitModule)};
      process.stdout.write('o'.repeat(200000) + 'END');
      exitOnInternalError(new Error('e'.repeat(200000) + 'END'));`;

    const r = await runNode(['--import', 'tsx', '--input-type=module', '-e', script], slowly);

    expect(r.code).toBe(1);
    expect(r.stdout).toBe(`${'o'.repeat(200000)}END`);
    expect(r.stderr).toContain(`schemaguard: internal error: Error: ${'e'.repeat(200000)}END\n    at `);
  });

  it('migrate through one pipe for stdout and stderr (2>&1): every progress line, in order, then the summary; the lines go out in a few writes, not one each', async () => {
    const url = await freshDatabase(target, 'merged_order');
    const dir = tempDir(manyMigrations(300));
    // Counts the process's writes to stderr (a preload, so the executable runs as shipped).
    const counter = tempDir(
      {
        'count.cjs': `const write = process.stderr.write.bind(process.stderr); let n = 0;
        process.stderr.write = (...a) => { n++; return write(...a); };
        process.on('exit', () => require('node:fs').writeFileSync(__dirname + '/writes', String(n)));`,
      },
      'counter',
    );

    const r = await promisify(execFile)(
      'bash',
      ['-c', 'node --require "$COUNTER" "$0" "$@" 2>&1', CLI, 'migrate', '--dir', dir, '--database-url', url],
      // From the migrations' folder: no project file above it (the repository's own would add a `config:` line).
      { timeout: 120_000, cwd: dir, env: { ...process.env, COUNTER: join(counter, 'count.cjs') } },
    );

    const lines = r.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^migrate postgres:\/\/.*: 300 migrations in /);
    expect(lines[1]).toBe('  0 applied, 300 pending');
    expect(lines.slice(2, 302).map((l) => /^ {2}applied (\S+)/.exec(l)?.[1])).toEqual(Object.keys(manyMigrations(300)).sort());
    expect(lines[302]).toMatch(/^applied 300 migrations in .*; version 300, 300 applied$/);
    expect(lines).toHaveLength(303);
    expect(Number(readFileSync(join(counter, 'writes'), 'utf8'))).toBeLessThan(100);
  });

  it('a reader that goes away (| head -c 10) ends the output, not the migration: no EPIPE crash, the run completes (exit 0)', async () => {
    const url = await freshDatabase(target, 'reader_gone');
    const dir = tempDir(manyMigrations(300));
    // Progress goes to stderr; the summary and JSON to stdout, which head closes after 10 bytes.
    const shell = 'node "$0" "$@" 2>&1 | head -c 10 >/dev/null; exit ${PIPESTATUS[0]}';

    const r = await promisify(execFile)('bash', ['-c', shell, CLI, 'migrate', '--dir', dir, '--database-url', url, '--json'], { timeout: 120_000 }).then(
      () => ({ code: 0 }),
      (e: { code: number }) => ({ code: e.code }),
    );

    expect(r.code).toBe(0);
    expect(await rows(url, 'SELECT count(*)::int AS n FROM schemaguard.applied_migrations')).toEqual([{ n: 300 }]);
  });
});
