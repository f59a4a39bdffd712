/**
 * The custom resource with IAM database authentication, against real
 * PostgreSQL: no secret is read (the Secrets Manager client fails if it is
 * called), the password the driver sends is the token the signer makes from
 * the function's credentials (test credentials, a fixed instant, the role's
 * password set to that token), and a refused token fails the request naming
 * rds_iam and the user, without the token.
 */
import { Signer } from '@aws-sdk/rds-signer';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { ATTR, ENV } from '../../../lambda/handler/constants';
import { createHandlers } from '../../../lambda/handler/handler';
import { dropDatabases, freshDatabase, targets, withClient } from '../../support/db';
import { tempDir } from '../../support/files';

afterAll(dropDatabases);

const CREDENTIALS = {
  AWS_ACCESS_KEY_ID: 'AKIATESTONLY0000EXAM',
  AWS_SECRET_ACCESS_KEY: 'test-only/secret+key/0000000000000000000000',
  AWS_REGION: 'eu-west-1',
};
const NOW = Date.UTC(2026, 10, 27, 12, 0, 0);
const event = {
  RequestType: 'Create' as const,
  StackId: 'arn:aws:cloudformation:eu-west-1:111111111111:stack/Iam/x',
  RequestId: 'iam-1',
  LogicalResourceId: 'Migrations',
  ResourceType: 'Custom::SchemaMigrations',
  ResourceProperties: {},
};
const ctx = { getRemainingTimeInMillis: () => 120_000 };
const noSecrets = {
  send: async () => {
    throw new Error('the secret was read');
  },
};

describe.each(targets)('the handler with IAM authentication, on $name', (target) => {
  let database: string;
  let role: string;
  beforeAll(async () => {
    const url = await freshDatabase(target, 'iamcr');
    database = new URL(url).pathname.slice(1);
    role = `iam_cr_${database.slice(-6)}`;
    await withClient(target.adminUrl, (c) => c.query(`DROP ROLE IF EXISTS ${role}; CREATE ROLE ${role} LOGIN`));
    await withClient(url, (c) => c.query(`GRANT ALL ON SCHEMA public TO ${role}; GRANT CREATE ON DATABASE ${database} TO ${role}`));
    for (const [k, v] of Object.entries(CREDENTIALS)) vi.stubEnv(k, v);
  });
  afterAll(async () => {
    vi.unstubAllEnvs();
    await withClient(target.adminUrl, (c) => c.query(`DROP OWNED BY ${role}; DROP ROLE IF EXISTS ${role}`)).catch(() => undefined);
  });
  afterEach(() => vi.useRealTimers());

  const token = () => new Signer({ hostname: '127.0.0.1', port: target.port, username: role, region: CREDENTIALS.AWS_REGION }).getAuthToken();
  const setPassword = (password: string) => withClient(target.adminUrl, (c) => c.query(`ALTER ROLE ${role} PASSWORD '${password.replaceAll("'", "''")}'`));
  function handlers(lines: string[]) {
    return createHandlers({
      secrets: noSecrets,
      write: (l) => lines.push(l),
      env: {
        [ENV.iamUser]: role,
        [ENV.host]: '127.0.0.1',
        [ENV.port]: String(target.port),
        [ENV.databaseName]: database,
        [ENV.tls]: 'disable',
        [ENV.migrationsDir]: tempDir({ '1_iam.sql': 'CREATE TABLE iam_cr (id int);\n' }),
        [ENV.contractsDir]: '/nonexistent/contracts',
      },
    });
  }

  it('migrates as the IAM user with the signed token, reads no secret, and logs no token', async () => {
    vi.useFakeTimers({ toFake: ['Date'], now: NOW });
    const signed = await token();
    await setPassword(signed);
    const lines: string[] = [];
    const h = handlers(lines);
    const r = await h.onEvent(event, ctx);
    const done = await h.isComplete({ ...event, PhysicalResourceId: r.PhysicalResourceId }, ctx);
    expect(done.IsComplete).toBe(true);
    expect(done.Data?.[ATTR.appliedCount]).toBe('1');
    const owner = await withClient(`${target.adminUrl.replace(/\/[^/?]*(\?|$)/, `/${database}$1`)}`, (c) =>
      c.query("SELECT tableowner FROM pg_tables WHERE tablename = 'iam_cr'"),
    );
    expect(owner.rows[0].tableowner).toBe(role);
    expect(lines.join('\n')).not.toContain(signed.slice(-40));
  });

  it('a refused token fails the request naming rds_iam and the user; the token is not in the message or the log', async () => {
    await setPassword('not-the-token');
    vi.useFakeTimers({ toFake: ['Date'], now: NOW });
    const lines: string[] = [];
    const h = handlers(lines);
    const failure = await h.onEvent(event, ctx).then(
      () => undefined,
      (e: Error) => e,
    );
    expect(failure?.message).toContain('IAM authentication: the token was refused');
    expect(failure?.message).toContain(`GRANT rds_iam TO ${role};`);
    expect(`${failure?.message}\n${lines.join('\n')}`).not.toContain('X-Amz-Signature=');
  });
});
