/**
 * status, check, diff and doctor while a migration runs say so, as the guard
 * does ("a migration is running: …"), and name schemaguard's session for
 * what it is, where they printed its pipelined script (`BEGIN; SELECT
 * set_config(…`) or nothing at all. The migration is held mid-file by an
 * advisory lock the test holds, with ACCESS EXCLUSIVE on the table it altered.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { takeSnapshot } from '../../../lambda/checks/drift/drift';
import { loadMigrations } from '../../../lambda/engine/files/source';
import { runCli, type CliRun } from '../../support/cli';
import { dropDatabases, freshDatabase, rows, targets, withClient } from '../../support/db';
import { driverKinds } from '../../support/drivers';
import { runEngine } from '../../support/engine';
import { tempDir } from '../../support/files';

afterAll(dropDatabases);

const GATE = 424242;
const FIRST =
  'CREATE TABLE t (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, a int DEFAULT 1 CHECK (a > 0));\nINSERT INTO t (a) SELECT g FROM generate_series(1, 100) g;\n';
const FILES = {
  '1_t.sql': FIRST,
  '2_slow.sql': `-- schemaguard:lock-timeout=60s\nALTER TABLE t ADD COLUMN b int;\nSELECT pg_advisory_xact_lock(${GATE});\n`,
  '3_more.sql': 'ALTER TABLE t ADD COLUMN c int;\n',
};

/** The snapshot the three files make, taken on a database of its own. */
async function snapshotFile(target: (typeof targets)[number], dir: string): Promise<string> {
  const url = await freshDatabase(target, 'reads_snapshot');
  const pgDriver = driverKinds.find((k) => k.name === 'pg')!;
  await runEngine(pgDriver, url, dir);
  const snapshot = await withClient(url, (c) => takeSnapshot(c, loadMigrations(dir)));
  const file = join(tempDir({}, 'snapshot'), 'snapshot.json');
  writeFileSync(file, JSON.stringify(snapshot));
  return file;
}

async function untilWaiting(url: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    const waiting = await rows(
      url,
      "SELECT 1 FROM pg_stat_activity WHERE application_name = 'schemaguard' AND wait_event_type = 'Lock' AND query LIKE '%pg_advisory_xact_lock%'",
    );
    if (waiting.length) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('the migration never reached its gate');
}

describe.each(targets)('CLI: reads while a migration runs on $name', (target) => {
  // Regression (tester): status showed "2 pending" with no word of the runner; check and diff failed on a bare lock timeout; doctor printed the runner's pipelined script.
  it('status notes the running migration (text, --json, --exit-code); check, diff and doctor name it as the holder of the table', async () => {
    const dir = tempDir(FILES);
    const contracts = tempDir({ '1_t.sql': '-- contract: read t\nSELECT id, a FROM t WHERE id = $1;\n' }, 'contracts');
    const snapshot = await snapshotFile(target, dir);
    const url = await freshDatabase(target, 'reads_while');
    const gate = new pg.Client({ connectionString: url });
    await gate.connect();
    let migrating: Promise<CliRun> | undefined;
    const r: Record<string, CliRun> = {};
    try {
      await gate.query('SELECT pg_advisory_lock($1)', [GATE]);
      migrating = runCli(['migrate', '--dir', dir, '--database-url', url], { timeoutMs: 120_000 });
      await untilWaiting(url);

      r.status = await runCli(['status', '--dir', dir, '--database-url', url]);
      r.json = await runCli(['status', '--dir', dir, '--database-url', url, '--json']);
      r.gate = await runCli(['status', '--dir', dir, '--database-url', url, '--exit-code']);
      r.check = await runCli(['check', '--contracts', contracts, '--database-url', url, '--snapshot', snapshot]);
      r.diff = await runCli(['diff', '--dir', dir, '--database-url', url, '--snapshot', snapshot]);
      r.doctor = await runCli(['doctor', '--database-url', url]);
    } finally {
      await gate.end();
    }
    const migrated = await migrating!;

    expect(migrated.code).toBe(0);
    const running =
      /a migration is running: server process \d+ holds the runner lock \(advisory lock -?\d+\), most likely applying 2_slow\.sql \(the first pending file\)/;
    expect([r.status!.code, r.status!.stdout]).toEqual([
      0,
      expect.stringMatching(new RegExp(`1 applied, 2 pending, 0 changed, 0 unknown; version 1\\nnote: ${running.source}\\n`)),
    ]);
    expect((JSON.parse(r.json!.stdout) as { migrationRunning: string }).migrationRunning).toMatch(running);
    expect([r.gate!.code, r.gate!.stderr]).toEqual([
      1,
      expect.stringMatching(new RegExp(`status --exit-code: 2 pending \\(2_slow\\.sql, 3_more\\.sql\\); ${running.source}`)),
    ]);
    // The file in flight is named, read from the comment heading its message.
    const held =
      /a lock held by a migration \(a migration is running: schemaguard applies 2_slow\.sql in pid \d+, in its transaction for \d+ s, with ACCESS EXCLUSIVE on public\.t\)/;
    expect(r.check!.code).toBe(1);
    expect(r.check!.stderr).toMatch(
      new RegExp(
        `fix: waited on ${held.source}, past the check's lock_timeout \\(2 s\\): check again once the migration has committed \\(schemaguard status shows it applied\\)`,
      ),
    );
    expect(r.diff!.code).toBe(1);
    expect(r.diff!.stderr).toMatch(new RegExp(`error: the live schema could not be read: waiting on ${held.source}, past lock_timeout 1 s \\(55P03\\)`));
    expect(r.diff!.stderr).toContain('fix: run it again once the migration has committed (schemaguard status shows it applied)');
    expect(r.doctor!.stdout).toMatch(
      new RegExp(`\\nnote: [a-z-]+: .*waiting on ${held.source}, past lock_timeout \\(55P03\\); try again once the migration has committed`),
    );
    expect(`${r.doctor!.stdout}${r.check!.stderr}${r.diff!.stderr}`).not.toContain('set_config');
    // Once it ended, status says nothing of it.
    const after = await runCli(['status', '--dir', dir, '--database-url', url, '--json']);
    expect((JSON.parse(after.stdout) as { migrationRunning: unknown }).migrationRunning).toBeNull();
  }, 120_000);
});
