/**
 * The handler's settings, parsed once per invocation from the environment the
 * construct sets (the contract: contract.ts) into one typed object, grouped by the
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
import { readContract, type ContractValues } from './contract';
import { servedBy, type Served } from './served';
import type { FailureContext } from './failure';
import { DEFAULT_BACKFILL } from '../engine/defaults';
import type { BackfillSettings } from '../engine/backfill/run';

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
  /** Backfills' batch sizes and health bounds; the engine's defaults for those not given. */
  backfill: Partial<BackfillSettings>;
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
  /** What the function answers: the resources it was made for, operator commands or not (served.ts). */
  serves: Served;
  /** The operator function may run `baseline` and `repair` (SchemaMigrations `operatorCommands.writes`). */
  operatorWrites: boolean;
  /** The fleet the custom resource rolls out (SCHEMAGUARD_FLEET); undefined for one database. */
  fleet?: Fleet;
}

export function readConfig(env: NodeJS.ProcessEnv): HandlerConfig {
  const values = readContract(env);
  const inBundle = bundlePath(env);
  const tls = tlsSettings(values);
  const run = runSettings(values);
  const migrationsDir = inBundle(values.migrationsDir ?? DEFAULTS.migrationsDir);
  const contractsDir = inBundle(values.contractsDir ?? DEFAULTS.contractsDir);
  // Set but empty turns the drift check off.
  const snapshotFile = values.snapshotFile;
  return {
    database: databaseTarget(values, tls, env),
    migrationsDir,
    ...(values.migrationsLayout ? { migrationsLayout: parseLayout(values.migrationsLayout, ENV.migrationsLayout) } : {}),
    contractsDir,
    run,
    verify: {
      contractsDir,
      stateSchema: run.stateSchema,
      failOnDrift: values.failOnDrift === true,
      snapshotFile: snapshotFile ? inBundle(snapshotFile) : undefined,
    },
    logGroups: { handlerLogGroup: env.AWS_LAMBDA_LOG_GROUP_NAME || undefined, databaseLogGroup: values.databaseLogGroup },
    serves: servedBy(values.serves, ENV.serves),
    operatorWrites: values.operatorWrites === true,
    ...(values.fleet !== undefined ? { fleet: fleetSetting(values.fleet) } : {}),
  };
}

/** SCHEMAGUARD_FLEET: the project file's `fleet` (the contract parsed its JSON), checked as the file's is. */
function fleetSetting(spec: unknown): Fleet {
  const fix = 'deploy the function through SchemaMigrations, which sets it from its fleet (or the project file\'s "fleet")';
  try {
    return fleetOf(readFleetSpec(spec));
  } catch (e) {
    if (!(e instanceof FleetSpecError)) throw e;
    throw new InputError(`${ENV.fleet}: the fleet ${e.problem}`, { value: JSON.stringify(spec), fix: `${e.fix}; ${fix}` });
  }
}

function databaseTarget(values: ContractValues, tls: TlsSettings, env: NodeJS.ProcessEnv): DatabaseTarget {
  const { databaseName, host, port, endpointHost, endpointPort, clusterArn, iamUser } = values;
  const connectAttempts = values.connectAttempts ?? DEFAULTS.connectAttempts;
  if (clusterArn) {
    if (iamUser)
      throw new InputError(`${ENV.iamUser} is set with ${ENV.clusterArn}`, {
        value: iamUser,
        fix: 'the RDS Data API authenticates with a secret only: leave iamAuthentication unset with dataApiCluster',
      });
    return { kind: 'data-api', clusterArn, secretArn: requiredSecretArn(values), databaseName };
  }
  const endpoint = endpointHost ? { endpoint: { host: endpointHost, ...(endpointPort ? { port: endpointPort } : {}) } } : {};
  const auth: ConnectionAuth = iamUser ? iamAuth(values, iamUser, tls, env) : { kind: 'secret', secretArn: requiredSecretArn(values) };
  return { kind: 'connection', auth, pooler: values.pooler === true, databaseName, host, port, ...endpoint, connectAttempts, tls };
}

/** IAM authentication: no secret beside it, and TLS, which RDS requires for a token. */
function iamAuth(values: ContractValues, username: string, tls: TlsSettings, env: NodeJS.ProcessEnv): ConnectionAuth {
  if (values.secretArn)
    throw new InputError(`${ENV.secretArn} and ${ENV.iamUser} are both set`, { fix: 'give the construct either secret or iamAuthentication, not both' });
  if (!values.host && !values.endpointHost) {
    throw new InputError(`${ENV.iamUser} is set without ${ENV.host} or ${ENV.endpointHost}: with IAM authentication there is no secret to read the host from`, {
      fix: "pass an rds.DatabaseInstance, DatabaseCluster or DatabaseProxy as the construct's database (its endpoint is used)",
    });
  }
  if (tls.mode === 'disable' && env.AWS_LAMBDA_FUNCTION_NAME)
    throw new InputError(`${ENV.tls}=disable with ${ENV.iamUser}`, { fix: `RDS accepts an IAM token over TLS only: leave ${ENV.tls} unset` });
  return { kind: 'iam', username };
}

function runSettings(values: ContractValues): RunSettings {
  return {
    // Checked here so a bad name fails before anything connects, naming the variable (not a CLI flag).
    stateSchema: validateSchemaName(values.stateSchema ?? DEFAULT_STATE_SCHEMA, ENV.stateSchema),
    reserveMs: values.reserveMs ?? DEFAULTS.reserveMs,
    lockTimeoutMs: values.lockTimeoutMs ?? DEFAULTS.lockTimeoutMs,
    lockWaitMs: values.lockWaitMs ?? DEFAULTS.lockWaitMs,
    totalTimeoutMs: values.totalTimeoutMs,
    ...(values.replicationPlanned ? { replicationPlanned: values.replicationPlanned } : {}),
    standbyWaitMs: values.standbyWaitMs ?? DEFAULTS.standbyWaitMs,
    standbyStrict: values.standbyStrict === true,
    backfill: backfillSettings(values.backfill),
  };
}

/** SCHEMAGUARD_BACKFILL: an object of the engine's backfill settings (the construct writes it from its `backfill` prop and the project file). */
function backfillSettings(value: unknown): Partial<BackfillSettings> {
  if (value === undefined) return {};
  const known = Object.keys(DEFAULT_BACKFILL);
  const bad =
    typeof value !== 'object' || value === null || Array.isArray(value)
      ? 'is not a JSON object'
      : Object.entries(value).find(([k, v]) => !known.includes(k) || typeof v !== typeof DEFAULT_BACKFILL[k as keyof BackfillSettings])?.[0];
  if (bad !== undefined) {
    throw new InputError(`${ENV.backfill}: ${bad === 'is not a JSON object' ? bad : `"${bad}" is not one of its settings, or not of its type`}`, {
      value: JSON.stringify(value).slice(0, 200),
      fix: `deploy the function through the SchemaMigrations construct, which writes it from its backfill prop: an object of ${known.join(', ')}`,
    });
  }
  return value as Partial<BackfillSettings>;
}

function requiredSecretArn(values: ContractValues): string {
  if (!values.secretArn) {
    throw new InputError(`${ENV.secretArn} is not set`, {
      fix: 'deploy the function through the SchemaMigrations construct, which sets it to the database secret ARN',
    });
  }
  return values.secretArn;
}

function tlsSettings(values: ContractValues): TlsSettings {
  const mode = values.tls as TlsMode;
  if (!TLS_MODES.includes(mode)) {
    throw new InputError(`${ENV.tls}="${values.tls}" is not one of ${TLS_MODES.join(', ')}`, { value: values.tls, fix: 'leave it unset (verify-full) in AWS' });
  }
  return mode === 'disable' ? { mode } : { mode, caBundle: values.caBundle ?? DEFAULTS.caBundle };
}

/** Paths are relative to LAMBDA_TASK_ROOT (where the bundle is unpacked) unless absolute. */
function bundlePath(env: NodeJS.ProcessEnv): (path: string) => string {
  const root = env.LAMBDA_TASK_ROOT || process.cwd();
  return (path) => (isAbsolute(path) ? path : join(root, path));
}
