/**
 * The handler's settings, parsed once per invocation from the environment the
 * construct sets (names in constants.ts) into one typed object, grouped by the
 * step that uses them. A bad value is an error naming the variable, the value
 * and the fix — raised before anything touches the database.
 */
import { parseLayout, type MigrationLayout } from '../engine/files/layout';
import { isAbsolute, join } from 'node:path';
import { InputError } from '../engine/errors/errors';
import { validateSchemaName } from '../engine/state/identifiers';
import { DEFAULT_STATE_SCHEMA } from '../engine/state/state';
import { fleetOf, FleetSpecError, readFleetSpec, type Fleet } from '../engine/fleet/fleet-spec';
import { DEFAULTS, ENV, TLS_MODES, type TlsMode } from './constants';
import type { FailureContext } from './failure';

/** How the server certificate is checked. */
export type TlsSettings = { mode: 'verify-full' /** PEM bundle the chain is verified against. */; caBundle: string } | { mode: 'disable' };

/** Aurora through the RDS Data API: no connection, no VPC; the service reads the secret itself. */
export interface DataApiTarget {
  kind: 'data-api';
  clusterArn: string;
  secretArn: string;
  /** @default 'postgres' */
  databaseName?: string;
}

/** How a connection proves who it is: the secret's password, or an IAM token signed per connection. */
export type ConnectionAuth = { kind: 'secret'; secretArn: string } | { kind: 'iam' /** The database user, granted rds_iam. */; username: string };

/** A PostgreSQL connection with the credentials read from the secret, or signed for IAM authentication. */
export interface ConnectionTarget {
  kind: 'connection';
  auth: ConnectionAuth;
  /** The endpoint is a pooler or proxy that multiplexes sessions. */
  pooler: boolean;
  /** @default - the secret's `dbname`, else `postgres` */
  databaseName?: string;
  /** @default - the secret's `host` */
  host?: string;
  /** @default - the secret's `port`, else 5432 */
  port?: number;
  /** The database's own endpoint, used when neither `host` nor the secret has a host (an RDS-managed secret). */
  endpoint?: { host: string; port?: number };
  /** Connect attempts while a new instance is not reachable yet. */
  connectAttempts: number;
  tls: TlsSettings;
  /** A fleet's tenant schema, searched first by every session (the pg driver's `searchPath`). @default - the server's search_path */
  searchPath?: string;
}

export type DatabaseTarget = DataApiTarget | ConnectionTarget;

/** What the engine's runner is given. */
export interface RunSettings {
  stateSchema: string;
  /** Kept back before the invocation's deadline: no migration starts inside it. */
  reserveMs: number;
  lockTimeoutMs: number;
  /** How long one invocation waits for the runner lock. */
  lockWaitMs: number;
  /** The Provider's totalTimeout: no more tries for a busy lock past it. @default - not known: the framework's own timeout ends the request */
  totalTimeoutMs?: number;
  /** Why changing tables logical replication carries is planned for. @default - refused unless the file says so */
  replicationPlanned?: string;
  /** After applying, how long to wait for the standbys (within the invocation's time). */
  standbyWaitMs: number;
  /** A standby still behind after the wait fails the request. */
  standbyStrict: boolean;
}

/** The check after migrating (verify.ts). */
export interface VerifySettings {
  contractsDir: string;
  /** Absolute path of the snapshot; undefined or a missing file: no drift check. */
  snapshotFile?: string;
  failOnDrift: boolean;
  stateSchema: string;
}

export interface HandlerConfig {
  database: DatabaseTarget;
  migrationsDir: string;
  /** As synth resolved it; detected from the bundled files when unset. */
  migrationsLayout?: MigrationLayout;
  contractsDir: string;
  run: RunSettings;
  verify: VerifySettings;
  /** Named in failure messages. */
  logGroups: FailureContext;
  /** The fleet the custom resource rolls out (SCHEMAGUARD_FLEET); undefined for one database. */
  fleet?: Fleet;
}

export function readConfig(env: NodeJS.ProcessEnv): HandlerConfig {
  const inBundle = bundlePath(env);
  const tls = tlsSettings(env);
  const run = runSettings(env);
  const migrationsDir = inBundle(env[ENV.migrationsDir] || DEFAULTS.migrationsDir);
  const contractsDir = inBundle(env[ENV.contractsDir] || DEFAULTS.contractsDir);
  // Set but empty turns the drift check off: `??`, not `||`.
  const snapshotFile = env[ENV.snapshotFile] ?? DEFAULTS.snapshotFile;
  return {
    database: databaseTarget(env, tls),
    migrationsDir,
    ...(env[ENV.migrationsLayout] ? { migrationsLayout: parseLayout(env[ENV.migrationsLayout]!, ENV.migrationsLayout) } : {}),
    contractsDir,
    run,
    verify: {
      contractsDir,
      stateSchema: run.stateSchema,
      failOnDrift: failOnDrift(env),
      snapshotFile: snapshotFile ? inBundle(snapshotFile) : undefined,
    },
    logGroups: {
      handlerLogGroup: env.AWS_LAMBDA_LOG_GROUP_NAME || undefined,
      databaseLogGroup: env[ENV.databaseLogGroup] || undefined,
    },
    ...(env[ENV.fleet] ? { fleet: fleetSetting(env[ENV.fleet]!) } : {}),
  };
}

/** SCHEMAGUARD_FLEET: the project file's `fleet`, as JSON, checked as the file's is. */
function fleetSetting(raw: string): Fleet {
  const fix = 'deploy the function through SchemaMigrations, which sets it from its fleet (or the project file\'s "fleet")';
  let spec: unknown;
  try {
    spec = JSON.parse(raw);
  } catch {
    throw new InputError(`${ENV.fleet} is not JSON`, { value: raw, fix });
  }
  try {
    return fleetOf(readFleetSpec(spec));
  } catch (e) {
    if (!(e instanceof FleetSpecError)) throw e;
    throw new InputError(`${ENV.fleet}: the fleet ${e.problem}`, { value: raw, fix: `${e.fix}; ${fix}` });
  }
}

function databaseTarget(env: NodeJS.ProcessEnv, tls: TlsSettings): DatabaseTarget {
  // Every variable is checked whichever way the database is reached: a typo fails the same in both.
  const databaseName = env[ENV.databaseName] || undefined;
  const host = env[ENV.host] || undefined;
  const port = optionalInt(env, ENV.port, 1, 65535);
  const endpointHost = env[ENV.endpointHost] || undefined;
  const endpointPort = optionalInt(env, ENV.endpointPort, 1, 65535);
  const connectAttempts = optionalInt(env, ENV.connectAttempts, 1, 50) ?? DEFAULTS.connectAttempts;
  const clusterArn = env[ENV.clusterArn] || undefined;
  const iamUser = env[ENV.iamUser] || undefined;
  if (clusterArn) {
    if (iamUser)
      throw new InputError(`${ENV.iamUser} is set with ${ENV.clusterArn}`, {
        value: iamUser,
        fix: 'the RDS Data API authenticates with a secret only: leave iamAuthentication unset with dataApiCluster',
      });
    return { kind: 'data-api', clusterArn, secretArn: requiredSecretArn(env), databaseName };
  }
  const endpoint = endpointHost ? { endpoint: { host: endpointHost, ...(endpointPort ? { port: endpointPort } : {}) } } : {};
  const auth: ConnectionAuth = iamUser ? iamAuth(env, iamUser, tls) : { kind: 'secret', secretArn: requiredSecretArn(env) };
  return { kind: 'connection', auth, pooler: env[ENV.pooler] === 'true', databaseName, host, port, ...endpoint, connectAttempts, tls };
}

/** IAM authentication: no secret beside it, and TLS, which RDS requires for a token. */
function iamAuth(env: NodeJS.ProcessEnv, username: string, tls: TlsSettings): ConnectionAuth {
  if (env[ENV.secretArn])
    throw new InputError(`${ENV.secretArn} and ${ENV.iamUser} are both set`, { fix: 'give the construct either secret or iamAuthentication, not both' });
  if (!env[ENV.host] && !env[ENV.endpointHost]) {
    throw new InputError(`${ENV.iamUser} is set without ${ENV.host} or ${ENV.endpointHost}: with IAM authentication there is no secret to read the host from`, {
      fix: "pass an rds.DatabaseInstance, DatabaseCluster or DatabaseProxy as the construct's database (its endpoint is used)",
    });
  }
  if (tls.mode === 'disable' && env.AWS_LAMBDA_FUNCTION_NAME)
    throw new InputError(`${ENV.tls}=disable with ${ENV.iamUser}`, { fix: 'RDS accepts an IAM token over TLS only: leave SCHEMAGUARD_TLS unset' });
  return { kind: 'iam', username };
}

function runSettings(env: NodeJS.ProcessEnv): RunSettings {
  return {
    // Checked here so a bad name fails before anything connects, naming the variable (not a CLI flag).
    stateSchema: validateSchemaName(env[ENV.stateSchema] || DEFAULT_STATE_SCHEMA, ENV.stateSchema),
    reserveMs: optionalInt(env, ENV.reserveMs, 0, 600_000) ?? DEFAULTS.reserveMs,
    lockTimeoutMs: positiveLockTimeout(env) ?? DEFAULTS.lockTimeoutMs,
    lockWaitMs: optionalInt(env, ENV.lockWaitMs, 0, 900_000) ?? DEFAULTS.lockWaitMs,
    totalTimeoutMs: optionalInt(env, ENV.totalTimeoutMs, 1000, 3_600_000),
    ...(env[ENV.replicationPlanned] ? { replicationPlanned: env[ENV.replicationPlanned] } : {}),
    standbyWaitMs: optionalInt(env, ENV.standbyWaitMs, 0, 900_000) ?? DEFAULTS.standbyWaitMs,
    standbyStrict: env[ENV.standbyStrict] === 'true',
  };
}

function requiredSecretArn(env: NodeJS.ProcessEnv): string {
  const secretArn = env[ENV.secretArn];
  if (!secretArn) {
    throw new InputError(`${ENV.secretArn} is not set`, {
      fix: 'deploy the function through the SchemaMigrations construct, which sets it to the database secret ARN',
    });
  }
  return secretArn;
}

function tlsSettings(env: NodeJS.ProcessEnv): TlsSettings {
  const mode = (env[ENV.tls] || 'verify-full') as TlsMode;
  if (!TLS_MODES.includes(mode)) {
    throw new InputError(`${ENV.tls}="${env[ENV.tls]}" is not one of ${TLS_MODES.join(', ')}`, {
      value: env[ENV.tls],
      fix: 'leave it unset (verify-full) in AWS',
    });
  }
  return mode === 'disable' ? { mode } : { mode, caBundle: env[ENV.caBundle] || DEFAULTS.caBundle };
}

/** Paths are relative to LAMBDA_TASK_ROOT (where the bundle is unpacked) unless absolute. */
function bundlePath(env: NodeJS.ProcessEnv): (path: string) => string {
  const root = env.LAMBDA_TASK_ROOT || process.cwd();
  return (path) => (isAbsolute(path) ? path : join(root, path));
}

function optionalInt(env: NodeJS.ProcessEnv, name: string, min: number, max: number): number | undefined {
  const raw = env[name];
  if (raw === undefined || raw === '') return undefined;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new InputError(`${name}="${raw}" is not an integer between ${min} and ${max}`, {
      value: raw,
      fix: `set ${name} to an integer in ${min}..${max}, or unset it for the default`,
    });
  }
  return n;
}

/**
 * The lock timeout, more than 0 as the CLI's --lock-timeout: 0 is no timeout
 * in PostgreSQL (a migration waits forever behind any lock), which lint's
 * lock-timeout-disabled refuses in a file.
 */
function positiveLockTimeout(env: NodeJS.ProcessEnv): number | undefined {
  const name = ENV.lockTimeoutMs;
  if (env[name] !== undefined && env[name] !== '' && Number(env[name]) === 0) {
    throw new InputError(
      `${name}="${env[name]}" turns the lock timeout off (lock_timeout 0 in PostgreSQL: a migration waits forever behind any lock it conflicts with)`,
      {
        value: env[name],
        fix: `set ${name} to a positive number of milliseconds up to 600000 (schemaguard retries lock timeouts with backoff), or unset it for ${DEFAULTS.lockTimeoutMs}`,
      },
    );
  }
  return optionalInt(env, name, 1, 600_000);
}

function failOnDrift(env: NodeJS.ProcessEnv): boolean {
  const raw = env[ENV.failOnDrift];
  const value = (raw ?? '').toLowerCase();
  if (!['', 'true', 'false'].includes(value)) {
    throw new InputError(`${ENV.failOnDrift}="${raw}" is not true or false`, {
      value: raw,
      fix: 'set it to true to fail the deploy on drift, or leave it unset',
    });
  }
  return value === 'true';
}
