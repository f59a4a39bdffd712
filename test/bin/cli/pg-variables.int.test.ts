/**
 * PGHOST and friends without --database-url/DATABASE_URL: never a silent run
 * against the embedded server; with a URL, the parts it leaves out come from
 * them, as libpq (and psql) takes them.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { dropDatabases, freshDatabase, rows, targets } from '../../support/db';
import { runCli } from '../../support/cli';
import { tempDir } from '../../support/files';

afterAll(dropDatabases);

describe.each(targets)('CLI: PG* variables, on $name', (target) => {
  it('refuses (exit 2) when PGHOST, PGPORT, PGUSER or PGDATABASE is set and no --database-url: names them, the URL they mean and --embedded; starts no embedded server', async () => {
    const url = new URL(await freshDatabase(target, 'pgvars'));
    const cwd = tempDir({});
    const dir = tempDir({ '1_t.sql': 'CREATE TABLE t (id int);' });
    const env = {
      DATABASE_URL: undefined,
      PGHOST: url.hostname,
      PGPORT: url.port,
      PGUSER: decodeURIComponent(url.username),
      PGDATABASE: url.pathname.slice(1),
    };

    const r = await runCli(['migrate', '--dir', dir], { env, cwd });

    expect(r.code).toBe(2);
    expect(r.stderr).toContain(
      `error: PGHOST=${url.hostname} PGPORT=${url.port} PGDATABASE=${env.PGDATABASE} PGUSER=${env.PGUSER} are set, but schemaguard connects only where --database-url or DATABASE_URL says`,
    );
    expect(r.stderr).toContain(`pass --database-url postgres://${url.username}@${url.hostname}:${url.port}/${env.PGDATABASE}`);
    expect(r.stderr).toContain('to use the embedded server, pass --embedded (or unset PGHOST PGPORT PGDATABASE PGUSER)');
    expect(existsSync(join(cwd, '.schemaguard'))).toBe(false);
    expect(await rows(url.href, "SELECT to_regclass('public.t') AS t")).toEqual([{ t: null }]);
  });

  it('with --database-url: the parts the URL leaves out (user, port, database, password) are taken from PGUSER, PGPORT, PGDATABASE, PGPASSWORD', async () => {
    const url = new URL(await freshDatabase(target, 'pgvars_url'));
    const dir = tempDir({ '1_t.sql': 'CREATE TABLE t (id int);' });
    const env = {
      DATABASE_URL: undefined,
      PGHOST: 'nowhere.invalid',
      PGPORT: url.port,
      PGUSER: decodeURIComponent(url.username),
      PGPASSWORD: decodeURIComponent(url.password),
      PGDATABASE: url.pathname.slice(1),
    };

    const r = await runCli(['migrate', '--dir', dir, '--database-url', `postgres://${url.hostname}`], { env });

    expect(r.code, r.stderr).toBe(0);
    expect(await rows(url.href, "SELECT to_regclass('public.t')::text AS t")).toEqual([{ t: 't' }]);
  });

  it('refuses --embedded together with a database URL (exit 2)', async () => {
    const url = await freshDatabase(target, 'pgvars_both');
    const r = await runCli(['status', '--embedded', '--database-url', url], { env: { DATABASE_URL: undefined } });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('error: --embedded and --database-url name two different servers');
  });
});
