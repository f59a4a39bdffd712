/**
 * The handler's settings, read from the environment the construct sets
 * (names in constants.ts). A bad value is an InputError naming the variable,
 * the value and the fix — raised before anything touches the database.
 */
import { isAbsolute, join } from 'node:path';
import { InputError } from '../engine/errors';
import { validateSchemaName } from '../engine/identifiers';
import { DEFAULT_STATE_SCHEMA } from '../engine/state';
import { DEFAULTS, ENV, TLS_MODES, type TlsMode } from './constants';

export interface HandlerConfig {
  secretArn: string;
  databaseName?: string;
  host?: string;
  port?: number;
  migrationsDir: string;
  contractsDir: string;
  stateSchema: string;
  reserveMs: number;
  connectAttempts: number;
  lockTimeoutMs: number;
  lockWaitMs: number;
  caBundle: string;
  tls: TlsMode;
  databaseLogGroup?: string;
  /** Aurora cluster ARN: migrate through the RDS Data API instead of a connection. */
  clusterArn?: string;
  /** The handler's own log group (set by the Lambda runtime). */
  handlerLogGroup?: string;
}

export function readConfig(env: NodeJS.ProcessEnv): HandlerConfig {
  const root = env.LAMBDA_TASK_ROOT || process.cwd();
  const dir = (name: string, fallback: string): string => {
    const v = env[name] || fallback;
    return isAbsolute(v) ? v : join(root, v);
  };
  const secretArn = env[ENV.secretArn];
  if (!secretArn) {
    throw new InputError(`${ENV.secretArn} is not set`, { fix: 'deploy the function through the SchemaMigrations construct, which sets it to the database secret ARN' });
  }
  const tls = (env[ENV.tls] || 'verify-full') as TlsMode;
  if (!TLS_MODES.includes(tls)) {
    throw new InputError(`${ENV.tls}="${env[ENV.tls]}" is not one of ${TLS_MODES.join(', ')}`, { value: env[ENV.tls], fix: 'leave it unset (verify-full) in AWS' });
  }
  return {
    secretArn,
    databaseName: env[ENV.databaseName] || undefined,
    host: env[ENV.host] || undefined,
    port: optionalInt(env, ENV.port, 1, 65535),
    migrationsDir: dir(ENV.migrationsDir, DEFAULTS.migrationsDir),
    contractsDir: dir(ENV.contractsDir, DEFAULTS.contractsDir),
    stateSchema: validateSchemaName(env[ENV.stateSchema] || DEFAULT_STATE_SCHEMA, ENV.stateSchema),
    reserveMs: optionalInt(env, ENV.reserveMs, 0, 600_000) ?? DEFAULTS.reserveMs,
    connectAttempts: optionalInt(env, ENV.connectAttempts, 1, 50) ?? DEFAULTS.connectAttempts,
    lockTimeoutMs: optionalInt(env, ENV.lockTimeoutMs, 0, 600_000) ?? DEFAULTS.lockTimeoutMs,
    lockWaitMs: optionalInt(env, ENV.lockWaitMs, 0, 900_000) ?? DEFAULTS.lockWaitMs,
    caBundle: env[ENV.caBundle] || DEFAULTS.caBundle,
    tls,
    databaseLogGroup: env[ENV.databaseLogGroup] || undefined,
    clusterArn: env[ENV.clusterArn] || undefined,
    handlerLogGroup: env.AWS_LAMBDA_LOG_GROUP_NAME || undefined,
  };
}

function optionalInt(env: NodeJS.ProcessEnv, name: string, min: number, max: number): number | undefined {
  const raw = env[name];
  if (raw === undefined || raw === '') return undefined;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new InputError(`${name}="${raw}" is not an integer between ${min} and ${max}`, { value: raw, fix: `set ${name} to an integer in ${min}..${max}, or unset it for the default` });
  }
  return n;
}
