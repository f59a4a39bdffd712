/**
 * Ctrl-C during `migrate --database-url`: one line says the run was
 * interrupted and what state the database is in, and the process still ends
 * by SIGINT (a shell's exit status 130). The line's claim is checked: the
 * interrupted migration's transaction is rolled back, nothing of it stays.
 */
import { spawn } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';
import { RunProgress } from '../../../../bin/cli/commands/interrupt';
import { parseMigration } from '../../../../lambda/engine/files/source';
import { CLI, ROOT, runCli } from '../../../support/cli';
import { dropDatabases, freshDatabase, rows, targets, withClient } from '../../../support/db';
import { tempDir } from '../../../support/files';
import { COUNT_RUNS, sleepFirstRun, waitForMarker } from '../../../faults/support';

afterAll(dropDatabases);

/** Waits until no backend runs a statement marked `marker` (the server ended the orphan); fails after `timeoutMs`. */
async function untilGone(url: string, marker: string, timeoutMs = 15_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    const found = await rows(url, `SELECT 1 FROM pg_stat_activity WHERE pid <> pg_backend_pid() AND query LIKE $1 AND query NOT LIKE '%pg_stat_activity%'`, [
      `%${marker}%`,
    ]);
    if (found.length === 0) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`a backend still ran ${marker} after ${timeoutMs} ms`);
}

type Exit = { code: number | null; signal: NodeJS.Signals | null };

/** `migrate --database-url …args` run by the CLI, sent SIGINT (what Ctrl-C sends) once `when` resolves; its exit and stderr. */
async function migrateSignalled(
  url: string,
  dir: string,
  args: string[],
  when: (stderr: () => string) => Promise<void>,
): Promise<{ exit: Exit; stderr: string }> {
  const child = spawn(process.execPath, [CLI, 'migrate', '--dir', dir, '--database-url', url, ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d) => {
    stderr += d;
  });
  // 'close', not 'exit': stderr is read to its end
  const exited = new Promise<Exit>((r) => child.on('close', (code, signal) => r({ code, signal })));
  await Promise.race([when(() => stderr), exited]);
  child.kill('SIGINT');
  return { exit: await exited, stderr };
}

/** SIGINT once `marker`'s statement runs; returns once the server's session is gone too. */
async function migrateInterrupted(url: string, dir: string, marker: string): Promise<{ exit: Exit; stderr: string }> {
  const run = await migrateSignalled(url, dir, [], async () => {
    await waitForMarker(url, marker, 10_000, { inSleep: true });
  });
  await untilGone(url, marker);
  return run;
}

/** Resolves when `text()` matches `pattern`; fails after `timeoutMs`. */
async function untilPrinted(text: () => string, pattern: RegExp, timeoutMs = 30_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!pattern.test(text())) {
    if (Date.now() > until) throw new Error(`not printed within ${timeoutMs} ms: ${pattern}\n${text()}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe.each(targets)('CLI: Ctrl-C during schemaguard migrate --database-url, on $name', (t) => {
  it('says the run was interrupted during which file and that nothing of it is applied; ends by SIGINT; the rerun applies it', async () => {
    // Prepare: the second migration creates a table, then runs for 30 s on its first execution only (nextval survives the rollback)
    const url = await freshDatabase(t, 'interrupt');
    const dir = tempDir({
      '0001_a.sql': `CREATE TABLE a (id int);\n${COUNT_RUNS}`,
      '0002_b.sql': `CREATE TABLE b (id int);\nSELECT 'marker_interrupt' AS m, ${sleepFirstRun(30)};`,
    });
    // Act: SIGINT (what Ctrl-C sends) while 0002 runs
    const { exit, stderr } = await migrateInterrupted(url, dir, 'marker_interrupt');

    // Assess
    expect(exit, 'ended by SIGINT, as before: a shell reports 130').toEqual({ code: null, signal: 'SIGINT' });
    expect(stderr).toContain(
      'migrate interrupted (SIGINT) during 0002_b.sql: its transaction is rolled back as the connection closes, unless the server had already ' +
        'reached its COMMIT (schemaguard status shows which): it is applied whole or not at all; 1 migration applied by this run stays applied; run schemaguard migrate again to continue\n',
    );
    expect(await rows(url, "SELECT to_regclass('b') AS b")).toEqual([{ b: null }]);
    expect(await rows(url, 'SELECT version FROM schemaguard.applied_migrations ORDER BY version')).toEqual([{ version: '1' }]);
    const rerun = await runCli(['migrate', '--dir', dir, '--database-url', url]);
    expect(rerun.code, rerun.stderr).toBe(0);
    expect(rerun.stdout).toMatch(/^applied 1 migration .*; version 2, 2 applied/);
  }, 60_000);
});

// The CLI's bookkeeping, not the server's: on the first server only (the test above runs the signal path on both).
describe(`CLI: Ctrl-C during schemaguard migrate --database-url with files in flight, on ${targets[0]!.name}`, () => {
  // Regression: the line named the running file only; the files written behind it (the pipeline sends ahead) were sent too.
  it('names every file sent and not yet answered: the running one and those written behind it; none of them is applied', async () => {
    // Prepare: 0002 runs for 30 s; 0003 and 0004 are small, so they are written behind it at once
    const url = await freshDatabase(targets[0]!, 'interrupt_ahead');
    const dir = tempDir({
      '0001_a.sql': 'CREATE TABLE a (id int);',
      '0002_b.sql': "CREATE TABLE b (id int);\nSELECT 'marker_ahead' AS m, pg_sleep(30);",
      '0003_c.sql': 'CREATE TABLE c (id int);',
      '0004_d.sql': 'CREATE TABLE d (id int);',
    });
    // Act
    const { exit, stderr } = await migrateInterrupted(url, dir, 'marker_ahead');

    // Assess
    expect(exit).toEqual({ code: null, signal: 'SIGINT' });
    expect(stderr).toContain(
      'migrate interrupted (SIGINT) during 0002_b.sql, with 0003_c.sql and 0004_d.sql sent behind it: each is applied whole or not at all, ' +
        'and only if the one before it is; their transactions are rolled back as the connection closes, unless the server had already reached a COMMIT ' +
        '(schemaguard status shows which); 1 migration applied by this run stays applied; run schemaguard migrate again to continue\n',
    );
    expect(await rows(url, "SELECT to_regclass('b') AS b, to_regclass('c') AS c, to_regclass('d') AS d")).toEqual([{ b: null, c: null, d: null }]);
    expect(await rows(url, 'SELECT version FROM schemaguard.applied_migrations ORDER BY version')).toEqual([{ version: '1' }]);
  }, 60_000);
});

describe(`CLI: Ctrl-C during schemaguard migrate --database-url while a file waits to retry after a lock timeout, on ${targets[0]!.name}`, () => {
  // Regression: the line said "during 0002_b.sql" and that its transaction may have committed, while nothing of it was on the server.
  it('says the file waits to retry and none of it is applied; ends by SIGINT; the rerun applies it once the lock is free', async () => {
    // Prepare: another session holds a lock on the table the second file alters
    const url = await freshDatabase(targets[0]!, 'interrupt_backoff');
    await rows(url, 'CREATE TABLE a (id int)');
    const dir = tempDir({ '0001_c.sql': 'CREATE TABLE c (id int);', '0002_b.sql': 'CREATE TABLE b (id int);\nALTER TABLE a ADD COLUMN x int;' });
    await withClient(url, async (holder) => {
      await holder.query('BEGIN');
      await holder.query('LOCK TABLE a IN ACCESS SHARE MODE');
      // Act: SIGINT as the third retry's wait (1-2 s) starts
      const { exit, stderr } = await migrateSignalled(url, dir, ['--lock-timeout', '100ms', '--lock-retries', '5'], (text) =>
        untilPrinted(text, /0002_b\.sql: lock timeout, retry 3 in \d+ ms/),
      );

      // Assess
      expect(exit, stderr).toEqual({ code: null, signal: 'SIGINT' });
      expect(stderr).toContain(
        'migrate interrupted (SIGINT) while 0002_b.sql waited to retry after a lock timeout: the attempt that timed out was rolled back, ' +
          'so none of it is applied; 1 migration applied by this run stays applied; run schemaguard migrate again to continue\n',
      );
      expect(await rows(url, "SELECT to_regclass('b') AS b")).toEqual([{ b: null }]);
      expect(await rows(url, 'SELECT version FROM schemaguard.applied_migrations ORDER BY version')).toEqual([{ version: '1' }]);
      await holder.query('ROLLBACK');
    });
    const rerun = await runCli(['migrate', '--dir', dir, '--database-url', url]);
    expect(rerun.code, rerun.stderr).toBe(0);
    expect(await rows(url, "SELECT to_regclass('b')::text AS b")).toEqual([{ b: 'b' }]);
  }, 60_000);
});

describe('Class: RunProgress', () => {
  const tx = parseMigration('0001_a.sql', 'CREATE TABLE a (id int);');
  const notx = parseMigration('0002_idx.sql', '-- schemaguard:no-transaction\nCREATE INDEX CONCURRENTLY a_id ON a (id);');

  it('between migrations (every file sent was answered): what this run applied', () => {
    const p = new RunProgress();
    p.onEvent({ type: 'migration-sent', migration: tx });
    p.onEvent({ type: 'migration-start', migration: tx });
    p.onEvent({ type: 'migration-applied', migration: tx, executionMs: 1, attempts: 1 });
    expect(p.interruptedLine('SIGTERM')).toBe(
      'migrate interrupted (SIGTERM) between migrations, none sent and unanswered: 1 migration applied by this run stays applied; ' +
        'run schemaguard migrate again to continue',
    );
  });

  it('after a lock timeout in flight: only the file that timed out is named (those behind it did not run), waiting, then running, until the others are sent again', () => {
    const [b, c] = [parseMigration('0002_b.sql', 'CREATE TABLE b (id int);'), parseMigration('0003_c.sql', 'CREATE TABLE c (id int);')];
    let clock = 1_000;
    const p = new RunProgress(() => clock);
    for (const m of [tx, b, c]) p.onEvent({ type: 'migration-sent', migration: m });
    p.onEvent({ type: 'migration-start', migration: tx });
    p.onEvent({ type: 'retry', migration: tx, attempt: 1, delayMs: 50, blockers: [], message: 'lock timeout' });
    expect(p.interruptedLine('SIGINT')).toBe(
      'migrate interrupted (SIGINT) while 0001_a.sql waited to retry after a lock timeout: the attempt that timed out was rolled back, ' +
        'so none of it is applied; 0 migrations applied by this run stay applied; run schemaguard migrate again to continue',
    );
    // The wait is over: the next attempt runs (one file alone sends no event for it)
    clock += 50;
    expect(p.interruptedLine('SIGINT')).toMatch(/^migrate interrupted \(SIGINT\) during 0001_a\.sql: its transaction/);
    for (const m of [tx, b]) p.onEvent({ type: 'migration-sent', migration: m });
    expect(p.interruptedLine('SIGINT')).toMatch(/^migrate interrupted \(SIGINT\) during 0001_a\.sql, with 0002_b\.sql sent behind it: /);
  });

  it('while a no-transaction file waits to retry: what finished before the lock timeout stays, and where to look', () => {
    const p = new RunProgress(() => 0);
    p.onEvent({ type: 'migration-start', migration: notx });
    p.onEvent({ type: 'retry', migration: notx, attempt: 2, delayMs: 900, blockers: [], message: 'lock timeout' });
    expect(p.interruptedLine('SIGTERM')).toBe(
      'migrate interrupted (SIGTERM) while 0002_idx.sql waited to retry after a lock timeout: it runs outside a transaction, ' +
        'so its statements that finished before the lock timeout stay: schemaguard status and schemaguard doctor (INVALID indexes) show what is left; ' +
        '0 migrations applied by this run stay applied; run schemaguard migrate again to continue',
    );
  });

  it('during a no-transaction file: its finished statements stay, and where to look', () => {
    const p = new RunProgress();
    p.onEvent({ type: 'migration-start', migration: tx });
    p.onEvent({ type: 'migration-applied', migration: tx, executionMs: 1, attempts: 1 });
    p.onEvent({ type: 'migration-start', migration: notx });
    expect(p.interruptedLine('SIGINT')).toBe(
      'migrate interrupted (SIGINT) during 0002_idx.sql: it runs outside a transaction, so its statements that finished stay: ' +
        'schemaguard status and schemaguard doctor (INVALID indexes) show what is left; 1 migration applied by this run stays applied; run schemaguard migrate again to continue',
    );
  });
});

describe('Class: RunProgress, the line after a failed migration', () => {
  const run = () => {
    const p = new RunProgress();
    const a = parseMigration('1_a.sql', 'CREATE TABLE a (id int);');
    p.onEvent({ type: 'plan', pending: 3, applied: 0 });
    p.onEvent({ type: 'migration-start', migration: a });
    p.onEvent({ type: 'migration-applied', migration: a, executionMs: 1, attempts: 1 });
    return p;
  };

  it('a transactional file: rolled back; a no-transaction file: not recorded, with what of it committed; a lost connection: not known', () => {
    const tx = parseMigration('2_b.sql', 'CREATE TABLE b (id int);');
    const noTx = parseMigration('2_b.sql', '-- schemaguard:no-transaction\nCREATE INDEX CONCURRENTLY b_id ON b (id);');
    expect(run().failedLine(tx, '2_b.sql')).toBe(
      'migrate stopped at 2_b.sql: rolled back, nothing of it applied; 1 migration applied before it by this run stays applied, 2 still pending (2_b.sql included)',
    );
    expect(run().failedLine(noTx, '2_b.sql')).toBe(
      'migrate stopped at 2_b.sql: not recorded, and nothing of it applied by this run (it runs outside a transaction, and no statement of it committed before the one that failed); 1 migration applied before it by this run stays applied, 2 still pending (2_b.sql included)',
    );
    expect(run().failedLine(noTx, '2_b.sql', false, [2, 3])).toBe(
      'migrate stopped at 2_b.sql: not recorded, though 2 of its statements (from line 2) committed and stay applied (it runs outside a transaction): the next run starts again from its first line; 1 migration applied before it by this run stays applied, 2 still pending (2_b.sql included)',
    );
    expect(run().failedLine(tx, '2_b.sql', true)).toMatch(
      /^migrate stopped at 2_b\.sql: the connection was lost, so whether its COMMIT was reached is not known \(schemaguard status tells\);/,
    );
    // A no-transaction file has no COMMIT: what finished stays, the statement cut off may or may not have (it said "whether its COMMIT was reached").
    expect(run().failedLine(noTx, '2_b.sql', true, [2])).toBe(
      'migrate stopped at 2_b.sql: the connection was lost; it runs outside a transaction, so line 2 committed and stays applied, whether the statement cut off finished is not known, and the file is not recorded: the next run starts again from its first line; 1 migration applied before it by this run stays applied, 2 still pending (2_b.sql included)',
    );
  });
});

describe('Class: RunProgress, the "still applying" line of a long file', () => {
  const a = parseMigration('0001_a.sql', 'CREATE TABLE a (id int);');
  const b = parseMigration('0002_b.sql', 'CREATE TABLE b (id int);');
  const idx = parseMigration('0003_idx.sql', '-- schemaguard:no-transaction\nCREATE INDEX CONCURRENTLY a_id ON a (id);');

  it('says nothing for 10 s of a file, then names it with the time so far, then every 30 s', () => {
    let clock = 0;
    const p = new RunProgress(() => clock);
    p.onEvent({ type: 'migration-start', migration: a });
    const at = (s: number) => {
      clock = s * 1000;
      return p.stillRunningLine();
    };
    expect(at(9.9)).toBeUndefined();
    expect(at(10)).toBe('  still applying 0001_a.sql: 10 s so far');
    expect(at(11)).toBeUndefined();
    expect(at(39)).toBeUndefined();
    // A tick that comes late says the time it is, and the next one is due 30 s after it.
    expect(at(41)).toBe('  still applying 0001_a.sql: 41 s so far');
    expect(at(70)).toBeUndefined();
    expect(at(125)).toBe('  still applying 0001_a.sql: 2 min 5 s so far');
    expect(at(155)).toBe('  still applying 0001_a.sql: 2 min 35 s so far');
  });

  it('counts from when a file became the one the server runs, and not at all between files', () => {
    let clock = 0;
    const p = new RunProgress(() => clock);
    for (const m of [a, b]) p.onEvent({ type: 'migration-sent', migration: m });
    clock = 8_000;
    p.onEvent({ type: 'migration-applied', migration: a, executionMs: 8_000, attempts: 1 });
    clock = 17_000;
    expect(p.stillRunningLine()).toBeUndefined();
    clock = 18_000;
    expect(p.stillRunningLine()).toBe('  still applying 0002_b.sql: 10 s so far');
    p.onEvent({ type: 'migration-applied', migration: b, executionMs: 10_000, attempts: 1 });
    clock = 60_000;
    expect(p.stillRunningLine()).toBeUndefined();
  });

  it("is quiet while a lock timeout's retry waits, then counts the new attempt from its start; says a no-transaction file commits as it goes", () => {
    let clock = 0;
    const p = new RunProgress(() => clock);
    p.onEvent({ type: 'migration-start', migration: idx });
    clock = 5_000;
    p.onEvent({ type: 'retry', migration: idx, attempt: 2, delayMs: 20_000, blockers: [], message: 'lock timeout' });
    clock = 24_000;
    expect(p.stillRunningLine()).toBeUndefined();
    clock = 34_999;
    expect(p.stillRunningLine()).toBeUndefined();
    clock = 35_000;
    expect(p.stillRunningLine()).toBe('  still applying 0003_idx.sql: 10 s so far (outside a transaction: each statement commits as it ends)');
  });
});

describe(`CLI: a long file says it is still applying, on ${targets[0]!.name}`, () => {
  it('prints "still applying FILE: 10 s so far" (or a second or so more) while the server runs it, then its applied line, and exits 0', async () => {
    const url = await freshDatabase(targets[0]!);
    // 14 s: the line is due at 10 s, and a 1 s ticker under load may say it a little later.
    const dir = tempDir({ '0001_slow.sql': 'CREATE TABLE slow (id int);\nSELECT pg_sleep(14);\n' });
    const r = await runCli(['migrate', '--dir', dir, '--database-url', url]);
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stderr.split('\n');
    const still = lines.findIndex((l) => /^ {2}still applying 0001_slow\.sql: 1[0-3] s so far$/.test(l));
    expect(still, r.stderr).toBeGreaterThan(0);
    expect(lines.findIndex((l) => /^ {2}applied 0001_slow\.sql /.test(l))).toBeGreaterThan(still);
  }, 60_000);
});
