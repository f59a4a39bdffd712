/**
 * The CDK app's configuration: cdk.json context (or `-c key=value`), every
 * key prefixed `schemaguard:` so unknown keys can be refused. Defaults:
 *
 * | key                          | default        | meaning |
 * |------------------------------|----------------|---------|
 * | schemaguard:stage            | dev            | `dev` (deletable, single-AZ) or `prod` (deletion protection, snapshot on delete, Multi-AZ) |
 * | schemaguard:engine           | postgres       | `postgres` (RDS instance, migrated over a connection from the VPC) or `aurora` (Aurora Serverless v2, migrated through the RDS Data API from outside the VPC; instanceClass does not apply) |
 * | schemaguard:instanceClass    | t4g.micro      | RDS instance class, with or without the `db.` prefix |
 * | schemaguard:engineVersion    | 18.3 (aurora: 17.6) | PostgreSQL version known to aws-cdk-lib, 13 to 18 (docs/guide/versions.md): a major (`13` … `18`) or `major.minor`; with engine aurora a `major.minor` that has the RDS Data API (13.11, 14.8, 15.3, 16.1, 17.4, 18.3 and later) |
 * | schemaguard:databaseName     | app            | database created on the instance and migrated |
 * | schemaguard:instanceIdentifier | schemaguard-<stage>-<databaseName> | RDS instance identifier (names the log group); it must name the database (databaseName between hyphens) |
 * | schemaguard:natGateways      | 0              | NAT gateways (0: isolated subnets only) |
 * | schemaguard:logRetentionDays | 30 (dev), 365 (prod) | retention of the database and handler log groups |
 * | schemaguard:alarmEmail       | "" (none)      | e-mail subscribed to the paging topic |
 * | schemaguard:alarmHttpsUrl    | "" (none)      | HTTPS endpoint subscribed to the paging topic (PagerDuty/Opsgenie-style) |
 * | schemaguard:alarmTicketEmail | "" (none)      | e-mail subscribed to the ticket topic |
 * | schemaguard:alarmTicketHttpsUrl | "" (none)   | HTTPS endpoint subscribed to the ticket topic (a low-urgency service, a ticketing system) |
 * | schemaguard:guardSchedule    | 15m            | how often the schema guard runs (`5m`, `1h`: whole minutes, 1m to 24h), or `off` |
 * | schemaguard:guardRoleRevision | 0 (none)      | raise it to make the next deploy set the guard's role again from its secret (its password refused: 28P01) |
 * | schemaguard:migrationsRevision | 0 (none)     | raise it to make the next deploy run the migrations and their checks again when nothing else changed |
 */
import { Duration } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as rds from 'aws-cdk-lib/aws-rds';
import { parseDuration } from '../lambda/engine/files/duration';
import { SUPPORTED_MAJORS } from '../lambda/engine/server/server-majors';
import { urlWithoutPath } from '../lambda/engine/errors/redact';
import { auroraVersionConstant, auroraVersions, engineVersionProblem, postgresVersionConstant, postgresVersions } from './engine-versions';
import { noun } from '../lambda/engine/errors/words';

export const CONTEXT_PREFIX = 'schemaguard:';
export const STAGES = ['dev', 'prod'] as const;
export type Stage = (typeof STAGES)[number];

export const CONTEXT_DEFAULTS = {
  stage: 'dev',
  engine: 'postgres',
  instanceClass: 't4g.micro',
  engineVersion: '18.3',
  databaseName: 'app',
  instanceIdentifier: '',
  natGateways: 0,
  logRetentionDays: 0,
  alarmEmail: '',
  alarmHttpsUrl: '',
  alarmTicketEmail: '',
  alarmTicketHttpsUrl: '',
  guardSchedule: '15m',
  guardRoleRevision: 0,
  migrationsRevision: 0,
} as const;
export type ContextKey = keyof typeof CONTEXT_DEFAULTS;

export const ENGINES = ['postgres', 'aurora'] as const;
export type Engine = (typeof ENGINES)[number];

export interface AppConfig {
  stage: Stage;
  engine: Engine;
  instanceType: ec2.InstanceType;
  instanceClass: string;
  /** The RDS for PostgreSQL version (engine `postgres`). */
  engineVersion: rds.PostgresEngineVersion;
  /** The Aurora PostgreSQL version (engine `aurora`); undefined: the Aurora stack's default. */
  auroraEngineVersion?: rds.AuroraPostgresEngineVersion;
  engineVersionText: string;
  databaseName: string;
  /** undefined: the stack's default, `schemaguard-<stage>-<databaseName>`. */
  instanceIdentifier?: string;
  natGateways: number;
  logRetention: logs.RetentionDays;
  alarmEmail?: string;
  alarmHttpsUrl?: string;
  alarmTicketEmail?: string;
  alarmTicketHttpsUrl?: string;
  /** How often the schema guard runs; undefined: `off`, no guard. */
  guardSchedule?: Duration;
  /** SchemaGuard `roleRevision`; undefined for 0 (none). */
  guardRoleRevision?: number;
  /** SchemaMigrations `revision`; undefined for 0 (none). */
  migrationsRevision?: number;
}

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

/** An RDS instance or cluster identifier as RDS stores it: lowercase, 1 to 63 letters, digits or single hyphens, starting with a letter. */
export function isRdsIdentifier(id: string): boolean {
  return /^[a-z][a-z0-9-]{0,62}$/.test(id) && !id.endsWith('-') && !id.includes('--');
}

const RETENTION_DAYS = Object.values(logs.RetentionDays).filter((v): v is number => typeof v === 'number' && v > 0);
const SIZES = /^(nano|micro|small|medium|large|xlarge|\d+xlarge|metal|metal-\d+xl)$/;

function str(key: ContextKey, raw: unknown): string {
  if (raw === undefined || raw === null) return String(CONTEXT_DEFAULTS[key]);
  if (typeof raw === 'string' || typeof raw === 'number') return String(raw).trim();
  throw new ConfigError(
    `context ${CONTEXT_PREFIX}${key}: expected a string, got ${JSON.stringify(raw)}; set it in cdk.json or with -c ${CONTEXT_PREFIX}${key}=…`,
  );
}

function int(key: ContextKey, raw: string, min: number, max: number): number {
  const n = Number(raw);
  if (!/^\d+$/.test(raw) || n < min || n > max) {
    throw new ConfigError(`context ${CONTEXT_PREFIX}${key}: "${raw}" is not an integer from ${min} to ${max}`);
  }
  return n;
}

/** A context value as text: `get` is `node.tryGetContext` with the `schemaguard:` prefix added. */
type Reader = (key: ContextKey) => string;

/**
 * Read and check the `schemaguard:` context. `get` is `node.tryGetContext`;
 * `keys` are all context keys (to refuse unknown `schemaguard:` keys).
 */
export function readAppConfig(get: (key: string) => unknown, keys: string[]): AppConfig {
  refuseUnknownKeys(keys);
  const v: Reader = (key) => str(key, get(`${CONTEXT_PREFIX}${key}`));
  const stage = readStage(v);
  const engine = readEngine(v);
  const instanceClass = readInstanceClass(v);
  const { engineVersion, auroraEngineVersion, engineVersionText } = readEngineVersion(v, engine, get(`${CONTEXT_PREFIX}engineVersion`) !== undefined);
  return {
    stage,
    engine,
    instanceClass,
    instanceType: new ec2.InstanceType(instanceClass),
    engineVersion,
    ...(auroraEngineVersion ? { auroraEngineVersion } : {}),
    engineVersionText,
    databaseName: readDatabaseName(v),
    instanceIdentifier: readInstanceIdentifier(v),
    natGateways: int('natGateways', v('natGateways'), 0, 3),
    logRetention: readLogRetention(v, stage),
    alarmEmail: readEmail(v, 'alarmEmail'),
    alarmHttpsUrl: readHttpsUrl(v, 'alarmHttpsUrl'),
    alarmTicketEmail: readEmail(v, 'alarmTicketEmail'),
    alarmTicketHttpsUrl: readHttpsUrl(v, 'alarmTicketHttpsUrl'),
    guardSchedule: readGuardSchedule(v),
    guardRoleRevision: int('guardRoleRevision', v('guardRoleRevision'), 0, 1_000_000) || undefined,
    migrationsRevision: int('migrationsRevision', v('migrationsRevision'), 0, 1_000_000) || undefined,
  };
}

function refuseUnknownKeys(keys: string[]): void {
  const known = Object.keys(CONTEXT_DEFAULTS).map((k) => `${CONTEXT_PREFIX}${k}`);
  const unknown = keys.filter((k) => k.startsWith(CONTEXT_PREFIX) && !known.includes(k));
  if (unknown.length) {
    throw new ConfigError(
      `unknown context ${noun(unknown.length, 'key')} ${unknown.join(', ')}; the known keys are ${known.join(', ')} (check the spelling in cdk.json or -c)`,
    );
  }
}

function readStage(v: Reader): Stage {
  const stage = v('stage') as Stage;
  if (!STAGES.includes(stage)) {
    throw new ConfigError(`context ${CONTEXT_PREFIX}stage: "${stage}" is not one of ${STAGES.join(', ')}; use -c ${CONTEXT_PREFIX}stage=prod for production`);
  }
  return stage;
}

function readEngine(v: Reader): Engine {
  const engine = v('engine') as Engine;
  if (!ENGINES.includes(engine)) {
    throw new ConfigError(
      `context ${CONTEXT_PREFIX}engine: "${engine}" is not one of ${ENGINES.join(', ')}; use -c ${CONTEXT_PREFIX}engine=aurora for Aurora with the Data API`,
    );
  }
  return engine;
}

/** The instance class without its `db.` prefix. */
function readInstanceClass(v: Reader): string {
  const instanceClass = v('instanceClass').replace(/^db\./, '');
  const parts = instanceClass.split('.');
  if (parts.length !== 2 || !/^[a-z]+\d+[a-z-]*$/.test(parts[0]) || !SIZES.test(parts[1])) {
    throw new ConfigError(
      `context ${CONTEXT_PREFIX}instanceClass: "${v('instanceClass')}" is not an RDS instance class; write it like t4g.micro, m7g.large or db.r6g.xlarge`,
    );
  }
  return instanceClass;
}

/** `schemaguard:engineVersion` for the engine: RDS for PostgreSQL's (default 18.3), or Aurora PostgreSQL's (default: the stack's, 17.6). */
function readEngineVersion(
  v: Reader,
  engine: Engine,
  given: boolean,
): { engineVersion: rds.PostgresEngineVersion; auroraEngineVersion?: rds.AuroraPostgresEngineVersion; engineVersionText: string } {
  const engineVersionText = v('engineVersion');
  if (engine === 'aurora') {
    const auroraEngineVersion = given ? auroraVersionConstant(engineVersionText) : undefined;
    if (given && !auroraEngineVersion) {
      throw new ConfigError(
        `context ${CONTEXT_PREFIX}engineVersion: "${engineVersionText}" is not an Aurora PostgreSQL version the Aurora stack deploys (${engineVersionProblem('aurora', engineVersionText) ?? 'not known to this aws-cdk-lib'}); use one of ${auroraVersions().join(', ')}`,
      );
    }
    return {
      engineVersion: rds.PostgresEngineVersion.VER_18_3,
      ...(auroraEngineVersion ? { auroraEngineVersion } : {}),
      engineVersionText: given ? engineVersionText : '17.6',
    };
  }
  const engineVersion = postgresVersionConstant(engineVersionText);
  if (!engineVersion) {
    throw new ConfigError(
      `context ${CONTEXT_PREFIX}engineVersion: "${engineVersionText}" is not a PostgreSQL ${SUPPORTED_MAJORS.oldest} to ${SUPPORTED_MAJORS.newest} version this aws-cdk-lib knows; use one of ${postgresVersions().join(', ')}`,
    );
  }
  return { engineVersion, engineVersionText };
}

function readDatabaseName(v: Reader): string {
  const databaseName = v('databaseName');
  if (!/^[A-Za-z][A-Za-z0-9_]{0,62}$/.test(databaseName) || databaseName.toLowerCase() === 'postgres' || databaseName.toLowerCase().startsWith('rds')) {
    throw new ConfigError(
      `context ${CONTEXT_PREFIX}databaseName: "${databaseName}" is not allowed; use 1 to 63 letters, digits or _ starting with a letter, not "postgres" and not starting with "rds"`,
    );
  }
  return databaseName;
}

/** The identifier given, or undefined for the stack's default (`schemaguard-<stage>-<databaseName>`, lib/stage-settings.ts). */
function readInstanceIdentifier(v: Reader): string | undefined {
  const instanceIdentifier = v('instanceIdentifier');
  if (!instanceIdentifier) return undefined;
  if (!isRdsIdentifier(instanceIdentifier)) {
    throw new ConfigError(
      `context ${CONTEXT_PREFIX}instanceIdentifier: "${instanceIdentifier}" is not an RDS identifier; use 1 to 63 lowercase letters, digits or single hyphens, starting with a letter and not ending with a hyphen (RDS lowercases identifiers, and the log group name must match)`,
    );
  }
  return instanceIdentifier;
}

/** `0` means the stage's default: 30 days for dev, 365 for prod. */
function readLogRetention(v: Reader, stage: Stage): logs.RetentionDays {
  const raw = v('logRetentionDays');
  const days = raw === '0' ? (stage === 'prod' ? 365 : 30) : int('logRetentionDays', raw, 1, 3653);
  if (!RETENTION_DAYS.includes(days)) {
    throw new ConfigError(`context ${CONTEXT_PREFIX}logRetentionDays: ${days} is not a CloudWatch Logs retention; use one of ${RETENTION_DAYS.join(', ')}`);
  }
  return days as logs.RetentionDays;
}

function readEmail(v: Reader, key: 'alarmEmail' | 'alarmTicketEmail'): string | undefined {
  const email = v(key) || undefined;
  if (email && !/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(email)) {
    throw new ConfigError(`context ${CONTEXT_PREFIX}${key}: "${email}" is not an e-mail address; leave it empty for none`);
  }
  return email;
}

/** A Secrets Manager or SSM dynamic reference, which CloudFormation resolves at deploy time: keeps a routing key out of the template. */
const DYNAMIC_REFERENCE = /^\{\{resolve:(secretsmanager|ssm):[^}]+\}\}$/;

function readHttpsUrl(v: Reader, key: 'alarmHttpsUrl' | 'alarmTicketHttpsUrl'): string | undefined {
  const url = v(key) || undefined;
  if (url && !DYNAMIC_REFERENCE.test(url)) {
    let ok = false;
    try {
      ok = new URL(url).protocol === 'https:';
    } catch {
      ok = false;
    }
    // Without its path: a PagerDuty or Opsgenie URL carries its routing key there (a broken dynamic reference holds none).
    const shown = url.startsWith('{{') ? `"${url}"` : urlWithoutPath(url) === '<not a URL>' ? 'the value (not shown)' : `"${urlWithoutPath(url)}"`;
    if (!ok)
      throw new ConfigError(
        `context ${CONTEXT_PREFIX}${key}: ${shown} is not an https:// URL or a {{resolve:secretsmanager:<secret-id>}} dynamic reference; leave it empty for none`,
      );
  }
  return url;
}

/** `off`, or whole minutes from 1 minute to 24 hours (`15m`, `1h`, `90m`): an EventBridge rate the alarms can span twice. */
function readGuardSchedule(v: Reader): Duration | undefined {
  const raw = v('guardSchedule');
  if (raw.toLowerCase() === 'off') return undefined;
  const ms = parseDuration(raw);
  if (ms === undefined || ms % 60_000 !== 0 || ms < 60_000 || ms > 86_400_000) {
    throw new ConfigError(
      `context ${CONTEXT_PREFIX}guardSchedule: "${raw}" is not a schedule; use whole minutes from 1m to 24h (e.g. 15m, 1h), or off to run no guard`,
    );
  }
  return Duration.minutes(ms / 60_000);
}
