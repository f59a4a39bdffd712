import { describe, expect, it } from 'vitest';
import { defaultTls, isLocalHost } from '../../../bin/cli/default-tls';

const sslmode = (url: string) => new URL(url).searchParams.get('sslmode');

describe('Function: defaultTls', () => {
  it.each([
    'postgres://u:p@db.example.com:5432/app',
    'postgres://u:p@mydb.abc123.eu-west-1.rds.amazonaws.com/app',
    'postgres://u:p@10.0.0.5/app',
    'postgres://u:p@[2001:db8::1]:5432/app',
    // ?host= is where the driver connects, whatever the authority says.
    'postgres://u:p@localhost/app?host=db.example.com',
  ])('a remote host without sslmode: verify-full (%s)', (url) => {
    const r = defaultTls(url, {});
    expect(r.defaulted).toBe(true);
    expect(sslmode(r.url)).toBe('verify-full');
  });

  it('keeps the rest of the URL: user, password, port, database, other parameters', () => {
    const r = defaultTls('postgres://u:p%40ss@db.example.com:6543/app?application_name=x&sslrootcert=%2Ftmp%2Fca.pem', {});
    const u = new URL(r.url);
    expect([u.username, u.password, u.hostname, u.port, u.pathname]).toEqual(['u', 'p%40ss', 'db.example.com', '6543', '/app']);
    expect(u.searchParams.get('application_name')).toBe('x');
    expect(u.searchParams.get('sslrootcert')).toBe('/tmp/ca.pem');
    expect(u.searchParams.get('sslmode')).toBe('verify-full');
  });

  it.each([
    'postgres://u:p@localhost:5432/app',
    'postgres://u:p@LOCALHOST/app',
    'postgres://u:p@127.0.0.1:5432/app',
    'postgres://u:p@127.1.2.3/app',
    'postgres://u:p@[::1]:5432/app',
    'postgres://u@localhost/app?host=/var/run/postgresql',
    'postgres://u@%2Fvar%2Frun%2Fpostgresql/app',
  ])('a local host keeps the URL as given, no TLS (%s)', (url) => {
    expect(defaultTls(url, {})).toEqual({ url, defaulted: false });
  });

  it.each(['sslmode=disable', 'sslmode=prefer', 'sslmode=require', 'ssl=true', 'ssl=0'])('a URL that says ?%s is left as it is', (param) => {
    const url = `postgres://u:p@db.example.com/app?${param}`;
    expect(defaultTls(url, {})).toEqual({ url, defaulted: false });
  });

  it('PGSSLMODE set in the environment decides (an empty one does not, as the driver reads it)', () => {
    const url = 'postgres://u:p@db.example.com/app';
    expect(defaultTls(url, { PGSSLMODE: 'disable' })).toEqual({ url, defaulted: false });
    expect(defaultTls(url, { PGSSLMODE: '' }).defaulted).toBe(true);
  });

  it('anyHost (--iam): verify-full for a local host too, and still not over an sslmode or PGSSLMODE', () => {
    expect(sslmode(defaultTls('postgres://u@127.0.0.1:5432/app', {}, true).url)).toBe('verify-full');
    expect(defaultTls('postgres://u@127.0.0.1/app?sslmode=require', {}, true).defaulted).toBe(false);
    expect(defaultTls('postgres://u@127.0.0.1/app', { PGSSLMODE: 'require' }, true).defaulted).toBe(false);
  });
});

describe('Function: isLocalHost', () => {
  it("this machine's names and addresses, a socket directory, no host", () => {
    for (const h of ['localhost', '127.0.0.1', '127.255.255.254', '::1', '[::1]', '/tmp', '']) expect(isLocalHost(h), h).toBe(true);
  });

  it('everything else, including names that only start like a local one', () => {
    for (const h of ['db.example.com', 'localhost.example.com', '127.0.0.1.nip.io', '128.0.0.1', '10.0.0.1', '::2', '0:0:0:0:0:0:0:2'])
      expect(isLocalHost(h), h).toBe(false);
  });
});
