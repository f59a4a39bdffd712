/**
 * TLS to the database is verified against a CA bundle (in AWS, the one the
 * Lambda runtime ships). A server of our own that accepts TLS connections only
 * (pg_hba `hostssl`), with a certificate from a test CA:
 * the handler connects with that CA, and refuses the server with another CA.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, chownSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { GetSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ATTR, ENV } from '../../../lambda/handler/constants';
import { createHandlers } from '../../../lambda/handler/handler';
import { tempDir } from '../../support/files';
import { cleanup, startServer, type StartedServer } from '../../support/system-postgres';
import { targets } from '../../support/db';

const binDir = targets.find((t) => t.binDir)?.binDir;
let server: StartedServer | undefined;
let dir: string;
let goodCa: string;
let otherCa: string;

function openssl(args: string[], cwd: string): void {
  execFileSync('openssl', args, { cwd, stdio: 'pipe' });
}

function makeCa(cwd: string, name: string): void {
  openssl(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', `/CN=${name}`, '-keyout', `${name}.key`, '-out', `${name}.pem`], cwd);
}

beforeAll(async () => {
  if (!binDir) return;
  dir = mkdtempSync(join(tmpdir(), 'schemaguard-tls-'));
  makeCa(dir, 'test-ca');
  makeCa(dir, 'other-ca');
  openssl(['req', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=localhost', '-keyout', 'server.key', '-out', 'server.csr'], dir);
  writeFileSync(join(dir, 'san.ext'), 'subjectAltName=DNS:localhost,IP:127.0.0.1\n');
  openssl(
    [
      'x509',
      '-req',
      '-in',
      'server.csr',
      '-CA',
      'test-ca.pem',
      '-CAkey',
      'test-ca.key',
      '-CAcreateserial',
      '-days',
      '2',
      '-extfile',
      'san.ext',
      '-out',
      'server.pem',
    ],
    dir,
  );
  writeFileSync(join(dir, 'pg_hba.conf'), 'hostssl all all 127.0.0.1/32 scram-sha-256\n');
  chmodSync(join(dir, 'server.key'), 0o600);
  if (process.getuid?.() === 0) {
    const uid = Number(execFileSync('id', ['-u', 'postgres']).toString().trim());
    const gid = Number(execFileSync('id', ['-g', 'postgres']).toString().trim());
    for (const f of ['', 'server.key', 'server.pem', 'pg_hba.conf']) chownSync(join(dir, f), uid, gid);
  }
  goodCa = join(dir, 'test-ca.pem');
  otherCa = join(dir, 'other-ca.pem');
  server = await startServer(
    binDir,
    {
      ssl: 'on',
      ssl_cert_file: join(dir, 'server.pem'),
      ssl_key_file: join(dir, 'server.key'),
      hba_file: join(dir, 'pg_hba.conf'),
    },
    'tls',
  );
});

afterAll(async () => {
  if (server) {
    await server.stop();
    cleanup(server);
  }
});

/** `to`: another server than this file's (its port and password). */
function handlersFor(caBundle: string, lines: string[], to: { port: number; password: string } = server!) {
  const migrations = tempDir({ '1_a.sql': 'CREATE TABLE tls_ok (id int);\n' });
  const secrets = {
    send: async (_c: GetSecretValueCommand) => ({
      SecretString: JSON.stringify({ username: 'postgres', password: to.password, host: '127.0.0.1', port: to.port, dbname: 'postgres' }),
    }),
  };
  return createHandlers({
    secrets,
    write: (l) => lines.push(l),
    env: {
      [ENV.secretArn]: 'arn:aws:secretsmanager:eu-west-1:111111111111:secret:tls',
      [ENV.migrationsDir]: migrations,
      [ENV.contractsDir]: '/nonexistent/contracts',
      [ENV.caBundle]: caBundle,
      [ENV.connectAttempts]: '3',
    },
  });
}

const event = {
  RequestType: 'Create' as const,
  StackId: 'arn:aws:cloudformation:eu-west-1:111111111111:stack/Tls/x',
  RequestId: 'tls-1',
  LogicalResourceId: 'Migrations',
  ResourceType: 'Custom::SchemaMigrations',
  ResourceProperties: {},
};
const ctx = { getRemainingTimeInMillis: () => 60_000 };

describe('TLS to the database', () => {
  it('the test server refuses connections without TLS', async () => {
    if (!binDir) {
      console.log('[schemaguard tests] no PostgreSQL binaries from this run (DATABASE_URL mode): TLS tests need their own server');
      return;
    }
    const c = new pg.Client({ host: '127.0.0.1', port: server!.port, user: 'postgres', password: server!.password, database: 'postgres', ssl: false });
    await expect(c.connect()).rejects.toThrow(/no pg_hba.conf entry|SSL off/);
  });

  it('connects with the CA that signed the server certificate (and the host name checked)', async () => {
    if (!binDir) return;
    const lines: string[] = [];
    const h = handlersFor(goodCa, lines);
    const r = await h.onEvent(event, ctx);
    const done = await h.isComplete({ ...event, PhysicalResourceId: r.PhysicalResourceId }, ctx);
    expect(done).toMatchObject({ IsComplete: true, Data: { [ATTR.appliedVersions]: '1' } });
    expect(lines.join('\n')).not.toContain(server!.password);
  });

  it('refuses a server whose certificate another CA signed, at once (no retries), without the password in the message', async () => {
    if (!binDir) return;
    const lines: string[] = [];
    const h = handlersFor(otherCa, lines);
    const started = Date.now();
    const err = await h.onEvent(event, ctx).then(
      () => undefined,
      (e: Error) => e,
    );
    expect(err?.message).toMatch(/cannot connect to postgres:\/\/postgres@127\.0\.0\.1:\d+\/postgres: .*(self[- ]signed|unable to verify|certificate)/i);
    // Regression: the fix named no bundle ("the CA bundle this connection was given"); it names the file used and where to find the right CA.
    expect(err?.message).toContain(
      `fix: the server's certificate is not signed by a CA in the CA bundle ${otherCa} (SCHEMAGUARD_CA_BUNDLE; unset: the Lambda runtime's Amazon CA certificates): ` +
        'for RDS or Aurora, a bundle with the CA the database is set to (its CACertificateIdentifier: rds-ca-rsa2048-g1, rds-ca-rsa4096-g1 or rds-ca-ecc384-g1): ' +
        "the bundle of the database's AWS Region or the global one, https://truststore.pki.rds.amazonaws.com/global/global-bundle.pem",
    );
    expect(err?.message).not.toContain('sslmode'); // the custom resource has no URL to put one in
    expect(err?.message).not.toMatch(/drop|disable/i);
    expect(Date.now() - started).toBeLessThan(3000);
    expect(lines.some((l) => JSON.parse(l).message === 'database not reachable yet; retrying')).toBe(false);
    expect([err?.message, ...lines].join('\n')).not.toContain(server!.password);
  });

  // Regression: the fix said "drop the ssl option", which for the custom resource (its CA bundle) meant turning verification off.
  it("a server with TLS off: the fix names the CA bundle and the host or the server's TLS, never dropping verification", async () => {
    if (!binDir) return;
    const plain = targets[0]!; // the run's own server: TLS off
    const h = handlersFor(goodCa, [], plain);
    const err = await h.onEvent(event, ctx).then(
      () => undefined,
      (e: Error) => e,
    );
    expect(err?.message).toMatch(/cannot connect to postgres:\/\/postgres@127\.0\.0\.1:\d+\/postgres: .*does not support SSL/);
    expect(err?.message).toContain(
      `fix: the server has TLS off, and this connection verifies the server against the CA bundle ${goodCa} (SCHEMAGUARD_CA_BUNDLE; `,
    );
    expect(err?.message).toContain(
      'check that the host is the database itself (RDS and Aurora always offer TLS: a tunnel or pooler in between may not), or turn TLS on at the server',
    );
    expect(err?.message).not.toMatch(/drop the ssl option|drop sslmode|sslmode=prefer/);
    expect(err?.message).not.toContain(plain.password);
  });

  it('says which file is missing when the CA bundle is not there', async () => {
    if (!binDir) return;
    const h = handlersFor(join(dir, 'missing.pem'), []);
    await expect(h.onEvent(event, ctx)).rejects.toThrow(/cannot read the CA bundle .*missing\.pem \(ENOENT\).*SCHEMAGUARD_CA_BUNDLE/);
  });
});
