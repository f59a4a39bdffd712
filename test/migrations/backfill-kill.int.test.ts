/**
 * Fault: the runner is killed with SIGKILL in the middle of 0003's backfill.
 * The server ends the orphaned statement; the batches committed so far stay,
 * with their progress; nothing is recorded as applied. The next `migrate`
 * continues after the last committed key (the rows done before the kill are
 * not written again), finishes the conversion, and every row keeps its value.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';
import { diffCatalogs, formatDifferences } from '../../lambda/schema/catalog';
import { CLI, ROOT } from '../support/cli';
import { dropDatabases, freshDatabase, rows, targets, withClient } from '../support/db';
import { loadDriftedDatabase } from '../support/drifted-app';
import { appliedVersions, ALL_VERSIONS, catalogOf, MIGRATIONS_DIR, runFixes } from '../support/schema-fixes';

afterAll(dropDatabases);

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

function startMigrate(url: string): { child: ChildProcess; output: () => string; exit: Promise<number | string | null> } {
  const child = spawn(process.execPath, [CLI, 'migrate', '--dir', MIGRATIONS_DIR, '--database-url', url], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (d) => {
    out += d;
  });
  child.stderr!.on('data', (d) => {
    out += d;
  });
  const exit = new Promise<number | string | null>((resolve) => child.on('close', (code, signal) => resolve(signal ?? code)));
  return { child, output: () => out, exit };
}

async function progress(url: string): Promise<{ rows_done: number; last_key: string | null } | undefined> {
  const r = await rows<{ rows_done: string; last_key: string | null; t: string | null }>(
    url,
    `
    SELECT to_regclass('schema_fix_audit.uuid_backfill')::text AS t`,
  );
  if (!r[0]!.t) return undefined;
  const p = await rows<{ rows_done: string; last_key: string | null }>(
    url,
    `SELECT rows_done::text, last_key FROM schema_fix_audit.uuid_backfill WHERE table_name = 'appointments'`,
  );
  return p[0] ? { rows_done: Number(p[0].rows_done), last_key: p[0].last_key } : undefined;
}

/**
 * 0003's backfill converts 5,000 rows a batch: 80,000 appointments are 16
 * batches, killed after the second, so the kill lands with batches committed
 * behind it and most still to do; a larger table only adds batches after it.
 */
const APPOINTMENTS = 80_000;
const KILL_AFTER_ROWS = 10_000;

describe.each(targets)('$name', (target) => {
  it('SIGKILL during the backfill: the next migrate continues where it stopped; nothing lost, nothing written twice', async () => {
    const url = await freshDatabase(target, 'backfill_kill');
    await loadDriftedDatabase(url, { accounts: 2000, users: 2000, appointments: APPOINTMENTS });
    await rows(url, 'CREATE SCHEMA before_fix; CREATE TABLE before_fix.appointments AS SELECT id, account_id FROM public.appointments');

    // Prepare: a runner, killed once the backfill of appointments is under way.
    const first = startMigrate(url);
    let atKill: { rows_done: number; last_key: string | null } | undefined;
    for (let i = 0; i < 1200 && !atKill; i++) {
      const p = await progress(url);
      if (p && p.rows_done >= KILL_AFTER_ROWS) atKill = p;
      else await sleep(25);
    }
    expect(atKill, first.output()).toBeDefined();
    // The next batch's progress write waits behind this lock: on a fast machine the loop would otherwise
    // finish every batch in the second the server takes to notice its client is gone.
    const left = await withClient(url, async (holder) => {
      await holder.query('BEGIN');
      await holder.query('LOCK TABLE schema_fix_audit.uuid_backfill IN SHARE MODE');
      first.child.kill('SIGKILL');
      expect(await first.exit).toBe('SIGKILL');
      // The server ends the orphaned backfill by itself (client_connection_check_interval), within seconds.
      let running: unknown[] = [];
      for (let i = 0; i < 100; i++) {
        running = await rows(
          url,
          `SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND (application_name = 'schemaguard' OR application_name LIKE 'schemaguard: applying %')`,
        );
        if (running.length === 0) break;
        await sleep(50);
      }
      await holder.query('ROLLBACK');
      return running;
    });
    expect(left).toEqual([]);
    const stopped = (await progress(url))!;
    expect(stopped.rows_done).toBeGreaterThanOrEqual(atKill!.rows_done);
    expect(stopped.rows_done).toBeLessThan(APPOINTMENTS);
    expect(await appliedVersions(url)).toEqual([1, 2]);
    // The rows done before the kill, and the transaction that wrote each.
    await rows(url, `CREATE TABLE before_fix.done AS SELECT id, xmin::text AS written_by FROM public.appointments WHERE account_id__uuid IS NOT NULL`);
    const done = await rows<{ n: number }>(url, 'SELECT count(*)::int AS n FROM before_fix.done');
    expect(done[0]!.n).toBe(stopped.rows_done);

    // Act: the next run.
    const second = startMigrate(url);
    expect(await second.exit, second.output()).toBe(0);

    // Assess: finished, same schema as a fresh database, every row once with its value, the done rows not written again.
    expect(await appliedVersions(url)).toEqual(ALL_VERSIONS);
    const fresh = await freshDatabase(target, 'backfill_kill_ref');
    await runFixes(fresh);
    expect(formatDifferences(diffCatalogs(await catalogOf(fresh), await catalogOf(url)))).toBe('');
    expect(await rows(url, `SELECT count(*)::int AS n, count(DISTINCT id)::int AS ids FROM appointments`)).toEqual([{ n: APPOINTMENTS, ids: APPOINTMENTS }]);
    expect(
      await rows(
        url,
        `SELECT count(*)::int AS n FROM before_fix.appointments b JOIN appointments a ON a.id = b.id
                             WHERE a.account_id::text IS NOT DISTINCT FROM lower(b.account_id)`,
      ),
    ).toEqual([{ n: APPOINTMENTS }]);
    expect(
      await rows(
        url,
        `SELECT count(*)::int AS n FROM before_fix.done d JOIN appointments a ON a.id = d.id
                             WHERE a.xmin::text <> d.written_by`,
      ),
    ).toEqual([{ n: 0 }]);
    expect(second.output()).toMatch(
      new RegExp(String.raw`note: 0003_accounts_id_uuid\.sql: backfill appointments\.account_id: ${APPOINTMENTS.toLocaleString('en-US')} rows set`),
    );
  });
});
