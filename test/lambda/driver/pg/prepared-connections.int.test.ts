/**
 * The connection started ahead (`PgDriver.prepareConnection`): `migrate`
 * starts the runner lock's while it reads its files. It is made as any
 * connection (its retries, its error); one the server closed while it waited
 * is replaced when taken; `end()` closes it when nobody took it.
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
const sessionsOf = (url: string, app: string) =>
  rows<{ pid: number }>(url, 'SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND application_name = $1 ORDER BY pid', [app]);

/** The driver's sessions idle after the connection's set-up (`identify`), its last query when no tenant schema is set. */
const idleAfterSetUp = (url: string, app: string) =>
  rows<{ pid: number }>(
    url,
    "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND application_name = $1 AND state = 'idle' AND query LIKE 'SELECT pg_backend_pid() AS pid%'",
    [app],
  );

async function until<T>(what: () => Promise<T>, done: (v: T) => boolean): Promise<T> {
  let v = await what();
  for (let k = 0; k < 100 && !done(v); k++) {
    await sleep(50);
    v = await what();
  }
  return v;
}

describe.each(targets)('Function: PgDriver.prepareConnection on $name', (target) => {
  it('starts a session before it is asked for; connect() hands it out, the next connect() makes another; end() closes one not taken', async () => {
    const url = await freshDatabase(target, 'prepared');
    const app = `prepared_${randomBytes(3).toString('hex')}`;
    const driver = new PgDriver({ connectionString: url, applicationName: app });
    driver.prepareConnection();
    driver.prepareConnection(); // a second call while one waits starts no other
    const started = await until(
      () => sessionsOf(url, app),
      (s) => s.length === 1,
    );
    expect(started).toHaveLength(1);

    const sessions: Session[] = [];
    try {
      sessions.push(await driver.connect());
      expect(sessions[0]!.pid).toBe(started[0]!.pid);
      sessions.push(await driver.connect());
      expect(sessions[1]!.pid).not.toBe(started[0]!.pid);
      expect((await sessions[1]!.query<{ one: number }>('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
    } finally {
      for (const s of sessions) await s.close();
    }
    driver.prepareConnection();
    await until(
      () => sessionsOf(url, app),
      (s) => s.length === 1,
    );
    await driver.end();
    expect(
      await until(
        () => sessionsOf(url, app),
        (s) => s.length === 0,
      ),
    ).toEqual([]);
  });

  it('a prepared connection that fails reports its own error, after its own retries', async () => {
    const url = await freshDatabase(target, 'prepared_refused');
    const role = `prepared_${randomBytes(3).toString('hex')}`;
    await withClient(url, (c) => c.query(`CREATE ROLE ${role} LOGIN PASSWORD 'prepared-pw'`));
    const bad = new URL(url);
    bad.username = role;
    bad.password = 'wrong';
    const retries: string[] = [];
    const refused = new PgDriver({
      connectionString: bad.href,
      connectRetry: { attempts: 2, initialDelayMs: 20 },
      onConnectRetry: (_a, _d, why) => retries.push(why),
    });
    refused.prepareConnection();
    const e = await rejection<ConnectionError>(refused.connect());
    await refused.end();
    expect(e).toBeInstanceOf(ConnectionError);
    expect(e.message).toMatch(/password authentication failed/);
    expect(e.message).not.toContain('wrong');
    // Authentication is not retried (a wrong password stays wrong): the error comes from the one attempt.
    expect(retries).toEqual([]);
  });

  it('a prepared connection the server closed while it waited (an idle-session timeout) is replaced when taken', async () => {
    const url = await freshDatabase(target, 'prepared_closed');
    const app = `closed_${randomBytes(3).toString('hex')}`;
    const driver = new PgDriver({ connectionString: url, applicationName: app });
    driver.prepareConnection();
    // Idle after its set-up query, so it is closed while it waits (not while it is being made).
    const [waiting] = await until(
      () => idleAfterSetUp(url, app),
      (s) => s.length === 1,
    );
    expect(waiting).toBeDefined();
    await withClient(url, (c) => c.query('SELECT pg_terminate_backend($1)', [waiting!.pid]));
    expect(
      await until(
        () => sessionsOf(url, app),
        (s) => s.length === 0,
      ),
    ).toEqual([]);
    await sleep(100); // the client reads the server's FATAL and the end of the stream

    const session = await driver.connect();
    try {
      expect(session.pid).not.toBe(waiting!.pid);
      expect((await session.query<{ one: number }>('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
    } finally {
      await session.close();
      await driver.end();
    }
  });

  it('end() while the prepared connection is being made waits for it and closes it: no connection is left half-open', async () => {
    const url = await freshDatabase(target, 'prepared_dropped');
    const tcp = await countingPassThrough(url);
    const driver = new PgDriver({ connectionString: tcp.url });
    try {
      driver.prepareConnection();
      await driver.end();
      expect(tcp.connections()).toBe(1);
      expect(
        await until(
          async () => tcp.open(),
          (n) => n === 0,
        ),
      ).toBe(0);
    } finally {
      await tcp.close();
    }
  });
});

/** A TCP pass-through to the server of `url` that counts the connections made through it. */
async function countingPassThrough(url: string): Promise<{ url: string; connections(): number; open(): number; close(): Promise<void> }> {
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
    open: () => sockets.size,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
