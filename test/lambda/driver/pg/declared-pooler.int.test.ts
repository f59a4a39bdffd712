/**
 * A pooler or proxy the driver is told of (`--pooler`, the handler's
 * SCHEMAGUARD_POOLER, or an RDS Proxy endpoint's name) where its start-up
 * would not give it away. RDS Proxy hands each transaction to a free
 * database connection and pins a session only when it sees session state
 * (https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/rds-proxy-pinning.html):
 * the runner must not count on a session. Against real PostgreSQL, directly
 * (a proxy that does not show in the start-up) and through PgBouncer in
 * transaction mode (the multiplexing the proxy does between pins).
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { runCli } from '../../../support/cli';
import { dropDatabases, freshDatabase, rows, targets } from '../../../support/db';
import { tempDir } from '../../../support/files';
import { startPgbouncer, type RunningPgbouncer } from '../../../support/pgbouncer';

afterAll(dropDatabases);

const FILES = { '1_a.sql': 'CREATE TABLE a (id int);', '2_b.sql': 'INSERT INTO a VALUES (1);' };

/** The lease table exists (the runner took a lease, not a session lock) and no lease or advisory lock is left. */
async function leasedAndReleased(url: string): Promise<void> {
  expect(await rows(url, "SELECT to_regclass('schemaguard.runner_lease')::text AS t")).toEqual([{ t: 'schemaguard.runner_lease' }]);
  expect(await rows(url, 'SELECT count(*)::int AS n FROM schemaguard.runner_lease')).toEqual([{ n: 0 }]);
  expect(await rows(url, 'SELECT count(*)::int AS n FROM schemaguard.applied_migrations')).toEqual([{ n: 2 }]);
}

describe.each(targets)('a declared pooler, on $name', (target) => {
  let bouncer: RunningPgbouncer;
  beforeAll(async () => {
    const problem = inject('pgbouncer').problem;
    if (problem) throw new Error(problem);
    bouncer = await startPgbouncer(target, { poolMode: 'transaction', poolSize: 2 });
  });
  afterAll(() => bouncer?.stop());

  it('--pooler on a connection that looks direct: the runner takes the lease and applies each file once', async () => {
    const url = await freshDatabase(target, 'declared');
    const r = await runCli(['migrate', '--pooler', '--database-url', url, '--dir', tempDir(FILES)]);
    expect(r.code, r.stderr).toBe(0);
    await leasedAndReleased(url);
  });

  it('--pooler through PgBouncer in transaction mode: the same, the files applied once', async () => {
    const url = await freshDatabase(target, 'declared_pgb');
    const r = await runCli(['migrate', '--pooler', '--database-url', bouncer.url(url), '--dir', tempDir(FILES)]);
    expect(r.code, r.stderr).toBe(0);
    await leasedAndReleased(url);
  });

  it('--pooler refuses a no-transaction file before anything runs, saying it was declared and naming the fix', async () => {
    const url = await freshDatabase(target, 'declared_nt');
    const dir = tempDir({ '1_t.sql': 'CREATE TABLE t (v int);', '2_i.sql': '-- schemaguard:no-transaction\nCREATE INDEX CONCURRENTLY t_v ON t (v);' });
    const r = await runCli(['migrate', '--pooler', '--database-url', url, '--dir', dir]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('2_i.sql is a no-transaction file');
    expect(r.stderr).toContain('was declared a pooler or proxy (--pooler)');
    expect(await rows(url, "SELECT to_regclass('t')::text AS t")).toEqual([{ t: null }]);
  });
});
