/**
 * Connections started ahead (`PgDriver.prepareConnection`): `migrate` starts
 * the runner lock's and the applying one while it reads its files. The first
 * is made as any connection (its retries, its error); the others are spares
 * that fail quietly and are replaced when taken.
 */
import { randomBytes } from 'node:crypto';
import { connect, createServer, type AddressInfo, type Socket } from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { PgDriver } from '../../../../lambda/driver/pg/pg-driver';
import { ConnectionError } from '../../../../lambda/engine/errors/errors';
import type { Session } from '../../../../lambda/engine/ports';
import { sleep } from '../../../../lambda/engine/runtime/sleep';
import { dropDatabases, freshDatabase, rows, targets, withClient } from '../../../support/db';
import { rejection } from '../../../support/engine';

afterAll(dropDatabases);

/** Sessions of `app` on the database of `url`. */
const sessionsOf = (url: string, app: string) => rows<{ pid: number }>(url,
  'SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND application_name = $1 ORDER BY pid', [app]);

async function until<T>(what: () => Promise<T>, done: (v: T) => boolean): Promise<T> {
  let v = await what();
  for (let k = 0; k < 100 && !done(v); k++) {
    await sleep(50);
    v = await what();
  }
  return v;
}

describe.each(targets)('Function: PgDriver.prepareConnection on $name', (target) => {
  it('starts two sessions before they are asked for; connect() hands them out in turn, end() closes the one not taken', async () => {
    const url = await freshDatabase(target, 'prepared');
    const app = `prepared_${randomBytes(3).toString('hex')}`;
    const driver = new PgDriver({ connectionString: url, applicationName: app });
    driver.prepareConnection(2);
    // Both are made before anyone asks for one.
    const started = await until(() => sessionsOf(url, app), (s) => s.length === 2);
    expect(started).toHaveLength(2);

    const first = await driver.connect();
    try {
      expect(started.map((s) => s.pid)).toContain(first.pid);
      expect((await first.query<{ one: number }>('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
    } finally {
      await first.close();
      await driver.end();
    }
    expect(await until(() => sessionsOf(url, app), (s) => s.length === 0)).toEqual([]);
  });

  it('a spare that could not connect says nothing and is replaced when taken; the first connection\'s error is the one reported', async () => {
    const url = await freshDatabase(target, 'spare');
    const role = `spare_${randomBytes(3).toString('hex')}`;
    await withClient(url, (c) => c.query(`CREATE ROLE ${role} LOGIN PASSWORD 'spare-pw' CONNECTION LIMIT 1`));
    const u = new URL(url);
    u.username = role;
    u.password = 'spare-pw';
    const retries: string[] = [];
    const driver = new PgDriver({ connectionString: u.href, connectRetry: { attempts: 3, initialDelayMs: 50 }, onConnectRetry: (_a, _d, why) => retries.push(why) });
    // One connection allowed: the spare, started once the first is made, fails (too many connections for the role).
    driver.prepareConnection(2);
    const sessions: Session[] = [];
    try {
      sessions.push(await driver.connect());
      await sessions[0]!.close();
      // The spare failed; the second connect() makes one now, the first being closed.
      sessions.push(await driver.connect());
      expect((await sessions[1]!.query<{ who: string }>('SELECT current_user AS who')).rows).toEqual([{ who: role }]);
      expect(retries).toEqual([]);
    } finally {
      for (const s of sessions) await s.close();
      await driver.end();
    }

    // A first connection that fails reports its own error, after its own retries.
    const bad = new URL(u.href);
    bad.password = 'wrong';
    const refused = new PgDriver({ connectionString: bad.href });
    refused.prepareConnection(2);
    const e = await rejection<ConnectionError>(refused.connect());
    await refused.end();
    expect(e).toBeInstanceOf(ConnectionError);
    expect(e.message).toMatch(/password authentication failed/);
    expect(e.message).not.toContain('wrong');
  });

  it('a spare the server closed while it waited (an idle-session timeout during the lock wait) is replaced when taken', async () => {
    const url = await freshDatabase(target, 'spare_closed');
    const app = `closed_${randomBytes(3).toString('hex')}`;
    const driver = new PgDriver({ connectionString: url, applicationName: app });
    driver.prepareConnection(2);
    const sessions: Session[] = [];
    try {
      sessions.push(await driver.connect());
      const [spare] = (await until(() => sessionsOf(url, app), (s) => s.length === 2)).filter((s) => s.pid !== sessions[0]!.pid);
      expect(spare).toBeDefined();
      await withClient(url, (c) => c.query('SELECT pg_terminate_backend($1)', [spare!.pid]));
      expect(await until(() => sessionsOf(url, app), (s) => s.length === 1)).toEqual([{ pid: sessions[0]!.pid }]);
      await sleep(100); // the client reads the server's FATAL and the end of the stream

      sessions.push(await driver.connect());
      expect(sessions[1]!.pid).not.toBe(spare!.pid);
      expect((await sessions[1]!.query<{ one: number }>('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
    } finally {
      for (const s of sessions) await s.close();
      await driver.end();
    }
  });

  it('end() before a spare started (a file refused while the first connection was being made): the spare is never made', async () => {
    const url = await freshDatabase(target, 'spare_dropped');
    const tcp = await countingPassThrough(url);
    const driver = new PgDriver({ connectionString: tcp.url });
    try {
      driver.prepareConnection(2);
      await driver.end();
      await sleep(200);
      expect(tcp.connections()).toBe(1);
      // Without end(), both are made.
      const other = new PgDriver({ connectionString: tcp.url });
      other.prepareConnection(2);
      await (await other.connect()).close();
      await until(async () => tcp.connections(), (n) => n === 3);
      await other.end();
      expect(tcp.connections()).toBe(3);
    } finally {
      await tcp.close();
    }
  });
});

/** A TCP pass-through to the server of `url` that counts the connections made through it. */
async function countingPassThrough(url: string): Promise<{ url: string; connections(): number; close(): Promise<void> }> {
  const target = new URL(url);
  const sockets = new Set<Socket>();
  let count = 0;
  const server = createServer((client) => {
    count++;
    const upstream = connect(Number(target.port), target.hostname);
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('error', () => undefined);
      s.on('close', () => sockets.delete(s));
    }
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const through = new URL(url);
  through.hostname = '127.0.0.1';
  through.port = String((server.address() as AddressInfo).port);
  return {
    url: through.href,
    connections: () => count,
    close: () => new Promise<void>((resolve) => {
      for (const s of sockets) s.destroy();
      server.close(() => resolve());
    }),
  };
}
