/**
 * TLS for --database-url/DATABASE_URL when the URL says nothing about it.
 * psql's default sslmode is `prefer`: TLS without checking the certificate,
 * and plain text when the server offers none, so anyone between the client
 * and the server can read the password and the data. schemaguard differs on
 * purpose: a URL for a host that is not this machine, with no `sslmode`, no
 * `ssl` and no PGSSLMODE, connects with `sslmode=verify-full` (the chain
 * verified against Node.js's CAs, NODE_EXTRA_CA_CERTS or the URL's
 * sslrootcert, and the host name against the certificate). A local server
 * keeps the driver's default, no TLS: the embedded server and local test
 * servers have none, and nothing crosses a network to them.
 */
/** What the CLI connects with: the URL, `sslmode=verify-full` added when `defaulted`. */
export interface DefaultedTls {
  url: string;
  defaulted: boolean;
}

/**
 * `url` with `sslmode=verify-full` when it names no TLS setting and PGSSLMODE
 * is unset, and its host is not local; `anyHost`: whatever the host (IAM
 * authentication: RDS takes a token over TLS only, and a tunnel's local end
 * still reaches RDS).
 */
export function defaultTls(url: string, env: NodeJS.ProcessEnv, anyHost = false): DefaultedTls {
  const u = new URL(url);
  if (u.searchParams.has('sslmode') || u.searchParams.has('ssl') || env.PGSSLMODE) return { url, defaulted: false };
  // The host node-postgres connects to: ?host= wins over the URL's authority (pg-connection-string, as libpq).
  if (!anyHost && isLocalHost(u.searchParams.get('host') || decodeURIComponent(u.hostname))) return { url, defaulted: false };
  u.searchParams.set('sslmode', 'verify-full');
  return { url: u.toString(), defaulted: true };
}

/** This machine: localhost, 127.0.0.0/8, ::1, a Unix socket's directory, or no host (the driver's localhost). */
export function isLocalHost(host: string): boolean {
  const h = host
    .trim()
    .toLowerCase()
    .replace(/^\[(.*)\]$/, '$1');
  if (h === '' || h.startsWith('/') || h === 'localhost' || h === '::1') return true;
  return /^127(\.\d{1,3}){3}$/.test(h);
}

/** The progress line for a defaulted URL. */
export const DEFAULT_TLS_NOTE = 'TLS: verify-full (the URL gives no sslmode; add ?sslmode=… to choose)';
