/**
 * Connections started ahead (`PgDriver.prepareConnection`): `migrate` starts
 * the runner lock's and the applying one while it reads its files. The first
 * is made as any connection (its retries, its error); the others are spares
 * that fail quietly and are replaced when taken.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { PgDriver } from '../../../../lambda/driver/pg/pg-driver';
import { ConnectionError } from '../../../../lambda/engine/errors';
import type { Session } from '../../../../lambda/engine/ports';
import { sleep } from '../../../../lambda/engine/sleep';
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
});
