/**
 * A server older than the supported majors (PostgreSQL 12, from the
 * postgresql-12 dev dependency): `migrate` refuses it before anything runs,
 * naming the range; `plan` names the same refusal. And each supported major
 * is let through (the run's servers of 13 to 18).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SUPPORTED_MAJORS, unsupportedServer } from '../../../../lambda/engine/server/server-majors';
import { runCliInProcess } from '../../../support/cli';
import { allMajors, dropDatabases, freshDatabase, withClient } from '../../../support/db';
import { tempDir } from '../../../support/files';
import { cleanup, databaseUrl, majorBinDir, startServer, type StartedServer } from '../../../support/system-postgres';

afterAll(dropDatabases);

const bin12 = majorBinDir(12);
if (!bin12) console.log('[server-majors] the postgresql-12 dev dependency is not installed (npm install): the refusal is tested on the version number only');

describe.runIf(bin12)('migrate on PostgreSQL 12 (embedded, from the postgresql-12 dev dependency)', () => {
  let server: StartedServer;
  let url: string;
  beforeAll(async () => {
    server = await startServer(bin12!, {}, 'pg12');
    url = databaseUrl(`postgres://postgres:${server.password}@127.0.0.1:${server.port}/postgres`, 'postgres');
  });
  afterAll(async () => {
    await server?.stop();
    if (server) cleanup(server);
  });

  it("refuses before anything runs, naming the server's version and the supported range (exit 1); the database is left as it was", async () => {
    const dir = tempDir({ '1_a.sql': 'CREATE TABLE a (id int);' });
    const r = await runCliInProcess(['migrate', '--dir', dir, '--database-url', url]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      /error: the server is PostgreSQL 12 \(server_version_num 1200\d\d\); schemaguard supports PostgreSQL 13 to 18, the majors RDS and Aurora run: nothing was run/,
    );
    expect(r.stderr).toContain('upgrade the server to PostgreSQL 13 or later (on RDS and Aurora, a major version upgrade), then run migrate again');
    const left = await withClient(
      url,
      async (c) =>
        (await c.query<{ n: string }>("SELECT count(*) AS n FROM pg_namespace WHERE nspname = 'schemaguard'")).rows[0]!.n +
        (await c.query<{ t: string | null }>("SELECT to_regclass('public.a')::text AS t")).rows[0]!.t,
    );
    expect(left).toBe('0null');
  });

  it('plan names the same refusal', async () => {
    const dir = tempDir({ '1_a.sql': 'CREATE TABLE a (id int);' });
    const r = await runCliInProcess(['plan', '--dir', dir, '--database-url', url]);
    expect(`${r.stdout}${r.stderr}`).toContain('the server is PostgreSQL 12');
  });
});

describe('Function: unsupportedServer', () => {
  it('refuses 12 and older, lets 13 to 18 and newer through', () => {
    expect(unsupportedServer(120022)?.message).toBe(
      'the server is PostgreSQL 12 (server_version_num 120022); schemaguard supports PostgreSQL 13 to 18, the majors RDS and Aurora run: nothing was run',
    );
    expect(unsupportedServer(90624)?.message).toContain('PostgreSQL 9 ');
    for (const v of [130000, 130023, 150018, 180004, 190000]) expect(unsupportedServer(v)).toBeUndefined();
    expect(SUPPORTED_MAJORS).toEqual({ oldest: 13, newest: 18 });
  });
});

describe.each(allMajors)('migrate on $name', (target) => {
  it('runs: the major is supported', async () => {
    const dir = tempDir({ '1_a.sql': 'CREATE TABLE a (id int);' });
    const r = await runCliInProcess(['migrate', '--quiet', '--dir', dir, '--database-url', await freshDatabase(target, 'major')]);
    expect(r.code, r.stderr).toBe(0);
  });
});
