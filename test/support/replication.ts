/**
 * Replication rigs for the tests: a primary with `wal_level = logical` (its
 * own server, as the run's shared servers run with the default `replica`),
 * a native subscription in another database of it (an active pgoutput slot,
 * as a subscriber, RDS Blue/Green or DMS with pglogical holds one), and a
 * physical streaming standby made from a copy of the primary's data
 * directory taken while it was stopped.
 */
import { execFileSync } from 'node:child_process';
import { appendFileSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { cleanup, startOnDataDir, startServer, withClient, type StartedServer } from './system-postgres';

export function adminUrl(s: StartedServer, database = 'postgres'): string {
  return `postgres://postgres:${s.password}@127.0.0.1:${s.port}/${database}`;
}

/** A server that can publish and stream: logical WAL, senders and slots to spare. */
export function startPrimary(binDir: string): Promise<StartedServer> {
  return startServer(
    binDir,
    { wal_level: 'logical', max_wal_senders: '10', max_replication_slots: '10', wal_keep_size: '64MB', max_connections: '50' },
    'primary',
  );
}

/**
 * A subscription in database `subscriber` of the same server to publication
 * `publication` of `database`, on a pgoutput slot made beforehand (CREATE
 * SUBSCRIPTION in the same cluster would wait for its own slot). Returns
 * when the slot is active.
 */
export async function subscribe(primary: StartedServer, database: string, publication: string, tables: string): Promise<void> {
  await withClient(adminUrl(primary), (c) => c.query('CREATE DATABASE subscriber'));
  await withClient(adminUrl(primary, 'subscriber'), (c) => c.query(tables));
  await withClient(adminUrl(primary, database), (c) => c.query("SELECT pg_create_logical_replication_slot('sub_slot', 'pgoutput')"));
  const conninfo = `host=127.0.0.1 port=${primary.port} user=postgres password=${primary.password} dbname=${database}`;
  await withClient(adminUrl(primary, 'subscriber'), (c) =>
    c.query(
      `CREATE SUBSCRIPTION sub CONNECTION '${conninfo}' PUBLICATION ${publication} WITH (create_slot = false, slot_name = 'sub_slot', copy_data = false)`,
    ),
  );
  await until(
    async () =>
      (await withClient(adminUrl(primary, database), (c) => c.query("SELECT active FROM pg_replication_slots WHERE slot_name = 'sub_slot'"))).rows[0]
        ?.active === true,
  );
}

/**
 * A streaming standby of `primary` (which is stopped for the copy and
 * started again), as `application_name` in pg_stat_replication. Returns once
 * the primary sees it streaming.
 */
export async function startStandby(primary: StartedServer, name = 'standby1'): Promise<StartedServer & { remove(): Promise<void> }> {
  await primary.stop('fast');
  const base = mkdtempSync(join(dirname(dirname(primary.dataDir)), 'schemaguard-standby-'));
  const dataDir = join(base, 'data');
  execFileSync('cp', ['-a', primary.dataDir, dataDir]);
  execFileSync('chown', ['--reference', primary.dataDir, base]);
  await primary.restart();
  // As pg_basebackup leaves them: the primary's replication slots are its own.
  for (const slot of readdirSync(join(dataDir, 'pg_replslot'))) rmSync(join(dataDir, 'pg_replslot', slot), { recursive: true, force: true });
  writeFileSync(join(dataDir, 'standby.signal'), '');
  appendFileSync(
    join(dataDir, 'postgresql.auto.conf'),
    `primary_conninfo = 'host=127.0.0.1 port=${primary.port} user=postgres password=${primary.password} application_name=${name}'\n`,
  );
  const standby = await startOnDataDir(primary.binDir, dataDir, primary.password, { hot_standby: 'on', max_connections: '50' });
  await until(
    async () =>
      (await withClient(adminUrl(primary), (c) => c.query('SELECT 1 FROM pg_stat_replication WHERE application_name = $1', [name]))).rows.length === 1,
  );
  return {
    ...standby,
    remove: async () => {
      await standby.stop();
      rmSync(base, { recursive: true, force: true });
    },
  };
}

/** Stop a rig's server and remove its files. */
export async function removeServer(s: StartedServer): Promise<void> {
  await s.stop();
  cleanup(s);
}

async function until(ready: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const started = Date.now();
  while (!(await ready())) {
    if (Date.now() - started > timeoutMs) throw new Error(`not ready after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
