/**
 * Connecting to a database that is not reachable yet (a new instance, its
 * endpoint not answering): bounded retries with backoff, logged as JSON, then
 * success when it comes up — or a ConnectionError that says how many attempts
 * were made, without the password.
 */
import { createServer, connect, type Server, type Socket } from 'node:net';
import type { GetSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort } from '../../../bin/cli/embedded';
import { ATTR, ENV } from '../../../lambda/handler/constants';
import { createHandlers } from '../../../lambda/handler/handler';
import { dropDatabases, freshDatabase, targets } from '../../support/db';
import { tempDir } from '../../support/files';

afterAll(dropDatabases);

const event = {
  RequestType: 'Create' as const,
  StackId: 'arn:aws:cloudformation:eu-west-1:111111111111:stack/Connect/x',
  RequestId: 'connect-1',
  LogicalResourceId: 'Migrations',
  ResourceType: 'Custom::SchemaMigrations',
  ResourceProperties: {},
};
const ctx = { getRemainingTimeInMillis: () => 120_000 };

/** A TCP forwarder to the real server that starts listening only after `delayMs`. */
async function lateProxy(targetPort: number, delayMs: number): Promise<{ port: number; close: () => Promise<void> }> {
  const port = await freePort();
  const sockets = new Set<Socket>();
  let server: Server | undefined;
  const timer = setTimeout(() => {
    server = createServer((client) => {
      const upstream = connect(targetPort, '127.0.0.1');
      sockets.add(client).add(upstream);
      client.pipe(upstream).pipe(client);
      const end = () => {
        client.destroy();
        upstream.destroy();
      };
      client.on('error', end);
      upstream.on('error', end);
      client.on('close', end);
      upstream.on('close', end);
    }).listen(port, '127.0.0.1');
  }, delayMs);
  return {
    port,
    close: () =>
      new Promise<void>((r) => {
        clearTimeout(timer);
        for (const s of sockets) s.destroy();
        if (server) server.close(() => r());
        else r();
      }),
  };
}

describe.each(targets)('$name', (target) => {
  function handlers(port: number, database: string, attempts: string, lines: string[]) {
    const secrets = {
      send: async (_c: GetSecretValueCommand) => ({
        SecretString: JSON.stringify({ username: 'postgres', password: target.password, host: '127.0.0.1', port, dbname: database }),
      }),
    };
    return createHandlers({
      secrets,
      write: (l) => lines.push(l),
      env: {
        [ENV.secretArn]: 'arn:aws:secretsmanager:eu-west-1:111111111111:secret:c',
        [ENV.migrationsDir]: tempDir({ '1_a.sql': 'CREATE TABLE a (id int);\n' }),
        [ENV.contractsDir]: '/nonexistent/contracts',
        [ENV.tls]: 'disable',
        [ENV.connectAttempts]: attempts,
      },
    });
  }

  it('retries with backoff until a database that comes up late answers', async () => {
    const url = await freshDatabase(target, 'late');
    const proxy = await lateProxy(target.port, 1200);
    try {
      const lines: string[] = [];
      const h = handlers(proxy.port, new URL(url).pathname.slice(1), '5', lines);
      const r = await h.onEvent(event, ctx);
      const done = await h.isComplete({ ...event, PhysicalResourceId: r.PhysicalResourceId }, ctx);
      expect(done).toMatchObject({ IsComplete: true, Data: { [ATTR.appliedVersions]: '1' } });
      const retries = lines
        .map((l) => JSON.parse(l) as { message: string; attempt?: number; delayMs?: number })
        .filter((l) => l.message === 'database not reachable yet; retrying');
      expect(retries.length).toBeGreaterThanOrEqual(1);
      expect(retries.map((x) => x.delayMs)).toEqual([1000, 2000, 4000].slice(0, retries.length));
      expect(lines.join('\n')).not.toContain(target.password);
    } finally {
      await proxy.close();
    }
  });

  it('reads the secret again when the password is refused (a rotation between setting and promoting it), then connects', async () => {
    // Prepare: the first read answers the password being replaced, the next the current one.
    const url = await freshDatabase(target, 'rotation');
    const stale = 'Stale-Password-Before-Rotation-1';
    const reads: string[] = [];
    const lines: string[] = [];
    const h = createHandlers({
      write: (l) => lines.push(l),
      secrets: {
        send: async (_c: GetSecretValueCommand) => {
          const password = reads.length === 0 ? stale : target.password;
          reads.push(password);
          return {
            SecretString: JSON.stringify({ username: 'postgres', password, host: '127.0.0.1', port: target.port, dbname: new URL(url).pathname.slice(1) }),
          };
        },
      },
      env: {
        [ENV.secretArn]: 'arn:aws:secretsmanager:eu-west-1:111111111111:secret:c',
        [ENV.migrationsDir]: tempDir({ '1_a.sql': 'CREATE TABLE a (id int);\n' }),
        [ENV.contractsDir]: '/nonexistent/contracts',
        [ENV.tls]: 'disable',
      },
    });

    // Act
    const r = await h.onEvent(event, ctx);

    // Assess: two reads, one warning, no password of either read in the log.
    expect(r.PhysicalResourceId).toBe('schemaguard-migrations-Migrations');
    expect(reads).toEqual([stale, target.password]);
    const refused = lines
      .map((l) => JSON.parse(l) as { level: string; message: string; attempt?: number })
      .filter((l) => l.message.startsWith('password refused'));
    expect(refused).toEqual([
      expect.objectContaining({ level: 'warn', message: 'password refused; reading the secret again (a rotation may be in progress)', attempt: 1 }),
    ]);
    expect(lines.join('\n')).not.toContain(stale);
    expect(lines.join('\n')).not.toContain(target.password);
  });

  it('gives up after the configured attempts with a message that says so', async () => {
    const port = await freePort();
    const lines: string[] = [];
    const h = handlers(port, 'postgres', '3', lines);
    const started = Date.now();
    const err = await h.onEvent(event, ctx).then(
      () => undefined,
      (e: Error) => e,
    );
    expect(err?.message).toMatch(new RegExp(`cannot connect to postgres://postgres@127\\.0\\.0\\.1:${port}/postgres: .*after 3 attempts`));
    expect(err?.message).toContain(
      'fix: check that the server is running and reachable from here, and "host" in the database secret arn:aws:secretsmanager:eu-west-1:111111111111:secret:c and "port" in the database secret',
    );
    expect(err?.message).not.toContain('URL');
    // 1 s + 2 s of backoff, bounded.
    expect(Date.now() - started).toBeGreaterThanOrEqual(2900);
    expect(Date.now() - started).toBeLessThan(15_000);
    expect([err?.message, ...lines].join('\n')).not.toContain(target.password);
  });

  it('names the secret\'s "dbname", not a URL, when the database does not exist', async () => {
    const lines: string[] = [];
    const h = handlers(target.port, 'no_such_database_here', '1', lines);
    const err = await h.onEvent(event, ctx).then(
      () => undefined,
      (e: Error) => e,
    );
    expect(err?.message).toContain('SQLSTATE 3D000');
    expect(err?.message).toContain(
      'fix: create the database first, or fix "dbname" in the database secret arn:aws:secretsmanager:eu-west-1:111111111111:secret:c',
    );
    expect(err?.message).not.toContain('URL');
    expect([err?.message, ...lines].join('\n')).not.toContain(target.password);
  });

  it('refuses a secret whose "port" is not a port number, naming the field, before connecting (it connected to 5432)', async () => {
    const lines: string[] = [];
    const h = handlers('abc' as unknown as number, 'postgres', '1', lines);
    const err = await h.onEvent(event, ctx).then(
      () => undefined,
      (e: Error) => e,
    );
    expect(err?.message).toContain(
      'InputError: the database secret arn:aws:secretsmanager:eu-west-1:111111111111:secret:c has a "port" that is not a port number',
    );
    expect(err?.message).toContain('fix: set "port" in the secret\'s JSON value');
    expect([err?.message, ...lines].join('\n')).not.toContain(target.password);
    expect(lines.some((l) => JSON.parse(l).message === 'migration started')).toBe(false);
  });
});
