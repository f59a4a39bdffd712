/**
 * The database of one invocation, as a Driver already proven to connect.
 *
 * - Aurora with SCHEMAGUARD_CLUSTER_ARN goes through the RDS Data API: the
 *   service reads the secret, the handler never does.
 * - With IAM authentication (SCHEMAGUARD_IAM_USER) no secret is read: the
 *   driver signs a token for each connection from the function's role.
 * - Otherwise the credentials are read from Secrets Manager at run time, the
 *   server certificate is verified (tls.ts), and a server that is not
 *   reachable yet (a new instance) is retried with backoff by the driver.
 * - A password refused (28P01) makes the secret be read again, a bounded
 *   number of times: a rotation between setting the new password and
 *   promoting it to AWSCURRENT ends within seconds.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { PgDriver, type ConnectionSettingNames } from '../driver/pg/pg-driver';
import type { DataApiClient } from '../driver/data-api/data-api-driver';
import type { Driver } from '../engine/ports';
import { InputError, MigrationError } from '../engine/errors/errors';
import type { Redactor } from '../engine/errors/redact';
import type { ConnectionTarget, DataApiTarget, DatabaseTarget } from './config';
import { ENV } from './constants';
import type { Logger } from './log';
import { readCredentials, secretsManagerClient, type DatabaseCredentials, type SecretsClient } from './secret';
import { CaBundleCache, tlsOptions } from './tls';
import { INVALID_PASSWORD } from '../engine/errors/sqlstate';
import { present } from '../engine/errors/present';

/** Reads of the secret when the password is refused, the first included. */
const AUTH_ATTEMPTS = 3;
const AUTH_RETRY_DELAY_MS = 5000;
/** First delay between connect attempts to a server not reachable yet; doubled each time by the driver. */
const CONNECT_RETRY_INITIAL_DELAY_MS = 1000;
/** Shown in pg_stat_activity and the server log. */
const APPLICATION_NAME = 'schemaguard-cfn';

export interface ConnectorDependencies {
  /** @default - a SecretsManagerClient for the function's region, created on first use */
  secrets?: SecretsClient;
  /** Used for a Data API target. @default - an RDSDataClient for the cluster's region */
  dataApi?: DataApiClient;
  /** Shown in pg_stat_activity and the server log. @default 'schemaguard-cfn' */
  applicationName?: string;
  /** The wait before the secret is read again after a refused password. @default 5000 */
  authRetryDelayMs?: number;
}

/** Opens the database for an invocation. Made once per container: the SDK client and the CA bundle are reused. */
export interface Connector {
  connect(target: DatabaseTarget, log: Logger, redactor: Redactor): Promise<Driver>;
  /**
   * Drivers for a fleet's tenants (each its schema searched first, or its
   * database), the credentials read once for them all: a guard run over a
   * thousand tenants reads the secret once. Over a connection only.
   */
  tenants(target: DatabaseTarget, log: Logger, redactor: Redactor): Promise<(tenant: TenantPlace) => Driver>;
}

/** A fleet's target: a connection (SchemaMigrations refuses a fleet beside the Data API at synth; this says so at run time too). */
export function fleetConnection(target: DatabaseTarget): ConnectionTarget {
  if (target.kind === 'connection') return target;
  throw new InputError('a fleet is reached over a connection, and this function reaches its database through the RDS Data API', {
    fix: 'give SchemaMigrations a database and a vpc (not dataApiCluster) for a fleet',
  });
}

/** Where one tenant is: its schema, searched first, or its database. */
export type TenantPlace = Pick<ConnectionTarget, 'searchPath' | 'databaseName'>;

export function createConnector(deps: ConnectorDependencies = {}): Connector {
  let secrets = deps.secrets;
  const bundles = new CaBundleCache();

  async function pgDriver(target: ConnectionTarget, log: Logger, redactor: Redactor): Promise<PgDriver> {
    return driverWith(target, await credentialsFor(target, redactor), log, redactor);
  }

  const driverWith = (target: ConnectionTarget, credentials: Credentials, log: Logger, redactor: Redactor): PgDriver =>
    pgDriverOf(target, credentials, { log, redactor, bundles, applicationName: deps.applicationName ?? APPLICATION_NAME });

  /** Where and as whom: the secret's fields (read now), or, with IAM, the construct's endpoint and user (the token is signed per connection). */
  async function credentialsFor(target: ConnectionTarget, redactor: Redactor): Promise<Credentials> {
    if (target.auth.kind === 'iam') {
      const at = target.host !== undefined ? { host: target.host, port: target.port } : present(target.endpoint, "the target's endpoint");
      const database = target.databaseName ?? 'postgres';
      return { host: at.host, port: at.port ?? 5432, user: target.auth.username, database, names: iamSettingNames(target, database) };
    }
    const secretArn = target.auth.secretArn;
    secrets ??= await secretsManagerClient();
    const creds = await readCredentials(secrets, secretArn);
    redactor.add(creds.password);
    // An override first (a proxy), then the secret's, then the database's own endpoint (an RDS-managed secret has no host).
    const own = target.host === undefined && !creds.host ? target.endpoint : undefined;
    const host = target.host ?? (creds.host || undefined) ?? own?.host;
    if (!host) {
      // SchemaGuard sets ENV.host, and SchemaMigrations ENV.endpointHost, from an rds instance or cluster; another connectable has neither.
      throw new InputError(`no database host: the secret ${secretArn} has no "host" and neither ${ENV.host} nor ${ENV.endpointHost} is set`, {
        fix:
          'put "host" and "port" in the secret: attach it to the instance or cluster (in CDK: pass secret.attach(database); the database.secret ' +
          'of rds.Credentials.fromGeneratedSecret(…) or fromSecret(…) is attached already), or add them to its JSON value; ' +
          "or pass an rds.DatabaseInstance or DatabaseCluster as the construct's database, whose endpoint is used",
      });
    }
    return {
      host,
      port: target.port ?? (own ? own.port : creds.port) ?? 5432,
      user: creds.username,
      password: creds.password,
      database: target.databaseName ?? creds.dbname ?? 'postgres',
      names: settingNames(target, secretArn, creds, own !== undefined),
    };
  }

  const driverFor = (target: DatabaseTarget, log: Logger, redactor: Redactor): Promise<Driver> =>
    target.kind === 'data-api' ? dataApiDriver(target, deps.dataApi) : pgDriver(target, log, redactor);

  return {
    async tenants(target, log, redactor) {
      const connection = fleetConnection(target);
      const credentials = await credentialsFor(connection, redactor);
      return (tenant) => driverWith({ ...connection, ...tenant }, { ...credentials, database: tenant.databaseName ?? credentials.database }, log, redactor);
    },
    async connect(target, log, redactor) {
      for (let attempt = 1; ; attempt++) {
        const driver = await driverFor(target, log, redactor);
        try {
          await probe(driver);
          return driver;
        } catch (e) {
          // A token is signed anew for each connection: only a secret can hold a newer password.
          const fromSecret = target.kind === 'connection' && target.auth.kind === 'secret';
          if (!fromSecret || !passwordRefused(e) || attempt >= AUTH_ATTEMPTS) throw e;
          const delayMs = deps.authRetryDelayMs ?? AUTH_RETRY_DELAY_MS;
          log.warn('password refused; reading the secret again (a rotation may be in progress)', { attempt, delayMs });
          await sleep(delayMs);
        }
      }
    },
  };
}

/** A driver for `target` with `credentials` read already; its TLS checked against the container's CA bundles. */
function pgDriverOf(
  target: ConnectionTarget,
  credentials: Credentials,
  o: { log: Logger; redactor: Redactor; bundles: CaBundleCache; applicationName: string },
): PgDriver {
  const { host, port, user, password, database, names } = credentials;
  return new PgDriver({
    settingNames: names,
    config: { host, port, user, ...(password !== undefined ? { password } : {}), database },
    ...(target.auth.kind === 'iam' ? { iam: {} } : {}),
    ...(target.pooler ? { pooler: true } : {}),
    ...(target.searchPath !== undefined ? { searchPath: target.searchPath } : {}),
    ssl: tlsOptions(target.tls, host, o.bundles),
    applicationName: o.applicationName,
    connectRetry: { attempts: target.connectAttempts, initialDelayMs: CONNECT_RETRY_INITIAL_DELAY_MS },
    redactor: o.redactor,
    onConnectRetry: (attempt, delayMs, message) => o.log.warn('database not reachable yet; retrying', { attempt, delayMs, error: message }),
  });
}

/**
 * Where each connection setting came from, for a failed connection's fix: a
 * variable the construct set, or the secret's field (never the URL, which
 * the function does not have).
 */
function settingNames(target: ConnectionTarget, secretArn: string, creds: DatabaseCredentials, endpoint: boolean): ConnectionSettingNames {
  const field = (name: string) => `"${name}" in the database secret ${secretArn}`;
  const host = target.host !== undefined ? ENV.host : endpoint ? `${ENV.endpointHost} (the database's endpoint)` : field('host');
  const port =
    target.port !== undefined ? ENV.port : endpoint ? ENV.endpointPort : creds.port !== undefined ? field('port') : `${field('port')} (absent: 5432)`;
  const database =
    target.databaseName !== undefined
      ? `${ENV.databaseName} (SchemaMigrations databaseName)`
      : creds.dbname !== undefined
        ? field('dbname')
        : `${field('dbname')} (absent: postgres)`;
  return {
    hostAndPort: `${host} and ${port}`,
    database,
    userAndDatabase: `"username" in the database secret ${secretArn} and ${database}`,
    caBundle: caBundleName(target),
  };
}

/** With IAM authentication every setting is one the construct set. */
function iamSettingNames(target: ConnectionTarget, database: string): ConnectionSettingNames {
  const databaseName = target.databaseName !== undefined ? `${ENV.databaseName} (SchemaMigrations databaseName)` : `${ENV.databaseName} (absent: ${database})`;
  return {
    hostAndPort: target.host !== undefined ? `${ENV.host} and ${ENV.port}` : `${ENV.endpointHost} and ${ENV.endpointPort} (the database's endpoint)`,
    database: databaseName,
    userAndDatabase: `${ENV.iamUser} (iamAuthentication's username) and ${databaseName}`,
    caBundle: caBundleName(target),
  };
}

function caBundleName(target: ConnectionTarget): string | undefined {
  return target.tls.mode === 'verify-full'
    ? `the CA bundle ${target.tls.caBundle} (${ENV.caBundle}; unset: the Lambda runtime's Amazon CA certificates)`
    : undefined;
}

interface Credentials {
  host: string;
  port: number;
  user: string;
  /** Absent with IAM authentication: the driver signs a token for each connection. */
  password?: string;
  database: string;
  names: ConnectionSettingNames;
}

async function dataApiDriver(target: DataApiTarget, client: DataApiClient | undefined): Promise<Driver> {
  // Loaded on first use, like the SDKs: a connection-mode container never pays for it.
  const { DataApiDriver } = await import('../driver/data-api/data-api-driver');
  return new DataApiDriver({
    resourceArn: target.clusterArn,
    secretArn: target.secretArn,
    database: target.databaseName ?? 'postgres',
    client,
  });
}

/** Connect once before the run, so a refused password is met here, where the secret can be read again. */
async function probe(driver: Driver): Promise<void> {
  const session = await driver.connect();
  await session.close();
}

function passwordRefused(e: unknown): boolean {
  return e instanceof MigrationError && e.sqlstate === INVALID_PASSWORD;
}
