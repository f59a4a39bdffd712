/**
 * IAM database authentication against real PostgreSQL: RDS is not here, so
 * the database role's password is set to the very token the signer makes
 * for a fixed instant and fixed test credentials — the password the driver
 * sends must be that token. A connection opened after the token's 15 minutes
 * signs anew; a refused token names rds_iam and the user. Through the CLI
 * (`--iam`) and the driver in-process.
 */
import { join } from 'node:path';
import { Signer } from '@aws-sdk/rds-signer';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { PgDriver } from '../../../../lambda/driver/pg/pg-driver';
import { ConnectionError } from '../../../../lambda/engine/errors/errors';
import { CLI, ROOT, runNode } from '../../../support/cli';
import { dropDatabases, freshDatabase, targets, withClient } from '../../../support/db';
import { tempDir } from '../../../support/files';
import { cleanup, startServer, type StartedServer } from '../../../support/system-postgres';
import type { Target } from '../../../support/targets';
import { turnOnTls } from '../../../support/tls-on';

const CREDENTIALS = { accessKeyId: 'AKIATESTONLY0000EXAM', secretAccessKey: 'test-only/secret+key/0000000000000000000000' };
const REGION = 'eu-west-1';
const NOW = Date.UTC(2026, 10, 27, 12, 0, 0);
const FIXED_CLOCK = join(ROOT, 'test', 'support', 'fixed-clock.cjs');

/** The token the signer makes at `at` for this host, port and user, with the test credentials. */
async function tokenAt(at: number, port: number, username: string): Promise<string> {
  vi.useFakeTimers({ toFake: ['Date'], now: at });
  try {
    return await new Signer({ hostname: '127.0.0.1', port, username, region: REGION, credentials: CREDENTIALS }).getAuthToken();
  } finally {
    vi.useRealTimers();
  }
}

describe.each(targets)('IAM authentication, on $name', (shared) => {
  let url: string;
  let role: string;
  // A server of this file's own, of the target's major: TLS goes on there, never on the run's shared servers (other files test them without TLS).
  let own: StartedServer | undefined;
  let target: Target;
  beforeAll(async () => {
    own = await startServer(shared.binDir!, {}, 'iam');
    const adminUrl = `postgres://postgres:${own.password}@127.0.0.1:${own.port}/postgres`;
    target = { ...shared, adminUrl, port: own.port, dataDir: own.dataDir };
    // A token goes over TLS only (sslmode=require or stronger): the server offers it.
    await turnOnTls(target.dataDir!, target.adminUrl);
    url = await freshDatabase(target, 'iam');
    role = `iam_user_${url.slice(-6)}`;
    await withClient(target.adminUrl, (c) => c.query(`DROP ROLE IF EXISTS ${role}`));
    await withClient(target.adminUrl, (c) => c.query(`CREATE ROLE ${role} LOGIN`));
    await withClient(url, (c) => c.query(`GRANT ALL ON SCHEMA public TO ${role}; GRANT CREATE ON DATABASE ${new URL(url).pathname.slice(1)} TO ${role}`));
  });
  afterAll(async () => {
    await dropDatabases();
    await own?.stop();
    if (own) cleanup(own);
  });
  afterEach(() => vi.useRealTimers());

  const setPassword = (password: string) => withClient(target.adminUrl, (c) => c.query(`ALTER ROLE ${role} PASSWORD '${password.replaceAll("'", "''")}'`));
  const iamUrl = (sslmode = 'require') => `postgres://${role}@127.0.0.1:${target.port}/${new URL(url).pathname.slice(1)}?sslmode=${sslmode}`;
  const cli = (args: string[]) =>
    runNode(['--require', FIXED_CLOCK, CLI, ...args], {
      env: {
        SCHEMAGUARD_TEST_NOW: String(NOW),
        AWS_ACCESS_KEY_ID: CREDENTIALS.accessKeyId,
        AWS_SECRET_ACCESS_KEY: CREDENTIALS.secretAccessKey,
        AWS_REGION: REGION,
        AWS_EC2_METADATA_DISABLED: 'true',
        DATABASE_URL: undefined,
        PGPASSWORD: undefined,
      },
    });

  it('the CLI with --iam sends the token the signer makes (as the password) and migrates; the token is never printed', async () => {
    const token = await tokenAt(NOW, target.port, role);
    await setPassword(token);
    const dir = tempDir({ '1_t.sql': 'CREATE TABLE iam_made (id int);' });
    const r = await cli(['migrate', '--iam', '--database-url', iamUrl(), '--dir', dir]);
    expect(r.code, r.stderr).toBe(0);
    expect(`${r.stdout}${r.stderr}`).not.toContain(token.slice(-40));
    const owner = await withClient(url, (c) => c.query("SELECT tableowner FROM pg_tables WHERE tablename = 'iam_made'"));
    expect(owner.rows[0].tableowner).toBe(role);
  });

  it('a refused token: exit 1, naming rds_iam, the user and rds-db:connect; the token is not printed', async () => {
    await setPassword('not-the-token');
    const r = await cli(['status', '--iam', '--database-url', iamUrl()]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('IAM authentication: the token was refused');
    expect(r.stderr).toContain(`GRANT rds_iam TO ${role};`);
    expect(r.stderr).toContain(`dbuser:<DbiResourceId>/${role}`);
    expect(r.stderr).not.toContain('X-Amz-Signature=');
  });

  it.each(['disable', 'allow', 'prefer'])(
    '--iam with sslmode=%s is refused before anything connects (exit 2): the token would go without TLS',
    async (sslmode) => {
      const token = await tokenAt(NOW, target.port, role);
      await setPassword(token);
      const r = await cli(['status', '--iam', '--database-url', iamUrl(sslmode)]);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain(`IAM authentication sends its token as the password, and sslmode=${sslmode} may send it without TLS`);
      expect(r.stderr).toContain('use sslmode=require or stronger');
      // Refused before connecting: the server saw no connection as the role.
      const seen = await withClient(target.adminUrl, (c) => c.query('SELECT count(*)::int AS n FROM pg_stat_activity WHERE usename = $1', [role]));
      expect(seen.rows[0].n).toBe(0);
    },
  );

  it('--iam with a password in the URL, or without a user, is a usage error (exit 2)', async () => {
    const withPassword = await cli(['status', '--iam', '--database-url', `postgres://${role}:pw@127.0.0.1:${target.port}/x`]);
    expect(withPassword.code).toBe(2);
    expect(withPassword.stderr).toContain('--iam signs a token in place of the password, and the URL has one');
  });

  it('the driver signs a token for each connection: one opened after 15 minutes carries a new one', async () => {
    const first = await tokenAt(NOW, target.port, role);
    const later = await tokenAt(NOW + 16 * 60_000, target.port, role);
    expect(later).not.toBe(first);
    const driver = new PgDriver({ connectionString: iamUrl(), iam: { region: REGION, credentials: CREDENTIALS } });
    try {
      await setPassword(first);
      vi.useFakeTimers({ toFake: ['Date'], now: NOW });
      const a = await driver.connect();
      expect((await a.query<{ u: string }>('SELECT current_user AS u')).rows[0]!.u).toBe(role);
      await a.close();
      // The first token is no use now (as RDS refuses it after 15 minutes): the next connection must sign anew.
      await setPassword(later);
      vi.setSystemTime(NOW + 16 * 60_000);
      const b = await driver.connect();
      expect((await b.query<{ u: string }>('SELECT current_user AS u')).rows[0]!.u).toBe(role);
      await b.close();
      vi.setSystemTime(NOW);
      await expect(driver.connect()).rejects.toBeInstanceOf(ConnectionError);
    } finally {
      vi.useRealTimers();
      await driver.end();
    }
  });
});
