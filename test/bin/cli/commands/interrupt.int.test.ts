/**
 * Ctrl-C during `migrate --database-url`: one line says the run was
 * interrupted and what state the database is in, and the process still ends
 * by SIGINT (a shell's exit status 130). The line's claim is checked: the
 * interrupted migration's transaction is rolled back, nothing of it stays.
 */
import { spawn } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';
import { RunProgress } from '../../../../bin/cli/commands/interrupt';
import { parseMigration } from '../../../../lambda/engine/source';
import { CLI, ROOT, runCli } from '../../../support/cli';
import { dropDatabases, freshDatabase, rows, targets } from '../../../support/db';
import { tempDir } from '../../../support/files';
import { waitForMarker } from '../../../faults/support';

afterAll(dropDatabases);

/** Waits until no backend runs a statement marked `marker` (the server ended the orphan); fails after `timeoutMs`. */
async function untilGone(url: string, marker: string, timeoutMs = 15_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    const found = await rows(url, `SELECT 1 FROM pg_stat_activity WHERE pid <> pg_backend_pid() AND query LIKE $1 AND query NOT LIKE '%pg_stat_activity%'`, [`%${marker}%`]);
    if (found.length === 0) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`a backend still ran ${marker} after ${timeoutMs} ms`);
}

describe.each(targets)('CLI: Ctrl-C during schemaguard migrate --database-url, on $name', (t) => {
  it('says the run was interrupted during which file and that nothing of it is applied; ends by SIGINT; the rerun applies it', async () => {
    // Prepare: the second migration creates a table, then runs for 30 s on its first execution only (nextval survives the rollback)
    const url = await freshDatabase(t, 'interrupt');
    const dir = tempDir({
      '0001_a.sql': 'CREATE TABLE a (id int);\nCREATE SEQUENCE executions_of_2;',
      '0002_b.sql': "CREATE TABLE b (id int);\nSELECT 'marker_interrupt' AS m, pg_sleep(CASE WHEN nextval('executions_of_2') = 1 THEN 30 ELSE 0 END);",
    });
    const child = spawn(process.execPath, [CLI, 'migrate', '--dir', dir, '--database-url', url], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d) => { stderr += d; });
    // 'close', not 'exit': stderr is read to its end
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) => child.on('close', (code, signal) => r({ code, signal })));

    // Act: SIGINT (what Ctrl-C sends) while 0002 runs
    await waitForMarker(url, 'marker_interrupt');
    child.kill('SIGINT');
    const exit = await exited;
    await untilGone(url, 'marker_interrupt');

    // Assess
    expect(exit, 'ended by SIGINT, as before: a shell reports 130').toEqual({ code: null, signal: 'SIGINT' });
    expect(stderr).toContain('migrate interrupted (SIGINT) during 0002_b.sql: its transaction is rolled back as the connection closes, unless the server had already '
      + 'reached its COMMIT (schemaguard status shows which): it is applied whole or not at all; 1 migration applied by this run stays applied; run schemaguard migrate again to continue\n');
    expect(await rows(url, "SELECT to_regclass('b') AS b")).toEqual([{ b: null }]);
    expect(await rows(url, 'SELECT version FROM schemaguard.applied_migrations ORDER BY version')).toEqual([{ version: '1' }]);
    const rerun = await runCli(['migrate', '--dir', dir, '--database-url', url]);
    expect(rerun.code, rerun.stderr).toBe(0);
    expect(rerun.stdout).toMatch(/^applied 1 migration .*; version 2, 2 applied/);
  }, 60_000);
});

describe('Class: RunProgress', () => {
  const tx = parseMigration('0001_a.sql', 'CREATE TABLE a (id int);');
  const notx = parseMigration('0002_idx.sql', '-- schemaguard:no-transaction\nCREATE INDEX CONCURRENTLY a_id ON a (id);');

  it('between migrations: what this run applied, and that a file already sent commits or not as a whole', () => {
    expect(new RunProgress().interruptedLine('SIGTERM')).toBe('migrate interrupted (SIGTERM) between migrations: 0 migrations applied by this run stay applied; '
      + 'the next file, if already sent, commits or not as a whole (schemaguard status shows which); run schemaguard migrate again to continue');
  });

  it('during a no-transaction file: its finished statements stay, and where to look', () => {
    const p = new RunProgress();
    p.onEvent({ type: 'migration-start', migration: tx });
    p.onEvent({ type: 'migration-applied', migration: tx, executionMs: 1, attempts: 1 });
    p.onEvent({ type: 'migration-start', migration: notx });
    expect(p.interruptedLine('SIGINT')).toBe('migrate interrupted (SIGINT) during 0002_idx.sql: it runs outside a transaction, so its statements that finished stay: '
      + 'schemaguard status and schemaguard doctor (INVALID indexes) show what is left; 1 migration applied by this run stays applied; run schemaguard migrate again to continue');
  });
});
