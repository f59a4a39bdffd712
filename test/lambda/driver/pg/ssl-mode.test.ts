import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { hbaRefusal, urlTls } from '../../../../lambda/driver/pg/ssl-mode';
import type { InputError } from '../../../../lambda/engine/errors/errors';

const base = 'postgres://app:pw@db.example.internal:5432/app';
const dir = mkdtempSync(join(tmpdir(), 'sslmode-'));
const ca = join(dir, 'ca.pem');
writeFileSync(ca, '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n');

function refusal(url: string, env: NodeJS.ProcessEnv = {}): InputError {
  try {
    urlTls(url, env);
  } catch (e) {
    return e as InputError;
  }
  throw new Error(`${url} was accepted`);
}

describe('Function: urlTls', () => {
  it('takes sslmode=require as psql does: encrypted, the certificate not verified, and the URL pg gets has no TLS parameters', () => {
    const tls = urlTls(`${base}?sslmode=require&application_name=x`, {})!;
    expect(tls.ssl).toEqual({ rejectUnauthorized: false });
    expect(tls.fallBackToPlain).toBe(false);
    expect(tls.connectionString).toBe(`${base}?application_name=x`);
  });

  it('require with sslrootcert verifies the chain but not the host name (libpq: as verify-ca)', () => {
    const ssl = urlTls(`${base}?sslmode=require&sslrootcert=${ca}`, {})!.ssl as Record<string, unknown>;
    expect(ssl.ca).toContain('BEGIN CERTIFICATE');
    expect(ssl.rejectUnauthorized).toBeUndefined();
    expect(typeof ssl.checkServerIdentity).toBe('function');
  });

  it('verify-full verifies chain and host name, against sslrootcert when given; sslrootcert=system means verify-full against the default store', () => {
    expect(urlTls(`${base}?sslmode=verify-full`, {})!.ssl).toEqual({});
    expect(urlTls(`${base}?sslmode=verify-full&sslrootcert=${encodeURIComponent(ca)}`, {})!.ssl).toEqual({ ca: expect.stringContaining('BEGIN CERTIFICATE') });
    const system = urlTls(`${base}?sslmode=require&sslrootcert=system`, {})!;
    expect(system.mode).toBe('verify-full');
    expect(system.ssl).toEqual({});
  });

  it('prefer and allow try TLS without verifying and fall back to none; disable turns TLS off', () => {
    for (const mode of ['prefer', 'allow']) {
      const tls = urlTls(`${base}?sslmode=${mode}`, {})!;
      expect(tls.ssl).toEqual({ rejectUnauthorized: false });
      expect(tls.fallBackToPlain).toBe(true);
    }
    expect(urlTls(`${base}?sslmode=disable`, {})!.ssl).toBe(false);
  });

  it('reads PGSSLMODE when the URL names no sslmode, and leaves a URL without either to pg', () => {
    expect(urlTls(base, { PGSSLMODE: 'require' })!.ssl).toEqual({ rejectUnauthorized: false });
    expect(urlTls(`${base}?sslmode=disable`, { PGSSLMODE: 'require' })!.ssl).toBe(false);
    expect(urlTls(base, {})).toBeUndefined();
  });

  it('refuses an unknown sslmode, naming it and the modes', () => {
    const e = refusal(`${base}?sslmode=requre`);
    expect(e.message).toBe('sslmode: unknown value "requre"');
    expect(e.fix).toBe("use one of: disable, allow, prefer, require, no-verify, verify-ca, verify-full (psql's meanings)");
    expect(refusal(base, { PGSSLMODE: 'on' }).message).toBe('PGSSLMODE: unknown value "on"');
  });

  it('refuses verify-ca without sslrootcert, and an unreadable certificate file, naming the parameter, the path and the RDS bundle', () => {
    const e = refusal(`${base}?sslmode=verify-ca`);
    expect(e.message).toContain('sslmode=verify-ca needs sslrootcert');
    expect(e.fix).toContain('sslrootcert=/path/ca.pem');
    const missing = refusal(`${base}?sslmode=verify-full&sslrootcert=/nonexistent/ca.pem`);
    expect(missing.message).toBe('sslrootcert: cannot read /nonexistent/ca.pem (ENOENT)');
    expect(missing.fix).toContain('https://truststore.pki.rds.amazonaws.com/global/global-bundle.pem');
  });
});

describe('Function: urlTls (PGSSLROOTCERT, PGSSLCERT, PGSSLKEY)', () => {
  const key = join(dir, 'client.key');
  writeFileSync(key, '-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----\n');

  // Regression: the PGSSL… certificate variables were ignored (node-postgres reads none of them): verify-ca with PGSSLROOTCERT was refused.
  it('reads the certificate files from PGSSLROOTCERT, PGSSLCERT and PGSSLKEY when the URL names none, as psql does', () => {
    const ssl = urlTls(`${base}?sslmode=verify-ca`, { PGSSLROOTCERT: ca, PGSSLCERT: ca, PGSSLKEY: key })!.ssl as Record<string, unknown>;
    expect(ssl.ca).toContain('BEGIN CERTIFICATE');
    expect(ssl.cert).toContain('BEGIN CERTIFICATE');
    expect(ssl.key).toContain('BEGIN PRIVATE KEY');
    expect(urlTls(base, { PGSSLMODE: 'require', PGSSLROOTCERT: 'system' })!.mode).toBe('verify-full');
  });

  it("the URL's parameter wins over the variable; without an sslmode (URL or PGSSLMODE) the variables turn nothing on", () => {
    expect(urlTls(`${base}?sslmode=verify-full&sslrootcert=${encodeURIComponent(ca)}`, { PGSSLROOTCERT: '/nonexistent/ca.pem' })!.ssl).toEqual({
      ca: expect.stringContaining('BEGIN CERTIFICATE'),
    });
    expect(urlTls(base, { PGSSLROOTCERT: ca, PGSSLCERT: ca, PGSSLKEY: key })).toBeUndefined();
  });

  it('an unreadable file names the variable it came from; so does a key missing beside its certificate (libpq: an error)', () => {
    const e = refusal(`${base}?sslmode=require`, { PGSSLCERT: ca, PGSSLKEY: '/nonexistent/client.key' });
    expect(e.message).toBe('PGSSLKEY: cannot read /nonexistent/client.key (ENOENT)');
    expect(e.fix).toBe('point PGSSLKEY at a readable PEM file');
    expect(refusal(`${base}?sslmode=prefer`, { PGSSLCERT: dir }).message).toBe(`PGSSLCERT: cannot read ${dir} (EISDIR)`);
  });

  // Regression: a file that does not exist was an error (exit 2) where psql goes on without it.
  it('skips a file that does not exist, as libpq does: a client certificate (and its key), a root certificate unless verify-ca/verify-full', () => {
    const env = { PGSSLCERT: '/nonexistent/postgresql.crt', PGSSLKEY: '/nonexistent/postgresql.key', PGSSLROOTCERT: '/nonexistent/root.crt' };
    expect(urlTls(`${base}?sslmode=prefer`, env)!.ssl).toEqual({ rejectUnauthorized: false });
    expect(urlTls(`${base}?sslmode=require`, env)!.ssl).toEqual({ rejectUnauthorized: false });
    expect(urlTls(`${base}?sslmode=require&sslcert=/nonexistent/c.crt&sslrootcert=/etc/passwd/root.crt`, {})!.ssl).toEqual({ rejectUnauthorized: false });
    expect(urlTls(`${base}?sslmode=require`, { PGSSLKEY: '/nonexistent/postgresql.key' })!.ssl).toEqual({ rejectUnauthorized: false });
    expect(refusal(`${base}?sslmode=verify-ca`, env).message).toBe('PGSSLROOTCERT: cannot read /nonexistent/root.crt (ENOENT)');
    expect(refusal(base, { ...env, PGSSLMODE: 'verify-full' }).message).toBe('PGSSLROOTCERT: cannot read /nonexistent/root.crt (ENOENT)');
  });

  it('verify-ca from PGSSLMODE without a root certificate names PGSSLMODE', () => {
    const e = refusal(base, { PGSSLMODE: 'verify-ca' });
    expect(e.message).toContain('PGSSLMODE=verify-ca needs sslrootcert');
    expect(e.fix).toContain('or use PGSSLMODE=verify-full');
  });
});

describe('Function: hbaRefusal', () => {
  const entry = 'no pg_hba.conf entry for host "10.0.0.5", user "app", database "app", ';

  // Regression: only PostgreSQL 14+'s "SSL encryption" was matched, so sslmode=prefer did not fall back on 13 and earlier.
  it('reads the encryption a "no pg_hba.conf entry" refusal names, in the wording of PostgreSQL 14+ and of 13 and earlier', () => {
    expect(hbaRefusal('28000', `${entry}SSL encryption`)).toBe('tls');
    expect(hbaRefusal('28000', `${entry}SSL on`)).toBe('tls');
    expect(hbaRefusal('28000', `${entry}no encryption`)).toBe('plain');
    expect(hbaRefusal('28000', `${entry}SSL off`)).toBe('plain');
  });

  it('is undefined for other refusals: another SQLSTATE, a reject line, a GSS-encrypted connection', () => {
    expect(hbaRefusal('28P01', `${entry}SSL on`)).toBeUndefined();
    expect(hbaRefusal('28000', 'pg_hba.conf rejects connection for host "10.0.0.5", user "app", database "app", SSL encryption')).toBeUndefined();
    expect(hbaRefusal('28000', `${entry}GSS encryption`)).toBeUndefined();
  });
});
