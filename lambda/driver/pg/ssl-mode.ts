/**
 * `sslmode` in a URL means what it means to psql (libpq), not what it means
 * to pg-connection-string 2.x, which takes `require`, `prefer` and
 * `verify-ca` as `verify-full`, so a URL psql accepts with `?sslmode=require`
 * would fail with "self-signed certificate". The URL's TLS parameters are read
 * here and handed to pg as its `ssl` option; pg gets the URL without them.
 *
 * | sslmode            | encrypted | chain verified   | host name verified |
 * |--------------------|-----------|------------------|--------------------|
 * | disable            | no        | –                | –                  |
 * | allow, prefer      | if the server has TLS | no   | no                 |
 * | require, no-verify | yes       | only with sslrootcert | no            |
 * | verify-ca          | yes       | yes (sslrootcert required) | no       |
 * | verify-full        | yes       | yes              | yes                |
 *
 * The chain is verified against `sslrootcert` when given, else against
 * Node.js's CA store plus `NODE_EXTRA_CA_CERTS` (`sslrootcert=system`, as in
 * libpq 16, names that store and implies verify-full). `allow` is taken as
 * `prefer`: TLS first, without it when the server has TLS off.
 *
 * As libpq, `sslrootcert`, `sslcert` and `sslkey` not in the URL are read
 * from PGSSLROOTCERT, PGSSLCERT and PGSSLKEY (node-postgres reads none of
 * them; it reads PGSSLMODE, with its own meanings, which is read here
 * first). They never turn TLS on by themselves: without an sslmode (URL or
 * PGSSLMODE) they are not read, so a shell set up for psql's servers does
 * not make a URL without TLS ask for it.
 *
 * As libpq, a file that does not exist (URL or variable) is skipped, not an
 * error: a client certificate (and then its key, which libpq reads only with
 * the certificate), and a root certificate unless the mode is verify-ca or
 * verify-full (require then encrypts without verifying). A key missing beside
 * a certificate, and a file that exists but cannot be read, are errors.
 */
import { readFileSync } from 'node:fs';
import type { ConnectionOptions } from 'node:tls';
import { InputError } from '../../engine/errors/errors';
import { INVALID_AUTHORIZATION_SPECIFICATION } from '../../engine/errors/sqlstate';

export const SSL_MODES = ['disable', 'allow', 'prefer', 'require', 'no-verify', 'verify-ca', 'verify-full'] as const;
export type SslMode = (typeof SSL_MODES)[number];

/** The URL parameters read here, removed from the URL pg gets. */
const TLS_PARAMETERS = ['sslmode', 'sslrootcert', 'sslcert', 'sslkey', 'ssl', 'uselibpqcompat'];

/** The CA bundle of RDS and Aurora, all regions. */
export const RDS_CA_BUNDLE = 'https://truststore.pki.rds.amazonaws.com/global/global-bundle.pem';
/** Where to find the CA, for every message about an untrusted certificate. */
export const CA_FIX =
  "add ?sslrootcert=/path/ca.pem to the URL (the CA that signed the server's certificate), or set NODE_EXTRA_CA_CERTS=/path/ca.pem; " +
  `for RDS that file is the AWS CA bundle (${RDS_CA_BUNDLE})`;

export interface UrlTls {
  /** The URL for pg, without the TLS parameters. */
  connectionString: string;
  /** pg's `ssl` option. */
  ssl: ConnectionOptions | false;
  /** `allow`/`prefer`: connect without TLS when the server has it off. */
  fallBackToPlain: boolean;
  mode: SslMode;
}

/**
 * The TLS settings of `url` (sslmode from the URL, else PGSSLMODE), or
 * undefined when it names no sslmode (pg's own default then: no TLS unless
 * `?ssl=true`). Throws an InputError for an unknown sslmode, a certificate
 * file that cannot be read (one that does not exist is skipped where libpq
 * skips it) or verify-ca without a root certificate.
 */
export function urlTls(url: string, env: NodeJS.ProcessEnv = process.env): UrlTls | undefined {
  const u = new URL(url);
  const q = u.searchParams;
  const raw = q.get('sslmode') ?? (q.has('ssl') ? undefined : env.PGSSLMODE || undefined);
  if (raw === undefined) return undefined;
  const source = q.has('sslmode') ? 'sslmode' : 'PGSSLMODE';
  if (!(SSL_MODES as readonly string[]).includes(raw)) {
    throw new InputError(`${source}: unknown value "${raw}"`, { value: raw, fix: `use one of: ${SSL_MODES.join(', ')} (psql's meanings)` });
  }
  const files = certificateFiles(q, env);
  const mode: SslMode = files.sslrootcert?.path === 'system' ? 'verify-full' : (raw as SslMode);
  const ssl = sslOption(mode, files, source);
  for (const p of TLS_PARAMETERS) q.delete(p);
  return { connectionString: u.toString(), ssl, fallBackToPlain: mode === 'allow' || mode === 'prefer', mode };
}

/** `url` without its TLS parameters: for a driver given its own `ssl` option, which the URL's must not weaken (nor pg read). */
export function withoutTlsParameters(url: string): string {
  const u = new URL(url);
  if (!TLS_PARAMETERS.some((p) => u.searchParams.has(p))) return url;
  for (const p of TLS_PARAMETERS) u.searchParams.delete(p);
  return u.toString();
}

/** A certificate file and where it was named: the URL's parameter, or its PGSSL… variable. */
interface CertificateFile {
  path: string;
  from: string;
}

type CertificateFiles = Partial<Record<'sslrootcert' | 'sslcert' | 'sslkey', CertificateFile>>;

/** The URL's certificate parameters, each else its PGSSL… variable (libpq's order). */
function certificateFiles(q: URLSearchParams, env: NodeJS.ProcessEnv): CertificateFiles {
  const files: CertificateFiles = {};
  for (const name of ['sslrootcert', 'sslcert', 'sslkey'] as const) {
    const variable = `PG${name.toUpperCase()}`;
    const path = q.get(name) || env[variable];
    if (path) files[name] = { path, from: q.get(name) ? name : variable };
  }
  return files;
}

/** pg's `ssl` option for `mode` with the certificate files; `source`: where the mode came from (sslmode or PGSSLMODE). */
function sslOption(mode: SslMode, named: CertificateFiles, source: string): ConnectionOptions | false {
  if (mode === 'disable') return false;
  const rootcert = named.sslrootcert;
  // libpq: a root certificate that does not exist is an error only where it is needed.
  const ca = rootcert && rootcert.path !== 'system' ? readPem(rootcert, !mode.startsWith('verify-')) : undefined;
  const cert = named.sslcert ? readPem(named.sslcert, true) : undefined;
  // libpq reads the key only with a certificate, and then it must exist.
  const key = cert !== undefined && named.sslkey ? readPem(named.sslkey) : undefined;
  const files = {
    ...(ca !== undefined ? { ca } : {}),
    ...(cert !== undefined ? { cert } : {}),
    ...(key !== undefined ? { key } : {}),
  };
  switch (mode) {
    case 'allow':
    case 'prefer':
      return { ...files, rejectUnauthorized: false };
    case 'require':
    case 'no-verify':
      // libpq: require with a root certificate verifies the chain, as verify-ca does.
      return ca !== undefined ? { ...files, checkServerIdentity: () => undefined } : { ...files, rejectUnauthorized: false };
    case 'verify-ca':
      if (ca === undefined) {
        throw new InputError(
          `${source}=verify-ca needs sslrootcert: it checks the certificate's chain but not its host name, which only protects against a CA of your own`,
          {
            value: 'verify-ca',
            fix:
              `add &sslrootcert=/path/ca.pem to the URL or set PGSSLROOTCERT (the CA that signed the server's certificate; for RDS the AWS CA bundle, ${RDS_CA_BUNDLE}), ` +
              `or use ${source}=verify-full, which checks the host name too`,
          },
        );
      }
      return { ...files, checkServerIdentity: () => undefined };
    default:
      return files;
  }
}

/**
 * Which connection a 28000 "no pg_hba.conf entry for host …" refusal was:
 * its last words name the encryption — "SSL encryption" or "no encryption"
 * from PostgreSQL 14 on (seen on 15 and 18), "SSL on" or "SSL off" before
 * (src/backend/libpq/auth.c). `tls`: no line takes this client over TLS (a
 * hostnossl line may take it without); `plain`: none without (hostssl lines
 * only, as RDS's rds.force_ssl=1 makes them). Undefined for any other error.
 */
export function hbaRefusal(sqlstate: string | undefined, message: string): 'tls' | 'plain' | undefined {
  if (sqlstate !== INVALID_AUTHORIZATION_SPECIFICATION) return undefined;
  const state = /^no pg_hba\.conf entry for .*, (SSL encryption|SSL on|no encryption|SSL off)$/.exec(message)?.[1];
  if (state === undefined) return undefined;
  return state === 'SSL encryption' || state === 'SSL on' ? 'tls' : 'plain';
}

/** The file's text; `skipMissing`: undefined when it does not exist (libpq's test: ENOENT or ENOTDIR). */
function readPem({ path, from }: CertificateFile, skipMissing = false): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch (cause) {
    const code = (cause as NodeJS.ErrnoException).code;
    if (skipMissing && (code === 'ENOENT' || code === 'ENOTDIR')) return undefined;
    const where = from.startsWith('PG') ? from : `${from} in the URL`;
    const rds = /rootcert/i.test(from) ? ` (for RDS: the AWS CA bundle, ${RDS_CA_BUNDLE})` : '';
    throw new InputError(`${from}: cannot read ${path} (${(cause as NodeJS.ErrnoException).code ?? String(cause)})`, {
      value: path,
      cause,
      fix: `point ${where} at a readable PEM file${rds}`,
    });
  }
}
