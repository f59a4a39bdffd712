/** SchemaMigrations' props with their defaults (and the project file's), checked against each other and against AWS's limits. */
import { readFileSync } from 'node:fs';
import { Duration, RemovalPolicy, Token } from 'aws-cdk-lib';
import * as logs from 'aws-cdk-lib/aws-logs';
import { DEFAULTS } from '../../lambda/handler/constants';
import { boundsOf } from '../../lambda/handler/contract';
import { checkHandlerBundle } from '../handler-asset';
import { resolveAuth } from '../database-auth';
import { refuseUnlessWhole, refuseWrongKinds, type PropKind } from '../prop-types';
import { checkMigratorProps, defaultMigratorRoleName } from '../migrator-role';
import type { ProjectConfig } from '../config/load';
import { SETTINGS, SettingValueError } from '../config/settings';
import type { BackfillSettings } from '../../lambda/engine/backfill/run';
import { resolveUserFiles, type UserFiles } from '../user-files';
import type { BackfillProps, SchemaMigrationsProps, StandbyWaitProps } from './props';
import { present } from '../../lambda/engine/errors/present';
import { formatDuration } from '../../lambda/engine/files/duration';

/** `standbys.wait`: a concrete duration within one invocation's limit (the handler waits inside its invocation). */
export function refuseBadStandbyWait(standbys: StandbyWaitProps | undefined): void {
  const wait = standbys?.wait;
  if (wait === undefined) return;
  if (!(wait instanceof Duration) || Token.isUnresolved(wait.toMilliseconds()) || wait.toMilliseconds() > MAX_STANDBY_WAIT_MS) {
    throw new Error(
      `SchemaMigrations: "standbys.wait" is ${wait instanceof Duration && !Token.isUnresolved(wait.toMilliseconds()) ? `${wait.toSeconds()} s` : String(wait)}; use a Duration from 0 to 15 minutes (the wait runs inside one handler invocation, within its time)`,
    );
  }
}

/** The props of a plain kind, checked at run time (a JavaScript app, a value from context). */
export const PROP_KINDS: Readonly<Record<string, PropKind>> = {
  databaseName: 'string',
  stateSchema: 'string',
  migrationsDir: 'string',
  migrationsLayout: 'string',
  contractsDir: 'string',
  snapshotFile: 'string',
  databaseLogGroupName: 'string',
  replicationPlanned: 'string',
  migratorRoleName: 'string',
  migratorSchemas: 'strings',
  masterExtensions: 'strings',
  migratorRevision: 'number',
  failOnDrift: 'boolean',
  parseAtSynth: 'boolean',
  outputs: 'boolean',
  memorySize: 'number',
  revision: 'number',
  versionParameterName: 'string',
  handlerTimeout: 'duration',
  reserve: 'duration',
  lockTimeout: 'duration',
  queryInterval: 'duration',
  totalTimeout: 'duration',
  serviceTimeout: 'duration',
  port: 'port',
  vpcSubnets: 'subnets',
};

export const MAX_LAMBDA_TIMEOUT = Duration.minutes(15);
/** CloudFormation waits at most this long for a custom resource (ServiceTimeout). */
export const MAX_SERVICE_TIMEOUT_S = 3600;
/** serviceTimeout exceeds totalTimeout by at least this, so the framework's timeout response reaches CloudFormation first. */
export const SERVICE_TIMEOUT_MARGIN_S = 60;
/** So totalTimeout is at most 3540 s, not the hour the Provider framework itself would take. */
export const MAX_TOTAL_S = MAX_SERVICE_TIMEOUT_S - SERVICE_TIMEOUT_MARGIN_S;
export const DEFAULT_TOTAL_TIMEOUT = Duration.minutes(45);
export const DEFAULT_SERVICE_TIMEOUT = Duration.minutes(50);

/** The props refused before anything is built (wrong kinds, a bad revision, migrator props without a master), and the credentials they give. */
export function checkedAuth(props: SchemaMigrationsProps): ReturnType<typeof resolveAuth> {
  const given = resolveAuth('SchemaMigrations', {
    secret: props.secret,
    masterSecret: props.masterSecret,
    iamAuthentication: props.iamAuthentication,
    dataApi: props.dataApiCluster !== undefined,
  });
  refuseMigratorPropsWithoutMaster(props);
  refuseWrongKinds('SchemaMigrations', props, PROP_KINDS);
  refuseUnlessWhole(
    'SchemaMigrations',
    'revision',
    props.revision,
    [0, Number.MAX_SAFE_INTEGER],
    'use a whole number from 0, and raise it to run the migrations again',
  );
  return given;
}

/** The props with their defaults, checked against each other; the user's files as absolute paths. */
export interface Settings extends UserFiles {
  /** `lockTimeout` (or the project file's), checked; undefined: the handler's default. */
  lockTimeoutMs?: number;
  /** `standbys` (or the project file's `standbyWait`, `standbyStrict`), checked; undefined: the handler's 60 s, a warning. */
  standbyWaitMs?: number;
  standbyStrict?: boolean;
  /** `backfill` over the project file's, read into the engine's units; {} for none. */
  backfill: Partial<BackfillSettings>;
  handlerTimeout: Duration;
  reserve: Duration;
  queryInterval: Duration;
  totalTimeout: Duration;
  serviceTimeout: Duration;
  retention: logs.RetentionDays;
  removalPolicy: RemovalPolicy;
}

export interface Checked extends Settings {
  memorySize?: number;
  databaseName?: string;
}

export function resolveSettings(props: SchemaMigrationsProps, project: ProjectConfig): Settings {
  const settings: Settings = {
    ...resolveUserFiles('SchemaMigrations', props, process.cwd(), project),
    lockTimeoutMs: lockTimeoutOf(props.lockTimeout, project),
    ...standbysOf(props.standbys, project),
    backfill: backfillOf(props.backfill, project),
    handlerTimeout: props.handlerTimeout ?? Duration.minutes(5),
    reserve: props.reserve ?? Duration.millis(DEFAULTS.reserveMs),
    queryInterval: props.queryInterval ?? Duration.seconds(10),
    totalTimeout: props.totalTimeout ?? DEFAULT_TOTAL_TIMEOUT,
    serviceTimeout: props.serviceTimeout ?? defaultServiceTimeout(props.totalTimeout),
    retention: props.logRetention ?? logs.RetentionDays.THREE_MONTHS,
    removalPolicy: props.logRemovalPolicy ?? RemovalPolicy.DESTROY,
  };
  validate({ ...settings, memorySize: props.memorySize, databaseName: props.databaseName });
  checkHandlerBundle('SchemaMigrations');
  return settings;
}

/** The most `lockTimeout` takes: the handler's limit (the contract's SCHEMAGUARD_LOCK_TIMEOUT_MS). */
export const MAX_LOCK_TIMEOUT_MS = boundsOf('lockTimeoutMs').max;

/** `lockTimeout` in milliseconds, else the project file's, else undefined (the handler's 5 s); refused outside 1 ms to 10 minutes. */
export function lockTimeoutOf(given: Duration | undefined, project: ProjectConfig): number | undefined {
  if (given === undefined) {
    const fromFile = project.settings.lockTimeout;
    if (fromFile !== undefined && fromFile > MAX_LOCK_TIMEOUT_MS) {
      throw new Error(
        `SchemaMigrations: "lockTimeout" in ${project.file} is ${fromFile} ms, over the ${MAX_LOCK_TIMEOUT_MS} ms (${formatDuration(MAX_LOCK_TIMEOUT_MS)}) the handler takes; write a shorter duration there (a lock timeout is retried with backoff), or pass lockTimeout`,
      );
    }
    return fromFile;
  }
  const ms = given.toMilliseconds();
  if (Token.isUnresolved(ms)) throw new Error('SchemaMigrations: "lockTimeout" must be a concrete duration, not a token');
  if (ms < 1 || ms > MAX_LOCK_TIMEOUT_MS) {
    throw new Error(
      `SchemaMigrations: "lockTimeout" is ${ms} ms; use Duration.millis(1) to Duration.minutes(10) (0 is no lock timeout in PostgreSQL: a migration would wait forever behind any lock; it is retried with backoff instead)`,
    );
  }
  return ms;
}

/** `backfill`, each key given over the project file's, read as the file's own are (lib/config/settings.ts). */
export function backfillOf(given: BackfillProps | undefined, project: ProjectConfig): Partial<BackfillSettings> {
  const fromFile = project.settings.backfill ?? {};
  if (given === undefined) return fromFile;
  const setting = present(SETTINGS.find((s) => s.key === 'backfill'));
  try {
    return { ...fromFile, ...setting.read(given, { dir: process.cwd() }) };
  } catch (e) {
    if (e instanceof SettingValueError) throw new Error(`SchemaMigrations: "backfill" ${e.problem}; ${e.fix}`);
    throw e;
  }
}

/** The longest `standbys.wait` (and the file's `standbyWait`) the handler takes: it waits inside one invocation. */
export const MAX_STANDBY_WAIT_MS = boundsOf('standbyWaitMs').max;

/** `standbys.wait` and `standbys.strict`, each prop given winning over the project file's key. */
export function standbysOf(given: StandbyWaitProps | undefined, project: ProjectConfig): Pick<Settings, 'standbyWaitMs' | 'standbyStrict'> {
  refuseBadStandbyWait(given);
  const fromFile = project.settings.standbyWait;
  if (given?.wait === undefined && fromFile !== undefined && fromFile > MAX_STANDBY_WAIT_MS) {
    throw new Error(
      `SchemaMigrations: "standbyWait" in ${project.file} is ${fromFile} ms, over the ${MAX_STANDBY_WAIT_MS} ms (15 minutes) the handler takes (it waits inside one invocation); write a shorter duration there, or pass standbys: { wait }`,
    );
  }
  return { standbyWaitMs: given?.wait?.toMilliseconds() ?? fromFile, standbyStrict: given?.strict ?? project.settings.standbyStrict };
}

/**
 * 50 minutes, or `totalTimeout` plus 5 minutes when that is longer, capped at CloudFormation's hour: every
 * `totalTimeout` that `validate` accepts (up to 3540 s) works without `serviceTimeout` set too.
 */
export function defaultServiceTimeout(totalTimeout: Duration | undefined): Duration {
  const total = totalTimeout?.toSeconds({ integral: false });
  // A token is refused by validate, naming totalTimeout.
  if (total === undefined || Token.isUnresolved(total)) return DEFAULT_SERVICE_TIMEOUT;
  const seconds = Math.min(MAX_SERVICE_TIMEOUT_S, Math.max(DEFAULT_SERVICE_TIMEOUT.toSeconds(), total + 300));
  return Duration.seconds(seconds);
}

/** The migrator's props make nothing without `masterSecret` (no migrator is made): refused rather than ignored. */
export function refuseMigratorPropsWithoutMaster(props: SchemaMigrationsProps): void {
  if (props.masterSecret) return;
  const given = (['migratorRoleName', 'migratorSchemas', 'masterExtensions', 'migratorRevision'] as const).filter((k) => props[k] !== undefined);
  if (!given.length) return;
  throw new Error(
    `SchemaMigrations: ${given.map((k) => `"${k}"`).join(', ')} set the migrator that "masterSecret" makes, and "masterSecret" is not set (the migrations run as "secret"'s user); pass "masterSecret" instead of "secret", or remove them`,
  );
}

/** The migrator's name, schemas and extensions, with their defaults, checked. */
export function migratorSettings(
  props: SchemaMigrationsProps,
  stateSchema: string,
  files: UserFiles,
): { roleName: string; schemas: string[]; extensions: string[]; revision?: number } {
  const roleName = migratorRoleName(props, stateSchema);
  const schemas = props.migratorSchemas ?? [...new Set(['public', ...snapshotSchemas(files.snapshotFile)])];
  const extensions = props.masterExtensions ?? [];
  checkMigratorProps(roleName, schemas, extensions, props.migratorRevision);
  return { roleName, schemas, extensions, revision: props.migratorRevision };
}

/** `migratorRoleName`, else the default one named after `databaseName`. */
export function migratorRoleName(props: SchemaMigrationsProps, stateSchema: string): string {
  if (props.migratorRoleName !== undefined) return props.migratorRoleName;
  if (props.databaseName === undefined) {
    throw new Error(
      'SchemaMigrations: "masterSecret" makes a migrator named after the database, and "databaseName" is not set; pass "databaseName" or "migratorRoleName"',
    );
  }
  return defaultMigratorRoleName(props.databaseName, stateSchema);
}

/** The schemas a snapshot lists (`catalog.schemas`); none when there is no snapshot or it cannot be read (synth reads it again, and says so, elsewhere). */
export function snapshotSchemas(snapshotFile: string | undefined): string[] {
  if (!snapshotFile) return [];
  try {
    const schemas = (JSON.parse(readFileSync(snapshotFile, 'utf8')) as { catalog?: { schemas?: unknown } }).catalog?.schemas;
    return Array.isArray(schemas) ? schemas.filter((x): x is string => typeof x === 'string') : [];
  } catch {
    return [];
  }
}

export function validate(p: Checked): void {
  const durations: [string, Duration][] = [
    ['handlerTimeout', p.handlerTimeout],
    ['reserve', p.reserve],
    ['queryInterval', p.queryInterval],
    ['totalTimeout', p.totalTimeout],
    ['serviceTimeout', p.serviceTimeout],
  ];
  for (const [name, d] of durations) {
    if (Token.isUnresolved(d.toSeconds({ integral: false }))) {
      throw new Error(`SchemaMigrations: "${name}" must be a concrete duration, not a token; the props are checked against each other at synth time`);
    }
  }
  const s = (d: Duration) => d.toMilliseconds() / 1000;
  if (s(p.handlerTimeout) < 60 || s(p.handlerTimeout) > s(MAX_LAMBDA_TIMEOUT)) {
    throw new Error(`SchemaMigrations: "handlerTimeout" is ${s(p.handlerTimeout)} s; use 60 s to 900 s (the Lambda limit)`);
  }
  if (s(p.reserve) < 5 || s(p.reserve) > s(p.handlerTimeout) - 30) {
    throw new Error(
      `SchemaMigrations: "reserve" is ${s(p.reserve)} s with "handlerTimeout" ${s(p.handlerTimeout)} s; use at least 5 s and leave at least 30 s of the timeout for work`,
    );
  }
  if (s(p.queryInterval) < 1 || s(p.queryInterval) > s(p.totalTimeout)) {
    throw new Error(`SchemaMigrations: "queryInterval" is ${s(p.queryInterval)} s; use 1 s up to "totalTimeout" (${s(p.totalTimeout)} s)`);
  }
  if (s(p.totalTimeout) > MAX_TOTAL_S || s(p.totalTimeout) < s(p.handlerTimeout)) {
    throw new Error(
      `SchemaMigrations: "totalTimeout" is ${s(p.totalTimeout)} s; use at least "handlerTimeout" (${s(p.handlerTimeout)} s) and at most ${MAX_TOTAL_S} s ("serviceTimeout" must exceed it by ${SERVICE_TIMEOUT_MARGIN_S} s and CloudFormation allows at most ${MAX_SERVICE_TIMEOUT_S} s)`,
    );
  }
  if (s(p.serviceTimeout) > MAX_SERVICE_TIMEOUT_S || s(p.serviceTimeout) < s(p.totalTimeout) + SERVICE_TIMEOUT_MARGIN_S) {
    throw new Error(
      `SchemaMigrations: "serviceTimeout" is ${s(p.serviceTimeout)} s with "totalTimeout" ${s(p.totalTimeout)} s; it must exceed totalTimeout by at least ${SERVICE_TIMEOUT_MARGIN_S} s (so the framework's timeout response reaches CloudFormation first) and be at most ${MAX_SERVICE_TIMEOUT_S} s`,
    );
  }
  if (p.memorySize !== undefined && (!Number.isInteger(p.memorySize) || p.memorySize < 128 || p.memorySize > 10240)) {
    throw new Error(`SchemaMigrations: "memorySize" is ${p.memorySize}; use an integer from 128 to 10240 (MB)`);
  }
  refuseUnusableDatabaseName(p.databaseName);
}

/**
 * The name goes to the server as the connection's database (the pg startup
 * message, or the Data API's `database`), never into SQL: any name PostgreSQL
 * has works, "my-db" too. Refused only what cannot: empty (the handler would
 * fall back to the secret's dbname), a NUL, or over 63 bytes (the server cuts
 * the name to 63 bytes, so another database would be migrated). A token is
 * taken: the handler reads the name at deploy time.
 */
export function refuseUnusableDatabaseName(name: string | undefined): void {
  if (name === undefined || Token.isUnresolved(name)) return;
  const bytes = Buffer.byteLength(name, 'utf8');
  if (bytes >= 1 && bytes <= 63 && !name.includes('\u0000')) return;
  throw new Error(
    `SchemaMigrations: "databaseName" ${JSON.stringify(name)} is ${bytes === 0 ? 'empty' : name.includes('\u0000') ? 'a name with a NUL' : `${bytes} bytes`}: PostgreSQL database names are 1 to 63 bytes without NUL ` +
      "(a longer name is cut to 63 bytes by the server, and another database would be migrated); pass the name of the database as it exists, or leave databaseName unset to use the secret's dbname",
  );
}
