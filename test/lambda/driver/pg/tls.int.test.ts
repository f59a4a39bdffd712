/**
 * sslmode against a real server with TLS on and a self-signed certificate
 * (made with openssl for this file's own server): the URL means what it
 * means to psql, and a certificate that is not trusted is explained with the
 * knobs that fix it.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ConnectionOptions } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PgDriver } from '../../../../lambda/driver/pg/pg-driver';
import { ConnectionError, InputError } from '../../../../lambda/engine/errors/errors';
import { CLI, ROOT, runCli, runNode } from '../../../support/cli';
import { targets } from '../../../support/db';
import { rejection } from '../../../support/engine';
import { tempDir } from '../../../support/files';
import { cleanup, embeddedBinDir, startServer, withClient, type StartedServer } from '../../../support/system-postgres';
import { reloaded, turnOnTls } from '../../../support/tls-on';

let server: StartedServer;
let url: string;
const certDir = mkdtempSync(join(tmpdir(), 'tls-ca-'));
const caFile = join(certDir, 'ca.pem');

/** TLS on or off on this file's server, by reload. */
async function setSsl(on: boolean): Promise<void> {
  await withClient(url, async (c) => {
    await c.query(`ALTER SYSTEM SET ssl = ${on ? 'on' : 'off'}`);
    await c.query('SELECT pg_reload_conf()');
  });
  await reloaded(url, `SELECT current_setting('ssl') = '${on ? 'on' : 'off'}' AS done`);
}

beforeAll(async () => {
  server = await startServer(embeddedBinDir(), {}, 'tls');
  url = `postgres://postgres:${server.password}@127.0.0.1:${server.port}/postgres`;
  writeFileSync(caFile, await turnOnTls(server.dataDir, url));
  // A CA that signed nothing this server has.
  execFileSync(
    'openssl',
    ['req', '-new', '-x509', '-days', '2', '-nodes', '-subj', '/CN=other-ca', '-keyout', join(certDir, 'other-ca.key'), '-out', join(certDir, 'other-ca.pem')],
    { stdio: 'pipe' },
  );
}, 60_000);

afterAll(async () => {
  await server?.stop();
  if (server) cleanup(server);
});

/** Whether the driver's session is encrypted, as the server sees it. */
async function encrypted(connectionString: string): Promise<boolean> {
  const driver = new PgDriver({ connectionString });
  const session = await driver.connect();
  try {
    return (await session.query<{ ssl: boolean }>('SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()')).rows[0]!.ssl;
  } finally {
    await session.close();
    await driver.end();
  }
}

describe('Class: PgDriver (TLS, self-signed certificate)', () => {
  it('sslmode=require encrypts without verifying the certificate, as psql does; prefer encrypts too', async () => {
    expect(await encrypted(`${url}?sslmode=require`)).toBe(true);
    expect(await encrypted(`${url}?sslmode=prefer`)).toBe(true);
    expect(await encrypted(`${url}?sslmode=disable`)).toBe(false);
  });

  it("sslmode=verify-ca with sslrootcert verifies the chain and connects by IP address (not the certificate's name)", async () => {
    expect(await encrypted(`${url}?sslmode=verify-ca&sslrootcert=${encodeURIComponent(caFile)}`)).toBe(true);
  });

  it('sslmode=verify-full: a certificate from an unknown CA fails naming sslrootcert, NODE_EXTRA_CA_CERTS and the RDS bundle', async () => {
    const e = await rejection<ConnectionError>(encrypted(`${url}?sslmode=verify-full`));
    expect(e).toBeInstanceOf(ConnectionError);
    expect(e.message).toContain('self-signed certificate');
    expect(e.fix).toContain('?sslrootcert=/path/ca.pem');
    expect(e.fix).toContain('NODE_EXTRA_CA_CERTS');
    expect(e.fix).toContain('https://truststore.pki.rds.amazonaws.com/global/global-bundle.pem');
  });

  it('sslmode=verify-full with the CA: a certificate for another host name fails naming the host name as the cause', async () => {
    const e = await rejection<ConnectionError>(encrypted(`${url}?sslmode=verify-full&sslrootcert=${encodeURIComponent(caFile)}`));
    expect(e).toBeInstanceOf(ConnectionError);
    expect(e.message).toContain('ERR_TLS_CERT_ALTNAME_INVALID');
    expect(e.fix).toContain('the certificate is for another host name');
  });

  // Regression: the URL's TLS parameters were dropped when it named no sslmode, so ?ssl=true connected in plain text.
  it('?ssl=true without sslmode is left to node-postgres: TLS, the certificate verified (this one is refused)', async () => {
    const e = await rejection<ConnectionError>(encrypted(`${url}?ssl=true`));
    expect(e).toBeInstanceOf(ConnectionError);
    expect(e.message).toContain('self-signed certificate');
  });

  it('sslmode=verify-ca without sslrootcert is refused before connecting', () => {
    expect(() => new PgDriver({ connectionString: `${url}?sslmode=verify-ca` })).toThrow(InputError);
  });
});

describe('Class: PgDriver (a role the server takes over TLS only, as rds.force_ssl=1 does)', () => {
  beforeAll(async () => {
    // pg_hba.conf as RDS with rds.force_ssl=1 has it for this role: a hostssl line and no host line.
    const hba = join(server.dataDir, 'pg_hba.conf');
    // And plain_only's as a hostnossl line makes it: only without TLS.
    writeFileSync(
      hba,
      `hostssl all tls_only 127.0.0.1/32 scram-sha-256\nhostnossl all plain_only 127.0.0.1/32 scram-sha-256\nhost all postgres 127.0.0.1/32 scram-sha-256\n`,
    );
    await withClient(url, async (c) => {
      await c.query(`CREATE ROLE tls_only LOGIN PASSWORD '${server.password}'`);
      await c.query(`CREATE ROLE plain_only LOGIN PASSWORD '${server.password}'`);
      await c.query(`CREATE ROLE no_line LOGIN PASSWORD '${server.password}'`);
      await c.query('SELECT pg_reload_conf()');
    });
    // Reloaded once a plain connection of the role is refused (pg_hba_file_rules shows the file, not what is loaded).
    const plain = `postgres://tls_only:${server.password}@127.0.0.1:${server.port}/postgres`;
    for (let tries = 0; tries < 200 && (await withClient(plain, async () => true).catch(() => false)); tries++) {
      await new Promise((r) => setTimeout(r, 50));
    }
  });

  it('without sslmode: 28000 "no pg_hba.conf entry … no encryption", and the fix names sslmode and the RDS bundle, not the password', async () => {
    const plain = `postgres://tls_only:${server.password}@127.0.0.1:${server.port}/postgres`;
    const e = await rejection<ConnectionError>(encrypted(plain));
    expect(e).toBeInstanceOf(ConnectionError);
    expect(e.message).toContain('no encryption');
    expect(e.fix).toContain('?sslmode=require');
    expect(e.fix).toContain('global-bundle.pem');
    expect(e.fix).not.toContain('password');
    expect(await encrypted(`${plain}?sslmode=require`)).toBe(true);
  });

  it('sslmode=prefer: a role pg_hba.conf takes only without TLS (hostnossl) connects without it, as psql does; require is refused', async () => {
    const plainOnly = `postgres://plain_only:${server.password}@127.0.0.1:${server.port}/postgres`;
    expect(await encrypted(`${plainOnly}?sslmode=prefer`)).toBe(false);
    const e = await rejection<ConnectionError>(encrypted(`${plainOnly}?sslmode=require`));
    expect(e.message).toContain('SSL encryption');
  });

  // Regression: both attempts refused (no line for the role at all) said "the server takes only TLS connections".
  it('sslmode=prefer, refused with TLS and without: the message names both refusals, the fix a missing pg_hba.conf line', async () => {
    const e = await rejection<ConnectionError>(encrypted(`postgres://no_line:${server.password}@127.0.0.1:${server.port}/postgres?sslmode=prefer`));
    expect(e).toBeInstanceOf(ConnectionError);
    expect(e.message).toMatch(/with TLS: no pg_hba\.conf entry .*SSL encryption.*; without TLS: no pg_hba\.conf entry .*no encryption/);
    expect(e.fix).toContain('no line for this client address, user and database, with TLS or without');
    expect(e.fix).not.toContain('takes only TLS');
  });

  // Regression: with TLS off the TLS attempt fails "does not support SSL", and the refusal without TLS was taken for a
  // TLS-only pg_hba.conf: the fix said to add ?sslmode=verify-full or require, which the server cannot do.
  it('sslmode=prefer, a server with TLS off and no pg_hba.conf line for the role: the fix is the missing line, not TLS', async () => {
    await setSsl(false);
    try {
      const e = await rejection<ConnectionError>(encrypted(`postgres://no_line:${server.password}@127.0.0.1:${server.port}/postgres?sslmode=prefer`));
      expect(e).toBeInstanceOf(ConnectionError);
      expect(e.message).toMatch(/with TLS: .*does not support SSL.*; without TLS: no pg_hba\.conf entry .*no encryption/);
      expect(e.fix).toContain('the server has TLS off');
      expect(e.fix).toContain('no line for this client address, user and database');
      expect(e.fix).not.toContain('sslmode=');
    } finally {
      await setSsl(true);
    }
  });
});

describe('Class: PgDriver (a server with TLS off)', () => {
  // Regression: the fix said "drop sslmode=require from the URL" whatever the URL said (sslmode=verify-full here).
  it('sslmode=verify-full against a server with TLS off: the fix names sslmode=verify-full, the setting given', async () => {
    await setSsl(false);
    try {
      const e = await rejection<ConnectionError>(encrypted(`${url}?sslmode=verify-full&sslrootcert=${encodeURIComponent(caFile)}`));
      expect(e).toBeInstanceOf(ConnectionError);
      expect(e.message).toContain('does not support SSL');
      expect(e.fix).toContain('the server has TLS off: drop sslmode=verify-full in the URL');
      expect(e.fix).not.toContain('sslmode=require');
    } finally {
      await setSsl(true);
    }
  });
});

describe("Class: PgDriver (the ssl option with a CA bundle: the engine's API, the custom resource)", () => {
  /** The driver's error connecting to this file's server with `ssl`, the URL's sslmode given too. */
  async function refusal(ssl: ConnectionOptions): Promise<ConnectionError> {
    const driver = new PgDriver({ connectionString: `${url}?sslmode=verify-full`, ssl });
    return rejection<ConnectionError>(
      driver
        .connect()
        .then((s) => s.close())
        .finally(() => driver.end()),
    );
  }

  it("a bundle without the server's CA: the fix names the RDS CAs, the bundles and how to see the server's certificate, and that the URL's sslmode is not read", async () => {
    const e = await refusal({ ca: readFileSync(join(certDir, 'other-ca.pem'), 'utf8'), rejectUnauthorized: true });
    expect(e.message).toContain('self-signed certificate');
    expect(e.fix).toContain(
      "the server's certificate is not signed by a CA in the CA bundle of the ssl option (while the ssl option is given, the URL's sslmode and sslrootcert are not read): ",
    );
    expect(e.fix).toContain('rds-ca-rsa2048-g1, rds-ca-rsa4096-g1 or rds-ca-ecc384-g1');
    expect(e.fix).toContain('openssl s_client -starttls postgres -connect <host>:<port> -showcerts');
    expect(e.fix).not.toMatch(/drop|NODE_EXTRA_CA_CERTS|sslmode=require/);
  });

  it('the right bundle, another host name: the fix names the endpoint, not a weaker sslmode', async () => {
    const e = await refusal({ ca: readFileSync(caFile, 'utf8'), rejectUnauthorized: true });
    expect(e.message).toContain('ERR_TLS_CERT_ALTNAME_INVALID');
    expect(e.fix).toBe(
      'the certificate (verified against the CA bundle of the ssl option) is for another host name: connect with a name the certificate holds (RDS: the instance or cluster endpoint, not an IP address or a CNAME)',
    );
  });

  // Regression: the fix said "drop the ssl option for a local server", which turns verification off for a CA-bundle user.
  it('a server with TLS off: the fix keeps verification (the host, or TLS on at the server), never "drop the ssl option"', async () => {
    await setSsl(false);
    try {
      const e = await refusal({ ca: readFileSync(caFile, 'utf8'), rejectUnauthorized: true });
      expect(e.message).toContain('does not support SSL');
      expect(e.fix).toContain('the server has TLS off, and this connection verifies the server against the CA bundle of the ssl option');
      expect(e.fix).toContain('or turn TLS on at the server (ssl=on, with a certificate a CA in that bundle signed)');
      expect(e.fix).not.toMatch(/drop the ssl option|sslmode=prefer/);
    } finally {
      await setSsl(true);
    }
  });
});

describe('CLI: schemaguard status --database-url …?sslmode=require (TLS server, self-signed certificate)', () => {
  it("connects, exit 0, without pg-connection-string's security warning", async () => {
    const dir = tempDir({ '1_a.sql': 'CREATE TABLE a (id int);' });
    const r = await runCli(['status', '--dir', dir, '--database-url', `${url}?sslmode=require`]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('0 applied, 1 pending');
    expect(r.stderr).not.toContain('SECURITY WARNING');
  });

  // Regression: PGSSLROOTCERT was ignored, so sslmode=verify-ca was refused for want of a root certificate (exit 2).
  it('PGSSLMODE=verify-ca with PGSSLROOTCERT verifies against that CA, as psql does: exit 0', async () => {
    const dir = tempDir({ '1_a.sql': 'CREATE TABLE a (id int);' });
    const r = await runCli(['status', '--dir', dir, '--database-url', url], { env: { PGSSLMODE: 'verify-ca', PGSSLROOTCERT: caFile } });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('0 applied, 1 pending');
  });

  // Regression: a PGSSLCERT (or PGSSLROOTCERT) file that does not exist was an error, exit 2, where psql connects without it.
  it('PGSSLMODE=require with PGSSLCERT, PGSSLKEY and PGSSLROOTCERT naming files that do not exist connects, as psql does: exit 0', async () => {
    const dir = tempDir({ '1_a.sql': 'CREATE TABLE a (id int);' });
    const r = await runCli(['status', '--dir', dir, '--database-url', url], {
      env: { PGSSLMODE: 'require', PGSSLCERT: '/nonexistent/postgresql.crt', PGSSLKEY: '/nonexistent/postgresql.key', PGSSLROOTCERT: '/nonexistent/root.crt' },
    });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('0 applied, 1 pending');
  });
});

/** Resolves db.test.internal (the name in this file's certificate) to 127.0.0.1 in the CLI process, as an /etc/hosts line would. */
const TEST_HOSTS = join(ROOT, 'test', 'support', 'test-hosts.cjs');

describe("CLI: --database-url for a remote host without sslmode (db.test.internal, resolved to this file's TLS server)", () => {
  const remote = () => `postgres://postgres:${server.password}@db.test.internal:${server.port}/postgres`;
  const status = (databaseUrl: string, env: NodeJS.ProcessEnv = {}) =>
    runNode(['--require', TEST_HOSTS, CLI, 'status', '--dir', tempDir({ '1_a.sql': 'CREATE TABLE a (id int);' }), '--database-url', databaseUrl], {
      env: { SCHEMAGUARD_TEST_HOSTS: 'db.test.internal=127.0.0.1', PGSSLMODE: undefined, PGSSLROOTCERT: undefined, ...env },
    });

  it("connects with sslmode=verify-full and says so: the certificate verified against the URL's sslrootcert and the host name, exit 0", async () => {
    const r = await status(`${remote()}?sslrootcert=${encodeURIComponent(caFile)}`);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('TLS: verify-full (the URL gives no sslmode; add ?sslmode=… to choose)');
    expect(r.stdout).toContain('0 applied, 1 pending');
  });

  it('a certificate no trusted CA signed is refused: the fix names sslrootcert (the RDS bundle) and sslmode=require/disable as the choices', async () => {
    const r = await status(remote());
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('self-signed certificate');
    expect(r.stderr).toContain('the URL gives no sslmode, so schemaguard asks a remote host for sslmode=verify-full');
    expect(r.stderr).toContain('?sslrootcert=/path/global-bundle.pem');
    expect(r.stderr).toContain('?sslmode=require (encrypted, the certificate not verified) or ?sslmode=disable');
  });

  it("the URL's sslmode and PGSSLMODE decide: require connects without verifying, and nothing is said about a default", async () => {
    for (const r of [await status(`${remote()}?sslmode=require`), await status(remote(), { PGSSLMODE: 'require' })]) {
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).not.toContain('TLS: verify-full');
    }
  });

  it('a server with TLS off is refused, not reached in plain text: the fix names the sslmode setting', async () => {
    await setSsl(false);
    try {
      const r = await status(remote());
      expect(r.code).toBe(1);
      expect(r.stderr).toContain('does not support SSL');
      expect(r.stderr).toContain('the server has TLS off, and the URL gives no sslmode, so schemaguard asks a remote host for sslmode=verify-full');
      expect(r.stderr).toContain('?sslmode=disable (no TLS: only on a network you trust)');
    } finally {
      await setSsl(true);
    }
  });

  it("127.0.0.1 without sslmode keeps the driver's default, no TLS: the self-signed certificate is not checked, exit 0", async () => {
    const r = await status(url);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).not.toContain('TLS: verify-full');
  });
});

describe.each(targets)('Class: PgDriver (sslmode=prefer, a server without TLS: $name)', (t) => {
  it('connects without TLS, as psql does', async () => {
    const u = new URL(t.adminUrl);
    u.searchParams.set('sslmode', 'prefer');
    expect(await encrypted(u.toString())).toBe(false);
  });

  // Regression: the URL's sslmode=prefer made a driver given its own ssl option fall back to no TLS.
  it("an explicit ssl option wins: the URL's sslmode=prefer (or verify-ca without a root certificate) neither falls back to no TLS nor is refused", async () => {
    const u = new URL(t.adminUrl);
    u.searchParams.set('sslmode', 'prefer');
    const driver = new PgDriver({ connectionString: u.toString(), ssl: { rejectUnauthorized: true } });
    const e = await rejection<ConnectionError>(driver.connect().finally(() => driver.end()));
    expect(e).toBeInstanceOf(ConnectionError);
    expect(e.message).toContain('does not support SSL');
    u.searchParams.set('sslmode', 'verify-ca');
    expect(() => new PgDriver({ connectionString: u.toString(), ssl: { rejectUnauthorized: true } })).not.toThrow();
  });
});
