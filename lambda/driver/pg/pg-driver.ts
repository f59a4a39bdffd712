/**
 * The wire-protocol driver (node-postgres). One pg.Client per Session: the
 * runner uses one for the advisory lock and one for the migrations.
 *
 * Through a connection pooler (`pooler.ts`) a pg.Client is not one server
 * session. The driver then keeps nothing in the session: the runner lock is
 * the lease (`runner-lock.ts`) and fences every commit; timeouts are only
 * ever `SET LOCAL` inside a transaction; the pid the blocker watcher samples
 * is read inside each transaction and forgotten at its end; no session-level
 * `SET` is sent (it would stay behind for the pool's other clients), so
 * no-transaction files, which need session timeouts, are refused.
 */
import pg from 'pg';
// Types by name, never through the default import: the shipped .d.ts then need no esModuleInterop in the app that reads them.
import type { Client, ClientConfig, QueryConfig } from 'pg';
import { ConnectionError, InputError, PoolerError, databaseFields, isConnectionLoss, sqlstateOf } from '../../engine/errors/errors';
import type { Driver, LockOptions, MigrationLock, QueryResult, ScriptResult, Session, SessionCapabilities, TransactionSettings } from '../../engine/ports';
import { MASK, maskUrl, Redactor } from '../../engine/errors/redact';
import { localTimeoutCalls } from '../../engine/apply/script';
import { quoteLiteral } from '../../engine/sql/sql-quote';
import { sleep } from '../../engine/runtime/sleep';
import type { Migration } from '../../engine/files/source';
import type { LeaseLock, LeaseTimings } from '../data-api/lease-lock';
import { iamPassword, iamRefusalFix, type IamAuthOptions } from './iam-token';
import { announcedPid, describePooler, DIRECT_URL_FIX, isPooled, isRdsProxyEndpoint, refuseNoTransaction, type PoolerEvidence } from './pooler';
import { parse as parseConnectionString } from 'pg-connection-string';
import { PgRunnerLock } from './runner-lock';
import type { KeptConnection, KeptIdentity, PgSessionPool } from './session-pool';
import { ScriptQuery } from './script-query';
import { CA_FIX, hbaRefusal, RDS_CA_BUNDLE, urlTls, withoutTlsParameters, type UrlTls } from './ssl-mode';
import {
  CANNOT_CONNECT_NOW,
  INSUFFICIENT_PRIVILEGE,
  INVALID_AUTHORIZATION_SPECIFICATION,
  INVALID_CATALOG_NAME,
  INVALID_PASSWORD,
  NO_ACTIVE_SQL_TRANSACTION,
  TOO_MANY_CONNECTIONS,
} from '../../engine/errors/sqlstate';
import { present } from '../../engine/errors/present';

export interface ConnectRetry {
  /** Attempts in all (1 = no retry). @default 1 */
  attempts: number;
  /** First delay, doubled each attempt up to 5 s. @default 500 */
  initialDelayMs?: number;
}

export interface PgDriverCommon {
  /** @default 'schemaguard' */
  applicationName?: string;
  /** Per-attempt connect timeout. @default 10000 */
  connectTimeoutMs?: number;
  /** @default - one attempt */
  connectRetry?: ConnectRetry;
  /** TLS options passed to pg (e.g. the AWS CA bundle). @default - from the URL's sslmode (or PGSSLMODE), with psql's meanings */
  ssl?: ClientConfig['ssl'];
  /**
   * The URL's `sslmode=verify-full` was added by the caller as its default
   * (the CLI's, for a remote host), not written by the user: a failed TLS
   * connection's fix names the sslmode to choose instead of one to drop.
   * @default false
   */
  sslModeDefaulted?: boolean;
  /** Secrets to mask in messages (the password is added automatically). */
  redactor?: Redactor;
  /** Told about each failed attempt before the next. */
  onConnectRetry?: (attempt: number, delayMs: number, message: string) => void;
  /** Lease timings for the runner lock when the connection goes through a pooler. @default - LeaseLock defaults (60 s TTL) */
  lease?: LeaseTimings;
  /**
   * IAM database authentication: each connection sends a token signed for
   * the host, port and user (`iam-token.ts`) instead of a password.
   * @default - the password of the URL or config
   */
  iam?: Pick<IamAuthOptions, 'region' | 'credentials'>;
  /**
   * The connection goes through a pooler or proxy that multiplexes
   * transactions (RDS Proxy, PgBouncer in transaction mode): treat every
   * connection as one, whatever its start-up says. An RDS Proxy endpoint
   * (`….proxy-….rds.amazonaws.com`) is one by its name.
   * @default false - recognised by its start-up (`pooler.ts`) or its name
   */
  pooler?: boolean;
  /**
   * Where the host, port, user and database come from, as a failed
   * connection's fix names them (the custom resource: its secret's fields).
   * @default - the URL's parts
   */
  settingNames?: ConnectionSettingNames;
  /**
   * A fleet's tenant schema: every session searches it (alone) for unqualified
   * names, set by the server from the name as a parameter
   * (`set_config('search_path', quote_ident($1), false)`) and set again by
   * each session reset, so each file starts there as in a new connection.
   * @default - the server's search_path for the user and database
   */
  searchPath?: string;
  /**
   * Connections shared with other drivers of the same server, database and
   * user (a fleet's tenants in one database): `connect` takes a kept one
   * before opening a new one, and a closed session's connection is reset
   * and kept (`session-pool.ts`). The caller ends the pool.
   * @default - every session its own connection, closed with it
   */
  sessions?: PgSessionPool;
}

/** The names of a connection's settings in a fix: "check that the server is running …, and <hostAndPort>". */
export interface ConnectionSettingNames {
  /** @default 'the host and port in the URL' */
  hostAndPort: string;
  /** @default 'the database name in the URL' */
  database: string;
  /** The user and the database: "check <userAndDatabase>". @default 'them in the URL' */
  userAndDatabase: string;
  /**
   * The CA bundle the `ssl` option verifies the server against, as a failed
   * TLS connection's fix names it (the custom resource: the file and its
   * variable). @default 'the CA bundle of the ssl option'
   */
  caBundle?: string;
}

const URL_SETTING_NAMES: ConnectionSettingNames = {
  hostAndPort: 'the host and port in the URL',
  database: 'the database name in the URL',
  userAndDatabase: 'them in the URL',
};

/** Either a URL or discrete settings, never both. */
export type PgDriverOptions = PgDriverCommon &
  ({ connectionString: string; config?: never } | { config: Omit<ClientConfig, 'connectionString' | 'ssl'>; connectionString?: never });

/** Validate a `postgres://` URL; the message never contains its password. */
export function parseDatabaseUrl(url: string, source = 'connectionString'): URL {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    // psql also takes `host=… dbname=…`; schemaguard takes URLs only, and says so.
    const keywords = /^\s*[a-z_]+\s*=/i.test(url);
    throw new InputError(
      `${source}: not a valid URL${keywords ? ' (a keyword/value connection string, as psql takes, is not supported)' : ''}: ${maskUrl(url)}`,
      {
        value: maskUrl(url),
        fix: 'write it as postgres://user:password@host:5432/database (percent-encode special characters in the password)',
      },
    );
  }
  for (const [part, text] of [
    ['user name', parsed.username],
    ['password', parsed.password],
  ] as const) {
    try {
      decodeURIComponent(text);
    } catch {
      throw new InputError(`${source}: the ${part} in ${maskUrl(url)} has a % that does not start a percent-encoded byte`, {
        value: part === 'password' ? MASK : text,
        fix: 'write a % in it as %25 (percent-encode special characters: @ as %40, / as %2F)',
      });
    }
  }
  if (parsed.protocol !== 'postgres:' && parsed.protocol !== 'postgresql:') {
    throw new InputError(`${source}: unsupported scheme "${parsed.protocol}" in ${maskUrl(url)}`, {
      value: parsed.protocol,
      fix: 'use postgres:// or postgresql://',
    });
  }
  if (!parsed.hostname && !parsed.searchParams.get('host')) {
    throw new InputError(`${source}: no host in ${maskUrl(url)}`, { value: maskUrl(url), fix: 'write it as postgres://user:password@host:5432/database' });
  }
  return parsed;
}

export class PgDriver implements Driver {
  readonly kind = 'pg';
  readonly target: string;
  /** Set once a connection of this driver was found to go through a pooler. */
  pooler?: PoolerEvidence;
  /** The runner's lease while one is held through a pooler: every commit is fenced by it. */
  lease?: LeaseLock;
  /** The connection started by `prepareConnection`, for the next `connect()`. */
  private early?: Promise<Session>;
  private readonly redactor: Redactor;
  /** The URL's sslmode and certificates, read as psql reads them (ssl-mode.ts); none when the `ssl` option is given. */
  private readonly tls?: UrlTls;
  /** The URL pg gets: without TLS parameters when they were read here, or when the `ssl` option overrides them. */
  private readonly url?: string;
  /** IAM authentication's token source, when asked for. */
  private readonly password?: () => Promise<string>;
  /** Why every connection counts as pooled whatever its start-up says: said so, or an RDS Proxy endpoint. */
  private readonly declaredPooler?: 'declared' | 'rds-proxy';

  constructor(private readonly options: PgDriverOptions) {
    this.redactor = options.redactor ?? new Redactor();
    if (options.connectionString !== undefined) {
      const u = parseDatabaseUrl(options.connectionString);
      this.redactor.add(decodeURIComponent(u.password));
      this.target = maskUrl(options.connectionString);
      // An explicit ssl option (the custom resource's CA bundle) wins: the URL's sslmode can neither weaken it nor fall back to no TLS.
      this.tls = options.ssl === undefined ? urlTls(options.connectionString) : undefined;
      // Without either, pg reads the URL itself (?ssl=true, a lone sslrootcert): it keeps them.
      this.url = options.ssl !== undefined ? withoutTlsParameters(options.connectionString) : (this.tls?.connectionString ?? options.connectionString);
    } else {
      const c = options.config;
      if (typeof c.password === 'string') this.redactor.add(c.password);
      this.target = `postgres://${c.user ?? ''}@${c.host ?? 'localhost'}:${c.port ?? 5432}/${c.database ?? ''}`;
    }
    const where = this.hostPortUser();
    this.declaredPooler = options.pooler === true ? 'declared' : isRdsProxyEndpoint(where.host) ? 'rds-proxy' : undefined;
    if (options.iam) {
      refuseIamWithoutTls(this.tls, options.connectionString !== undefined && options.ssl === undefined);
      this.password = iamPassword({ hostname: where.host, port: where.port, username: where.user, ...options.iam, onToken: (t) => this.redactor.add(t) });
    }
  }

  /** The host, port and user the connections are for (IAM signs its token for them). */
  private hostPortUser(): { host: string; port: number; user: string } {
    // Without the TLS parameters: pg-connection-string would read their files and warn about sslmode=require's meaning.
    const c = this.options.connectionString !== undefined ? parseConnectionString(withoutTlsParameters(this.options.connectionString)) : this.options.config;
    return { host: c.host ?? 'localhost', port: Number(c.port ?? 5432), user: c.user ?? '' };
  }

  get leaseTimings(): LeaseTimings | undefined {
    return this.options.lease;
  }

  createLock(options: LockOptions): MigrationLock {
    return new PgRunnerLock(this, options);
  }

  /** Through a pooler, refuse the pending no-transaction files before any migration runs. */
  assertRunnable(pending: Migration[]): void {
    if (this.pooler) refuseNoTransaction(this.pooler, pending);
  }

  /**
   * Start the next connection now (its TCP handshake, authentication and
   * first round trip proceed while the caller reads its files); the next
   * `connect()` returns it, or its error after its retries. One the server
   * closed while it waited (idle_session_timeout) is replaced by a new one.
   * `end()` closes it when nobody took it.
   */
  prepareConnection(): void {
    if (this.early) return;
    this.early = this.open();
    this.early.catch(() => undefined);
  }

  async connect(): Promise<Session> {
    const early = this.early;
    this.early = undefined;
    if (!early) return this.open();
    const session = await early;
    if (!session.broken) return session;
    await session.close();
    return this.open();
  }

  private async open(): Promise<Session> {
    const session = (await this.reuse()) ?? (await this.openNew());
    if (this.options.sessions && session.pooler === undefined) session.keepWith = (kept) => present(this.options.sessions).giveBack(kept);
    return session;
  }

  /** A kept connection of the shared sessions, set up for this driver; undefined when none is kept (or the one taken failed: it is closed). */
  private async reuse(): Promise<PgSession | undefined> {
    for (let kept = this.options.sessions?.take(); kept; kept = this.options.sessions?.take()) {
      const session = new PgSession(kept.client, this.target, () => this.lease, this.declaredPooler, this.options.searchPath);
      try {
        await session.resume(kept.identity);
        return session;
      } catch {
        session.abandon();
      }
    }
    return undefined;
  }

  private async openNew(): Promise<PgSession> {
    const retry = this.options.connectRetry ?? { attempts: 1 };
    const attempts = Math.max(1, retry.attempts);
    let delay = retry.initialDelayMs ?? 500;
    const started = Date.now();
    let plain = false;
    /** sslmode=prefer's TLS attempt, refused (TLS off, or pg_hba.conf) before the one without TLS. */
    let tlsRefusal: unknown;
    for (let attempt = 1; ; attempt++) {
      const client = new pg.Client({
        ...this.where(plain),
        application_name: this.options.applicationName ?? 'schemaguard',
        connectionTimeoutMillis: this.options.connectTimeoutMs ?? 10_000,
        keepAlive: true,
        // Queries are written as they are made, not after the answer to the one before:
        // the engine overlaps migration scripts (Session.capabilities.pipelines) and awaits everything else.
        pipeline: true,
      });
      const session = new PgSession(client, this.target, () => this.lease, this.declaredPooler, this.options.searchPath);
      try {
        await client.connect();
        await session.init();
        if (session.pooler) this.pooler ??= session.pooler;
        return session;
      } catch (e) {
        await session.close();
        if (!plain && this.tls?.fallBackToPlain && refusedTls(e)) {
          plain = true; // sslmode=prefer (or allow) and the server has TLS off: as psql, without TLS
          tlsRefusal = e;
          attempt--;
          continue;
        }
        const retriable = isRetriableConnectError(e);
        const why = this.describe(e);
        if (!retriable || attempt >= attempts) {
          const tries = attempt > 1 ? ` after ${attempt} attempts over ${((Date.now() - started) / 1000).toFixed(1)} s` : '';
          // Both refusals when either is pg_hba.conf's; "TLS off" alone adds nothing to a wrong password.
          const hba = tlsRefusal !== undefined && (!NO_TLS.test(messageOf(tlsRefusal)) || hbaRefusal(sqlstateOf(e), messageOf(e)) !== undefined);
          const both = hba ? `with TLS: ${this.describe(tlsRefusal)}; without TLS: ` : '';
          const iamRefused = this.password !== undefined && AUTH_REFUSED.has(sqlstateOf(e) ?? '');
          const fix = iamRefused
            ? iamRefusalFix(this.hostPortUser().user, this.hostPortUser().host)
            : ((this.options.sslModeDefaulted ? defaultedTlsFix(e) : undefined) ??
              connectFix(e, this.options.ssl !== undefined, tlsRefusal, this.options.settingNames, this.tlsSetting()));
          throw new ConnectionError(
            `cannot connect to ${this.target}: ${both}${why}${tries}${iamRefused ? ' (IAM authentication: the token was refused)' : ''}`,
            {
              ...databaseFields(e),
              cause: e,
              fix,
            },
          );
        }
        this.options.onConnectRetry?.(attempt, delay, why);
        await sleep(delay);
        delay = Math.min(delay * 2, 5000);
      }
    }
  }

  /** Where to connect and pg's `ssl` option: an explicit `ssl`, else the URL's sslmode as psql reads it; `plain`: without TLS. */
  private where(plain: boolean): ClientConfig {
    const o = this.options;
    const url = this.url !== undefined ? { connectionString: this.url } : present(o.config);
    // pg lets a URL's (empty) password win over the option: with a token, the URL is given as its parts.
    const base = this.password ? { ...(this.url !== undefined ? urlParts(this.url) : present(o.config)), password: this.password } : url;
    const ssl = plain ? false : (o.ssl ?? this.tls?.ssl);
    return ssl !== undefined ? { ...base, ssl } : base;
  }

  /** Where TLS was asked for, as the user wrote it: `sslmode=verify-full in the URL`, `PGSSLMODE=require`, `the ssl option`, `ssl=true in the URL`. */
  private tlsSetting(): string {
    if (this.options.ssl !== undefined) return 'the ssl option';
    const q = this.options.connectionString === undefined ? undefined : new URL(this.options.connectionString).searchParams;
    if (q?.has('sslmode')) return `sslmode=${q.get('sslmode')} in the URL`;
    if (this.tls) return `PGSSLMODE=${this.tls.mode} (the environment)`;
    return q?.has('ssl') ? `ssl=${q.get('ssl')} in the URL` : 'TLS';
  }

  private describe(e: unknown): string {
    const code = (e as { code?: string })?.code;
    let msg = e instanceof Error ? e.message : String(e);
    // pg's words when the server asks for a password and none was given (psql: "fe_sendauth: no password supplied").
    if (NO_PASSWORD.test(msg)) msg = 'the server asks for a password and none was given';
    return this.redactor.redact(code && !msg.includes(code) ? `${msg} (${code})` : msg);
  }

  async end(): Promise<void> {
    // No pool: sessions are closed by their users; a prepared connection nobody took is closed here (one still
    // being made is waited for: a process that exits with it half-open makes the server log "could not receive
    // data from client: Connection reset by peer", seen on PostgreSQL 18).
    const early = this.early;
    this.early = undefined;
    await early?.then(
      (s) => s.close(),
      () => undefined,
    );
  }
}

function messageOf(e: unknown): string {
  return e instanceof Error ? e.message : '';
}

/** pg's error when TLS was asked for and the server has it off. */
const NO_TLS = /does not support SSL/i;

/** The server refused TLS: it has it off, or pg_hba.conf has only hostnossl lines for this client (libpq's prefer then tries without). */
function refusedTls(e: unknown): boolean {
  const msg = e instanceof Error ? e.message : '';
  return NO_TLS.test(msg) || hbaRefusal(sqlstateOf(e), msg) === 'tls';
}

/** pg's error when the server asks for a password (SCRAM, MD5 or clear text) and the client has none. */
const NO_PASSWORD = /client password must be a string|password authentication requires a password|No password supplied/i;

function isRetriableConnectError(e: unknown): boolean {
  const code = sqlstateOf(e);
  if (code === INVALID_PASSWORD || code === INVALID_AUTHORIZATION_SPECIFICATION || code === INVALID_CATALOG_NAME || code === INSUFFICIENT_PRIVILEGE)
    return false; // auth, no database, no permission
  if (code === CANNOT_CONNECT_NOW || code === TOO_MANY_CONNECTIONS) return true; // starting up, too many connections
  const msg = e instanceof Error ? e.message : '';
  if (/ssl|tls|certificate|self[- ]signed/i.test(msg)) return false; // a TLS refusal will not fix itself
  if (/timeout expired|Connection terminated due to connection timeout/i.test(msg)) return true;
  return isConnectionLoss(e);
}

/**
 * What to do about a failed connection; `explicitSsl`: TLS came from the
 * `ssl` option (the custom resource's CA bundle), not the URL; `tlsRefusal`:
 * sslmode=prefer's attempt with TLS, refused (the server has TLS off, or
 * pg_hba.conf) before `e` refused the one without.
 */
function connectFix(e: unknown, explicitSsl = false, tlsRefusal?: unknown, names = URL_SETTING_NAMES, tlsSetting = 'sslmode'): string {
  const code = sqlstateOf(e);
  const msg = e instanceof Error ? e.message : '';
  const refusal = hbaRefusal(code, msg);
  if (refusal === 'plain' && tlsRefusal !== undefined && NO_TLS.test(messageOf(tlsRefusal))) {
    // Not a TLS-only pg_hba.conf: the server has TLS off, so no hostssl line can take anyone.
    return (
      `the server has TLS off and its pg_hba.conf has no line for this client address, user and database: check ${names.userAndDatabase}, ` +
      'or ask for a pg_hba.conf line (host or hostnossl)'
    );
  }
  if (refusal === 'plain' && tlsRefusal !== undefined) {
    return (
      `the server's pg_hba.conf has no line for this client address, user and database, with TLS or without: check ${names.userAndDatabase}, ` +
      'or ask for a pg_hba.conf line (host, or hostssl to take it over TLS only)'
    );
  }
  if (refusal === 'plain') {
    // Without a TLS attempt, a hostssl-only pg_hba.conf and one without any line for the client look alike.
    return (
      "the server's pg_hba.conf takes this client only over TLS, if at all (RDS: rds.force_ssl=1): add ?sslmode=verify-full&sslrootcert=/path/ca.pem " +
      `to the URL (${RDS_CA_BUNDLE} for RDS), or ?sslmode=require to encrypt without verifying; if that is refused too, check the user and database in the URL`
    );
  }
  if (refusal === 'tls') {
    return (
      `the server's pg_hba.conf has no line for this client address, user and database over TLS: check ${names.userAndDatabase}; if it takes them without TLS ` +
      '(a hostnossl line), sslmode=prefer connects so; or ask for a host or hostssl line'
    );
  }
  if (code === INVALID_AUTHORIZATION_SPECIFICATION && /no pg_hba\.conf entry/i.test(msg)) {
    return `the server's pg_hba.conf has no line for this client address, user and database: check ${names.userAndDatabase}, or ask for a pg_hba.conf line`;
  }
  // RDS: for a user granted rds_iam, IAM authentication takes the place of its password.
  if (code === INVALID_PASSWORD || code === INVALID_AUTHORIZATION_SPECIFICATION)
    return 'check the user name and password (the password is never printed); on RDS, if the user was granted rds_iam, log in with IAM authentication instead (--iam, or iamAuthentication in the constructs)';
  if (code === INVALID_CATALOG_NAME) return `create the database first, or fix ${names.database}`;
  if (NO_PASSWORD.test(msg)) return 'put the password in the URL, after the user name and a colon, percent-encoded; or in PGPASSWORD';
  if (explicitSsl) {
    const fix = caBundleFix(e, names.caBundle ?? 'the CA bundle of the ssl option', names.caBundle === undefined);
    if (fix !== undefined) return fix;
  }
  if (NO_TLS.test(msg)) return `the server has TLS off: drop ${tlsSetting} for a local server (or use sslmode=prefer), or enable TLS on it`;
  if ((e as { code?: string })?.code === 'ERR_TLS_CERT_ALTNAME_INVALID') {
    return (
      'the certificate is for another host name: connect with a name the certificate holds (RDS: the instance or cluster endpoint, not an IP address or a CNAME), ' +
      'or check the chain alone with sslmode=verify-ca&sslrootcert=/path/ca.pem'
    );
  }
  if (/certificate|self[- ]signed/i.test(msg)) {
    return `the server's certificate is not signed by a CA this process trusts: ${CA_FIX}; or encrypt without verifying with sslmode=require (as psql does)`;
  }
  return `check that the server is running and reachable from here, and ${names.hostAndPort}`;
}

/** The explicit choices, for a TLS failure under the caller's default (`sslModeDefaulted`). */
const CHOOSE_SSLMODE =
  'or choose in the URL: ?sslmode=require (encrypted, the certificate not verified) or ?sslmode=disable (no TLS: only on a network you trust)';

/**
 * What to do when the connection failed for TLS the user did not ask for:
 * the URL gave no sslmode and the caller asked for verify-full. Undefined
 * when the failure is not TLS's (connectFix says).
 */
function defaultedTlsFix(e: unknown): string | undefined {
  const msg = messageOf(e);
  const why = 'the URL gives no sslmode, so schemaguard asks a remote host for sslmode=verify-full';
  if (NO_TLS.test(msg)) return `the server has TLS off, and ${why}: turn TLS on at the server, ${CHOOSE_SSLMODE}`;
  if ((e as { code?: string })?.code === 'ERR_TLS_CERT_ALTNAME_INVALID') {
    return `the certificate is for another host name (${why}): connect with a name the certificate holds (RDS: the instance or cluster endpoint, not an IP address or a CNAME), ${CHOOSE_SSLMODE}`;
  }
  if (/certificate|self[- ]signed/i.test(msg)) {
    return `the server's certificate is not signed by a CA this process trusts (${why}): ${CA_FIX}, saved and named: ?sslrootcert=/path/global-bundle.pem; ${CHOOSE_SSLMODE}`;
  }
  return undefined;
}

/**
 * Where to find the CA an RDS or Aurora certificate needs (the RDS user
 * guide, "Using SSL/TLS to encrypt a connection" and "Rotating your SSL/TLS
 * certificate"): a database's certificate is signed by the CA it is set to,
 * in the global bundle and in its Region's bundle; rds-ca-2019 expired in
 * August 2024.
 */
const RDS_CA_ADVICE =
  `for RDS or Aurora, a bundle with the CA the database is set to (its CACertificateIdentifier: rds-ca-rsa2048-g1, rds-ca-rsa4096-g1 or rds-ca-ecc384-g1): ` +
  `the bundle of the database's AWS Region or the global one, ${RDS_CA_BUNDLE}; a database still on rds-ca-2019 (expired August 2024) needs modifying to one of those. ` +
  '`openssl s_client -starttls postgres -connect <host>:<port> -showcerts` shows the certificate the server sends and its issuer';

/**
 * What to do when TLS verified against the `ssl` option's CA bundle failed,
 * the bundle named: never "drop the ssl option", which turns verification
 * off (a CA-bundle user's server is meant to be verified). `url`: the
 * caller could use a URL instead (the engine's API), which the custom
 * resource cannot.
 */
function caBundleFix(e: unknown, bundle: string, url: boolean): string | undefined {
  const msg = messageOf(e);
  const code = (e as { code?: string })?.code;
  const sslmode = url ? " (while the ssl option is given, the URL's sslmode and sslrootcert are not read)" : '';
  if (NO_TLS.test(msg)) {
    return (
      `the server has TLS off, and this connection verifies the server against ${bundle}${sslmode}: check that the host is the database itself ` +
      '(RDS and Aurora always offer TLS: a tunnel or pooler in between may not), or turn TLS on at the server (ssl=on, with a certificate a CA in that bundle signed); ' +
      'verification stays on: do not drop the bundle to get past this'
    );
  }
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID') {
    return (
      `the certificate (verified against ${bundle}) is for another host name: connect with a name the certificate holds ` +
      '(RDS: the instance or cluster endpoint, not an IP address or a CNAME)'
    );
  }
  if (code === 'CERT_HAS_EXPIRED') {
    return `the server's certificate, or a CA in its chain in ${bundle}, has expired: ${RDS_CA_ADVICE}`;
  }
  if (/certificate|self[- ]signed/i.test(msg)) {
    return `the server's certificate is not signed by a CA in ${bundle}${sslmode}: ${RDS_CA_ADVICE}; and check the host is the database's endpoint`;
  }
  return undefined;
}

class PgSession implements Session {
  pid?: number;
  /** Set by init() when the connection goes through a pooler: its server session may change between transactions. */
  pooler?: PoolerEvidence;
  /** What init() set in the session beyond a new connection's defaults, set again by every reset. */
  private baseline?: string;
  /** standard_conforming_strings as the connection started (init). */
  standardStrings?: boolean;
  serverVersion?: number;
  private isBroken = false;
  /** While ROLLBACK runs: its "there is no transaction in progress" warning is dropped. */
  private rollingBack = false;
  private noticeListener?: (message: string) => void;
  /** Scripts written and not yet answered, oldest (the one the server runs) first. */
  private readonly running: ScriptQuery[] = [];
  /** Several statements in one message: on a connection that is one server session (not through a pooler, where commits are fenced). */
  script?: (sql: readonly (string | Uint8Array)[], keepRowsOf?: ReadonlySet<number>, onNotice?: (message: string) => void) => Promise<ScriptResult>;
  /** BEGIN and COMMIT always ride along (beginWith, commitWith); `script` (and with it `pipelines`) only on a session of its own, set by init(). */
  capabilities: SessionCapabilities = { pipelines: false };

  constructor(
    private readonly client: Client,
    private readonly target: string,
    private readonly lease: () => LeaseLock | undefined,
    private readonly declaredPooler?: PoolerEvidence['declared'],
    private readonly searchPath?: string,
  ) {
    client.on('notice', this.onNotice);
    // An idle client whose backend is terminated emits 'error'; without a
    // listener that would crash the process. Record it and fail the next call.
    client.on('error', this.onEnd);
    client.on('end', this.onEnd);
  }

  private readonly onNotice = (n: { code?: string; message?: string }): void => {
    if (this.rollingBack && n.code === NO_ACTIVE_SQL_TRANSACTION) return; // the warning ROLLBACK gives outside a transaction
    const message = n.message ?? String(n);
    const script = this.running[0];
    if (script?.onNotice) script.onNotice(message);
    else this.noticeListener?.(message);
  };

  private readonly onEnd = (): void => this.lost();

  /** Where `close` gives the connection back for another session (`session-pool.ts`); set by the driver. */
  keepWith?: (kept: KeptConnection) => Promise<void>;
  /** What init() learned, kept with the connection when it is given back. */
  private identity?: KeptIdentity;

  private lostListener?: () => void;

  /** The connection ended: by the server or the network (the listener is told), or by `close`/`abandon` (it was taken away first). */
  private lost(): void {
    const listener = this.lostListener;
    this.isBroken = true;
    this.lostListener = undefined;
    listener?.();
  }

  onLost(listener: () => void): void {
    this.lostListener = listener;
  }

  abandon(): void {
    this.isBroken = true;
    this.lostListener = undefined;
    (this.client as unknown as { connection?: { stream?: { destroy(): void } } }).connection?.stream?.destroy();
  }

  get broken(): boolean {
    return this.isBroken;
  }

  setNoticeListener(listener: ((message: string) => void) | undefined): void {
    this.noticeListener = listener;
  }

  async init(): Promise<void> {
    const announced = announcedPid(this.client);
    const r = await this.identify(announced);
    const identity = { announcedPid: announced, serverPid: r.pid };
    // Through a pooler too: its server sessions take the database's and role's setting.
    this.standardStrings = r.standardStrings;
    this.serverVersion = r.version;
    if (isPooled(identity) || this.declaredPooler) {
      // No session to configure: a SET would stay with a pooled server connection.
      this.pooler = { ...identity, target: this.target, ...(this.declaredPooler ? { declared: this.declaredPooler } : {}) };
      if (this.searchPath !== undefined)
        throw new PoolerError(`a fleet's tenant schema is a session's search_path, which cannot be kept: ${describePooler(this.pooler)}`, {
          fix: DIRECT_URL_FIX,
        });
      return;
    }
    await this.configure({ pid: identity.serverPid, serverVersion: r.version, standardStrings: r.standardStrings, checkInterval: r.checkInterval });
  }

  /** A kept connection (`session-pool.ts`), reset since its last session, set up as `init` sets up a new one, in one round trip. */
  async resume(identity: KeptIdentity): Promise<void> {
    this.standardStrings = identity.standardStrings;
    this.serverVersion = identity.serverVersion;
    await this.configure(identity, identity.checkInterval);
  }

  /** A session of its own (no pooler): scripts, and the baseline every reset sets again; `setCheckInterval`: set it now (a kept connection's). */
  private async configure(identity: KeptIdentity, setCheckInterval = false): Promise<void> {
    this.identity = identity;
    this.pid = identity.pid;
    this.script = (sql, keepRowsOf, onNotice) => this.runScript(sql, keepRowsOf, onNotice);
    // Scripts may overlap where the client writes each query at once (pg's pipeline mode).
    this.capabilities = { pipelines: (this.client as unknown as { pipeline?: boolean }).pipeline === true };
    const check = identity.checkInterval ? CHECK_INTERVAL_CALL : '';
    if (setCheckInterval && this.searchPath === undefined) await this.client.query(`SELECT ${check}`);
    const tenant = this.searchPath === undefined ? '' : await this.searchTenant(this.searchPath, setCheckInterval ? check : '');
    this.baseline = [check, tenant].filter(Boolean).join(', ') || undefined;
  }

  /**
   * The tenant's schema as this session's search_path: the name goes to the
   * server as a parameter and the server quotes it; what it set is what
   * every reset sets again (a literal of the server's own text).
   */
  private async searchTenant(schema: string, alongside = ''): Promise<string> {
    const also = alongside ? `, ${alongside}` : '';
    const r = await this.client.query<{ path: string }>(`SELECT set_config('search_path', quote_ident($1::text), false) AS path${also}`, [schema]);
    return `set_config('search_path', ${quoteLiteral(r.rows[0].path)}, false)`;
  }

  /**
   * Who the server session is, in the connection's one round trip before its
   * first statement of work — and, on a session of its own (its pid is the
   * one announced: no pooler), `client_connection_check_interval` set in the
   * same statement. A runner killed mid-statement (SIGKILL, a cancelled CI
   * job, a Lambda timeout) leaves its backend running that statement —
   * holding its locks — until it next writes to the socket; from PostgreSQL
   * 14 on, the server can check the socket while a query runs and end the
   * orphan within a second. Best effort: where the server refuses the
   * setting, the statement is sent again without it.
   */
  private async identify(announced: number | undefined): Promise<{ pid: number; version: number; checkInterval: boolean; standardStrings: boolean }> {
    const who =
      "SELECT pg_backend_pid() AS pid, current_setting('server_version_num')::int AS version, current_setting('standard_conforming_strings') <> 'off' AS standard";
    const own = Number.isSafeInteger(announced) ? `pg_backend_pid() = ${announced}` : 'false';
    try {
      const r = await this.client.query<{ pid: number; version: number; check_interval: string | null; standard: boolean }>(
        `${who}, CASE WHEN ${own} AND current_setting('server_version_num')::int >= 140000 THEN ${CHECK_INTERVAL_CALL} END AS check_interval`,
      );
      return { pid: r.rows[0].pid, version: r.rows[0].version, checkInterval: r.rows[0].check_interval !== null, standardStrings: r.rows[0].standard };
    } catch (e) {
      if (isConnectionLoss(e)) throw e;
      const r = await this.client.query<{ pid: number; version: number; standard: boolean }>(who);
      return { pid: r.rows[0].pid, version: r.rows[0].version, checkInterval: false, standardStrings: r.rows[0].standard };
    }
  }

  /**
   * DISCARD ALL in the parts that may run inside a transaction block (DISCARD
   * ALL itself may not), then this driver's own setting. Through a pooler it
   * runs on the server connection the file's transaction used, so nothing of
   * the file stays behind for the pool's next client either.
   */
  resetSql(within?: TransactionSettings): string {
    // The functions in one SELECT: each statement of a message costs the server a little, for every file.
    const calls = ['pg_advisory_unlock_all()', this.baseline, ...(within ? localTimeoutCalls(within) : [])].filter(Boolean);
    return `${RESET_SESSION_SQL}; SELECT ${calls.join(', ')}`;
  }

  async query<R = Record<string, unknown>>(sql: string, params?: readonly unknown[]): Promise<QueryResult<R>> {
    try {
      const r = params?.length ? await this.client.query(sql, params as unknown[]) : await this.client.query(sql);
      return { rows: r.rows as R[], rowCount: r.rowCount ?? 0 };
    } catch (e) {
      if (isConnectionLoss(e)) this.lost();
      throw e;
    }
  }

  async queryOne<R = Record<string, unknown>>(sql: string): Promise<QueryResult<R>> {
    try {
      const r = await this.client.query({ text: sql, queryMode: 'extended' } as pg.QueryConfig);
      return { rows: r.rows as R[], rowCount: r.rowCount ?? 0 };
    } catch (e) {
      if (isConnectionLoss(e)) this.lost();
      throw e;
    }
  }

  private async runScript(
    sql: readonly (string | Uint8Array)[],
    keepRowsOf: ReadonlySet<number> = new Set(),
    onNotice?: (message: string) => void,
  ): Promise<ScriptResult> {
    const q: ScriptQuery = new ScriptQuery(sql, keepRowsOf, onNotice, () => {
      const at = this.running.indexOf(q);
      if (at >= 0) this.running.splice(at, 1);
    });
    this.running.push(q);
    void this.client.query(q as unknown as QueryConfig);
    try {
      return await q.done;
    } catch (e) {
      if (isConnectionLoss(e)) this.lost();
      throw e;
    }
  }

  async begin(s: TransactionSettings): Promise<void> {
    // One round trip; the values are integers we computed, not user text.
    await this.query(beginSql(s));
    // Through a pooler the server session is fixed only inside a transaction: learn its pid there.
    if (this.pooler) this.pid = (await this.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0].pid;
  }

  async beginWith(s: TransactionSettings, sql: string): Promise<void> {
    if (this.pooler) {
      // The pid must be known while `sql` runs (the blocker watcher samples it).
      await this.begin(s);
      await this.query(sql);
      return;
    }
    // A simple-protocol query string may hold several statements; the server
    // stops at the first error, so a failing statement leaves an aborted
    // transaction exactly as if it had been sent alone.
    const prefix = `${beginSql(s)};\n`;
    try {
      await this.query(prefix + sql);
    } catch (e) {
      shiftPosition(e, prefix.length);
      throw e;
    }
  }

  async commit(): Promise<void> {
    await this.fence();
    await this.query('COMMIT');
    this.ended();
  }

  async commitWith(sql: string): Promise<void> {
    if (this.lease()?.fencing) {
      // `sql` first: it holds the session reset, so the fence runs as the
      // connecting user even after a file's SET ROLE (one more round trip, through a pooler only).
      await this.query(sql);
      await this.commit();
      return;
    }
    // The newline ends a trailing `--` comment; after an error the server skips COMMIT.
    await this.query(`${sql};\nCOMMIT`);
    this.ended();
  }

  async rollback(): Promise<void> {
    // After a file the server refused whole (a syntax error anywhere in the
    // message: its BEGIN never ran) there is no transaction, and ROLLBACK
    // warns so: not news to the user, whose error is the file's.
    this.rollingBack = true;
    try {
      await this.query('ROLLBACK');
    } finally {
      this.rollingBack = false;
      this.ended();
    }
  }

  /** While a lease is held (through a pooler), no transaction commits unless the lease is still ours. */
  private async fence(): Promise<void> {
    const lease = this.lease();
    if (lease?.fencing) await lease.fence(this);
  }

  /** Through a pooler, the transaction's server session is not ours any more. */
  private ended(): void {
    if (this.pooler) this.pid = undefined;
  }

  async setTimeouts(s: TransactionSettings): Promise<void> {
    if (this.pooler) {
      // Not reached through the runner (it refuses no-transaction files first); a guard for other callers.
      throw new PoolerError(`session-level timeouts cannot be set: ${describePooler(this.pooler)}`, { fix: DIRECT_URL_FIX });
    }
    await this.query(timeoutsSql('SET', s));
  }

  async close(): Promise<void> {
    this.lostListener = undefined;
    if (this.keepWith && this.identity && !this.isBroken && this.running.length === 0) {
      // Never used through this object again: the connection goes on in another session, or is closed by the pool.
      this.isBroken = true;
      this.client.off('notice', this.onNotice).off('error', this.onEnd).off('end', this.onEnd);
      await this.keepWith({ client: this.client, identity: this.identity });
      return;
    }
    if (this.isBroken) {
      // Don't wait for a goodbye from a backend that is gone.
      (this.client as unknown as { connection?: { stream?: { destroy(): void } } }).connection?.stream?.destroy();
      return;
    }
    this.isBroken = true;
    // Done once the goodbye (Terminate) is written and the socket ended: the
    // server ends the session when it reads it, as psql's PQfinish leaves it
    // to. Waiting for the server to close its side too would add a round trip
    // and the backend's exit to every run.
    const stream = (this.client as unknown as { connection?: { stream?: NodeJS.EventEmitter } }).connection?.stream;
    await Promise.race([
      this.client.end().catch(() => undefined),
      new Promise((r) => stream?.once('finish', r)),
      new Promise((r) => setTimeout(r, 2000).unref()),
    ]);
  }
}

function beginSql(s: TransactionSettings): string {
  return `BEGIN; ${timeoutsSql('SET LOCAL', s)}`;
}

/** The values are integers we computed, not user text. */
function timeoutsSql(set: 'SET' | 'SET LOCAL', s: TransactionSettings): string {
  return `${set} lock_timeout = ${int(s.lockTimeoutMs)}; ${set} statement_timeout = ${int(s.statementTimeoutMs)}`;
}

/** client_connection_check_interval as a function, to set it inside a SELECT. */
const CHECK_INTERVAL_CALL = "set_config('client_connection_check_interval', '1000', false)";

/**
 * What DISCARD ALL does (PostgreSQL's documentation lists these as its
 * equivalent), each allowed in a transaction block: cursors, role and session
 * user, every setting back to the connection's defaults (RESET ALL leaves
 * the role alone), prepared statements, LISTEN, session advisory locks,
 * cached plans, temporary tables, sequence state (session advisory locks:
 * pg_advisory_unlock_all() in the SELECT that follows, `resetSql`).
 */
const RESET_SESSION_SQL =
  'CLOSE ALL; SET SESSION AUTHORIZATION DEFAULT; RESET ALL; DEALLOCATE ALL; UNLISTEN *; ' + 'DISCARD PLANS; DISCARD TEMP; DISCARD SEQUENCES';

/** Make a server error's `position` (1-based characters) relative to the text after `chars` prefix characters. */
function shiftPosition(e: unknown, chars: number): void {
  const err = e as { position?: string };
  if (err && typeof err === 'object' && err.position !== undefined && Number(err.position) > chars) {
    err.position = String(Number(err.position) - chars);
  }
}

function int(ms: number): number {
  if (!Number.isFinite(ms) || ms < 0) return 0;
  return Math.min(Math.floor(ms), 2_147_483_647);
}

/** invalid_password, invalid_authorization_specification: what a refused token (or PAM, which RDS's IAM login is) answers. */
const AUTH_REFUSED = new Set([INVALID_PASSWORD, INVALID_AUTHORIZATION_SPECIFICATION]);

/** A URL as pg's own options (host, port, user, database and the rest), for a password given apart. */
function urlParts(url: string): ClientConfig {
  const { password: _ignored, ...parts } = parseConnectionString(url);
  return parts as ClientConfig;
}

/**
 * A signed token is a password for 15 minutes: sent only over TLS that cannot
 * fall back to plain text. Below `sslmode=require` (disable, allow, prefer, or
 * a URL that names no sslmode) a server that asks for a cleartext password
 * would get it; RDS itself accepts a token over TLS only. `fromUrl`: the TLS
 * settings come from the URL (an explicit `ssl` option is the caller's own).
 */
function refuseIamWithoutTls(tls: UrlTls | undefined, fromUrl: boolean): void {
  if (!fromUrl || (tls && !['disable', 'allow', 'prefer'].includes(tls.mode))) return;
  throw new InputError(
    `IAM authentication sends its token as the password, and ${tls ? `sslmode=${tls.mode}` : 'a URL without sslmode'} may send it without TLS`,
    {
      value: tls?.mode ?? '',
      fix: 'use sslmode=require or stronger (verify-full with the RDS CA bundle: ?sslmode=verify-full&sslrootcert=/path/global-bundle.pem); RDS accepts an IAM token over TLS only',
    },
  );
}
