/**
 * sequence-behind on more keyed tables than the server's lock table holds in
 * one statement. The shared lock table has max_locks_per_transaction ×
 * (max_connections + the other backends) slots; reading max() of a table
 * locks the table, its index and its sequence. 3,000 keyed tables at the
 * default 64 ran out of it (53200) in production; here a server of the test's
 * own with max_locks_per_transaction 10 and max_connections 20 runs out with
 * 600 tables in one statement, which the first assertion proves. Set
 * SCHEMAGUARD_TEST_PORT to choose that server's port.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { doctor } from '../../../../lambda/checks/doctor';
import { SEQUENCE_BATCH, SEQUENCE_BEHIND } from '../../../../lambda/checks/doctor/sequence-behind';
import { runGuard } from '../../../../lambda/checks/guard';
import { PgDriver } from '../../../../lambda/driver/pg/pg-driver';
import { runCli } from '../../../support/cli';
import { targets } from '../../../support/db';
import { cleanup, startServer, type StartedServer } from '../../../support/system-postgres';

const TABLES = 600;

const withBinaries = targets.filter((t) => t.binDir);
if (withBinaries.length < targets.length)
  console.log('[sequence-behind-locks] a target without binaries (DATABASE_URL) is not tested: the test starts a server of its own');

describe.each(withBinaries)('Rule: sequence-behind with a small lock table, $name binaries', (target) => {
  let server: StartedServer;
  let url: string;

  beforeAll(async () => {
    const port = process.env.SCHEMAGUARD_TEST_PORT ? String(Number(process.env.SCHEMAGUARD_TEST_PORT) + (target.major % 2)) : '';
    server = await startServer(target.binDir!, { max_connections: '20', max_locks_per_transaction: '10', ...(port ? { port } : {}) }, 'locks');
    url = `postgres://postgres:${server.password}@127.0.0.1:${server.port}/postgres`;
    const c = new pg.Client(url);
    await c.connect();
    try {
      // One statement each: a transaction creating them all would itself run out of locks.
      for (let i = 1; i <= TABLES; i++) await c.query(`CREATE TABLE t${i} (id serial PRIMARY KEY)`);
      await c.query(`INSERT INTO t${TABLES} (id) VALUES (1), (2)`);
    } finally {
      await c.end();
    }
  }, 120_000);

  afterAll(async () => {
    if (!server) return;
    await server.stop();
    cleanup(server);
  });

  // Regression (tester): doctor and the guard failed whole with "out of shared memory" (53200) on ~3,000 keyed tables.
  it('one statement over every table runs out of locks; doctor and the guard read them a batch at a time and find the sequence behind', async () => {
    const c = new pg.Client(url);
    await c.connect();
    try {
      const all = Array.from({ length: TABLES }, (_, k) => `SELECT max(id) AS v FROM t${k + 1} WHERE (SELECT last_value FROM t${k + 1}_id_seq) > 0`).join(
        ' UNION ALL ',
      );
      await expect(c.query(all)).rejects.toMatchObject({ code: '53200' });
    } finally {
      await c.end();
    }
    expect(TABLES / SEQUENCE_BATCH).toBeGreaterThan(1);

    const driver = new PgDriver({ connectionString: url });
    try {
      const report = await doctor({ driver }, { rules: [SEQUENCE_BEHIND] });
      expect(report.findings.map((f) => f.object)).toEqual([`public.t${TABLES}.id`]);
      expect(report.notes).toEqual([]);

      const guard = await runGuard({ driver, migrations: [], contracts: [] });
      expect(guard.findings.filter((f) => f.rule === SEQUENCE_BEHIND.id).map((f) => `${f.severity} ${f.object}`)).toEqual([`ticket public.t${TABLES}.id`]);
    } finally {
      await driver.end();
    }
  });

  it('a batch that cannot be read (a lock held past the lock timeout) is a note naming its tables and the holder; the other batches are still read', async () => {
    const holder = new pg.Client(url);
    await holder.connect();
    const driver = new PgDriver({ connectionString: url });
    try {
      await holder.query('BEGIN');
      await holder.query('LOCK TABLE t1 IN ACCESS EXCLUSIVE MODE');
      const pid = (await holder.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;

      const report = await doctor({ driver }, { rules: [SEQUENCE_BEHIND] });
      const guard = await runGuard({ driver, migrations: [], contracts: [] });
      const text = await runCli(['doctor', '--database-url', url]);
      const json = await runCli(['doctor', '--json', '--database-url', url]);

      expect(report.findings.map((f) => f.object)).toEqual([`public.t${TABLES}.id`]);
      expect(report.notes).toHaveLength(1);
      expect(report.notes[0]).toMatch(
        new RegExp(
          `^sequence-behind: ${SEQUENCE_BATCH} key columns not checked \\(public\\.t1, public\\.t10, public\\.t100, .* and ${SEQUENCE_BATCH - 5} more\\): waiting on a lock held \\(ACCESS EXCLUSIVE\\) by pid ${pid} \\(user \\w+, idle in transaction, in a transaction for \\d+ s\\) on public\\.t1, past lock_timeout \\(55P03\\); try again once that transaction ends$`,
        ),
      );
      expect(guard.findings.filter((f) => f.rule === SEQUENCE_BEHIND.id).map((f) => f.object)).toEqual([`public.t${TABLES}.id`]);
      // The holder's transaction has aged between the runs.
      const aged = (note: string) => note.replace(/for \d+ s/g, 'for N s');
      expect(aged(text.stdout)).toContain(`\nnote: ${aged(report.notes[0]!)}\n`);
      expect(JSON.parse(json.stdout).notes.map(aged)).toEqual(report.notes.map(aged));
      expect(guard.notes).toEqual([expect.stringMatching(/^sequence-behind: 100 key columns not checked \(public\.t1, .*\(55P03\)/)]);
    } finally {
      await holder.end();
      await driver.end();
    }
  });
});
