/**
 * A deployed database as the guard meets it, on a real PostgreSQL: a master
 * login that owns the database (CREATEROLE, as RDS's master user has it),
 * the migration handler wired to it with a stand-in for Secrets Manager that
 * serves the master secret and the guard's generated secret, and helpers to
 * run the migrations resource and the guard-role resource the way the
 * Provider framework calls them. Everything printed goes to `lines`.
 */
import { randomBytes } from 'node:crypto';
import type { GetSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import {
  ENV,
  GUARD_PRIVILEGES_VERSION,
  GUARD_ROLE_PROP,
  GUARD_ROLE_RESOURCE_TYPE,
  MIGRATOR_PRIVILEGES_VERSION,
  MIGRATOR_ROLE_PROP,
  MIGRATOR_ROLE_RESOURCE_TYPE,
  PROP,
} from '../../lambda/handler/constants';
import { summariseFiles } from '../../lambda/handler/files-hash';
import type { Handlers, OnEventRequest } from '../../lambda/handler/handler';
import { asDeployed } from './as-deployed';
import { DataApiStandin } from './data-api-standin';
import { freshDatabase, withClient } from './db';
import { TEST_CLUSTER_ARN } from './drivers';
import type { Target } from './targets';

export const MASTER_SECRET_ARN = 'arn:aws:secretsmanager:eu-west-1:111111111111:secret:schemaguard-master-AbCdEf';
export const GUARD_SECRET_ARN = 'arn:aws:secretsmanager:eu-west-1:111111111111:secret:schemaguard-guard-GhIjKl';
export const MIGRATOR_SECRET_ARN = 'arn:aws:secretsmanager:eu-west-1:111111111111:secret:schemaguard-migrator-MnOpQr';

/** Roles made by rigs, dropped by `dropRigRoles` after the databases are gone. */
const roles: { target: Target; name: string }[] = [];

export type DriverMode = 'pg' | 'data-api';

export interface GuardRig {
  target: Target;
  /** The database, as the superuser sees it. */
  url: string;
  database: string;
  master: { name: string; password: string; url: string };
  guard: { name: string; password: string; url: string };
  /** The migrator the role provisioner makes, with `migrator: true`: the migrations then run as it. */
  migrator?: { name: string; password: string; url: string };
  /** Closes the Data API stand-ins. */
  close(): Promise<void>;
  /** The migrator-role resource event (with `migrator: true`). */
  migratorEvent(requestType: 'Create' | 'Update' | 'Delete', extra?: Partial<OnEventRequest>): OnEventRequest;
  /** Every line the handlers wrote. */
  lines: string[];
  /** Secret ids the stand-in was asked for. */
  secretReads: string[];
  /** The Data API stand-in (as the master user) in data-api mode. */
  standin?: DataApiStandin;
  handlers: Handlers;
  /** The migration handler's environment. */
  env: Record<string, string>;
  /** Migrate `dir` as a Create (or Update) of the migrations resource would; as the migrator when there is one, unless `asMaster`. */
  migrate(dir: string, requestType?: 'Create' | 'Update', options?: { asMaster?: boolean }): Promise<void>;
  /** The guard-role resource event, with its properties. */
  roleEvent(requestType: 'Create' | 'Update' | 'Delete', extra?: Partial<OnEventRequest>): OnEventRequest;
  /** Every secret and verifier that must never be printed. */
  secrets(): string[];
  /** Adds (or replaces) a secret of the stand-in, e.g. a second guard role's; `role` is dropped with the rigs' roles. */
  putSecret(arn: string, value: { username: string; password: string }): void;
  /** The Secrets Manager stand-in (master and guard secrets). */
  secretsClient: { send(command: GetSecretValueCommand): Promise<{ SecretString?: string }> };
  /** The scheduled guard's environment, as SchemaGuard sets it, for these files. */
  guardEnv(files: { migrationsDir: string; contractsDir: string; snapshotFile: string }, extra?: Record<string, string>): Record<string, string>;
}

const context = { getRemainingTimeInMillis: () => 120_000 };

export interface RigOptions {
  guardUser?: string;
  /** The contracts the handlers ship (the guard-role resource stores the writing ones for the planner). */
  contractsDir?: string;
  /** A migrator: `handlers` are then the role provisioner's (the master secret), and `migrate` runs as the migrator. */
  migrator?: boolean;
  /** The master login's attributes. @default 'CREATEROLE CREATEDB' (as RDS's master has them) */
  masterAttributes?: string;
  /** More of the handlers' environment (e.g. a fleet), set before they are made: they read it once. */
  env?: Record<string, string>;
}

export async function guardRig(target: Target, mode: DriverMode, label: string, options: RigOptions = {}): Promise<GuardRig> {
  const url = await freshDatabase(target, label);
  const database = new URL(url).pathname.slice(1);
  const suffix = randomBytes(3).toString('hex');
  const master = { name: `sg_master_${suffix}`, password: `Master@:/%#?${randomBytes(8).toString('hex')}`, url: '' };
  const guard = { name: `sg_guard_${suffix}`, password: `G${randomBytes(12).toString('base64url')}!~`, url: '' };
  await withClient(target.adminUrl, async (c) => {
    await c.query(`CREATE ROLE ${master.name} LOGIN ${options.masterAttributes ?? 'CREATEROLE CREATEDB'} PASSWORD '${master.password.replace(/'/g, "''")}'`);
    await c.query(`ALTER DATABASE ${c.escapeIdentifier(database)} OWNER TO ${master.name}`);
  });
  const migrator = options.migrator ? { name: `sg_migrator_${suffix}`, password: `M${randomBytes(12).toString('base64url')}-_`, url: '' } : undefined;
  roles.push({ target, name: guard.name }, ...(migrator ? [{ target, name: migrator.name }] : []), { target, name: master.name });
  await withClient(url, (c) => c.query(`ALTER SCHEMA public OWNER TO ${master.name}`));
  master.url = loginUrl(target, master.name, master.password, database);
  guard.url = loginUrl(target, guard.name, guard.password, database);
  if (migrator) migrator.url = loginUrl(target, migrator.name, migrator.password, database);

  const secretReads: string[] = [];
  const secretValues: Record<string, object> = {
    [MASTER_SECRET_ARN]: { username: master.name, password: master.password, host: '127.0.0.1', port: target.port, dbname: database },
    [GUARD_SECRET_ARN]: { username: options.guardUser ?? guard.name, password: guard.password },
    // As secret.attach(database) leaves it: host, port and database beside the credentials.
    ...(migrator
      ? { [MIGRATOR_SECRET_ARN]: { username: migrator.name, password: migrator.password, host: '127.0.0.1', port: target.port, dbname: database } }
      : {}),
  };
  const secrets = {
    send: async (command: GetSecretValueCommand) => {
      const id = command.input.SecretId!;
      secretReads.push(id);
      if (!secretValues[id]) throw Object.assign(new Error(`Secrets Manager can't find the specified secret.`), { name: 'ResourceNotFoundException' });
      return { SecretString: JSON.stringify(secretValues[id]) };
    },
  };
  const standin = mode === 'data-api' ? new DataApiStandin(master.url) : undefined;
  // Through the Data API the stand-in connects as the secret's user: the migrations' runs as the migrator.
  const migrationsStandin = mode === 'data-api' && migrator ? new DataApiStandin(migrator.url) : standin;
  const env: Record<string, string> = {
    [ENV.secretArn]: MASTER_SECRET_ARN,
    [ENV.tls]: 'disable',
    [ENV.connectAttempts]: '2',
    [ENV.databaseName]: database,
    [ENV.snapshotFile]: '',
    [ENV.contractsDir]: options.contractsDir ?? '/nonexistent/contracts',
    ...(standin ? { [ENV.clusterArn]: TEST_CLUSTER_ARN } : {}),
    ...options.env,
  };
  const lines: string[] = [];
  const base = { StackId: 'arn:aws:cloudformation:eu-west-1:111111111111:stack/Guarded/x', ResourceProperties: {} };
  const rig: GuardRig = {
    target,
    url,
    database,
    master,
    guard,
    migrator,
    lines,
    secretReads,
    standin,
    env,
    handlers: asDeployed({ secrets, dataApi: standin, env, write: (l) => lines.push(l) }),
    async migrate(dir, requestType = 'Create', options = {}) {
      const asMigrator = migrator && !options.asMaster;
      const h = asDeployed({
        secrets,
        dataApi: asMigrator ? migrationsStandin : standin,
        env: { ...env, [ENV.migrationsDir]: dir, ...(asMigrator ? { [ENV.secretArn]: MIGRATOR_SECRET_ARN } : {}) },
        write: (l) => lines.push(l),
      });
      const s = summariseFiles(dir);
      const event: OnEventRequest = {
        ...base,
        RequestType: requestType,
        RequestId: `mig-${randomBytes(3).toString('hex')}`,
        LogicalResourceId: 'SchemaMigrations',
        ResourceType: 'Custom::SchemaMigrations',
        ResourceProperties: { [PROP.filesHash]: s.hash, [PROP.latestVersion]: String(s.latestVersion), [PROP.migrationCount]: String(s.migrationCount) },
        ...(requestType === 'Update' ? { PhysicalResourceId: 'schemaguard-migrations-SchemaMigrations' } : {}),
      };
      const r = await h.onEvent(event, context);
      for (let n = 0; n < 20; n++) if ((await h.isComplete({ ...event, PhysicalResourceId: r.PhysicalResourceId }, context)).IsComplete) return;
      throw new Error('the migrations did not complete');
    },
    roleEvent: (requestType, extra = {}) => ({
      ...base,
      RequestType: requestType,
      RequestId: `role-${randomBytes(3).toString('hex')}`,
      LogicalResourceId: 'SchemaGuardRole',
      ResourceType: GUARD_ROLE_RESOURCE_TYPE,
      ResourceProperties: {
        [GUARD_ROLE_PROP.roleName]: guard.name,
        [GUARD_ROLE_PROP.secretArn]: GUARD_SECRET_ARN,
        [GUARD_ROLE_PROP.filesHash]: 'x',
        [GUARD_ROLE_PROP.privilegesVersion]: GUARD_PRIVILEGES_VERSION,
        ...(migrator ? { [GUARD_ROLE_PROP.migratorRole]: migrator.name } : {}),
      },
      ...(requestType === 'Create' ? {} : { PhysicalResourceId: `schemaguard-guard-role-${guard.name}` }),
      ...extra,
    }),
    close: async () => {
      await standin?.close();
      if (migrationsStandin !== standin) await migrationsStandin?.close();
    },
    migratorEvent: (requestType, extra = {}) => ({
      ...base,
      RequestType: requestType,
      RequestId: `migrator-${randomBytes(3).toString('hex')}`,
      LogicalResourceId: 'SchemaMigratorRole',
      ResourceType: MIGRATOR_ROLE_RESOURCE_TYPE,
      ResourceProperties: {
        [MIGRATOR_ROLE_PROP.roleName]: migrator?.name ?? 'no_migrator',
        [MIGRATOR_ROLE_PROP.secretArn]: MIGRATOR_SECRET_ARN,
        [MIGRATOR_ROLE_PROP.schemas]: ['public'],
        [MIGRATOR_ROLE_PROP.privilegesVersion]: MIGRATOR_PRIVILEGES_VERSION,
      },
      ...(requestType === 'Create' ? {} : { PhysicalResourceId: `schemaguard-migrator-role-${migrator?.name ?? 'no_migrator'}` }),
      ...extra,
    }),
    secrets: () => [master.password, guard.password, encodeURIComponent(master.password), ...(migrator ? [migrator.password] : [])],
    secretsClient: secrets,
    putSecret: (arn, value) => {
      secretValues[arn] = value;
      if (!roles.some((r) => r.target === target && r.name === value.username)) roles.unshift({ target, name: value.username });
    },
    guardEnv: (files, extra = {}) => ({
      [ENV.secretArn]: GUARD_SECRET_ARN,
      [ENV.tls]: 'disable',
      [ENV.databaseName]: database,
      [ENV.migrationsDir]: files.migrationsDir,
      [ENV.contractsDir]: files.contractsDir,
      [ENV.snapshotFile]: files.snapshotFile,
      [ENV.connectAttempts]: '2',
      [ENV.guardNamespace]: 'Schemaguard/Schema',
      [ENV.guardDatabaseIdentifier]: 'schemaguard-test',
      ...(mode === 'data-api' ? { [ENV.clusterArn]: TEST_CLUSTER_ARN } : { [ENV.host]: '127.0.0.1', [ENV.port]: String(target.port) }),
      ...extra,
    }),
  };
  return rig;
}

function loginUrl(target: Target, user: string, password: string, database: string): string {
  const u = new URL(target.adminUrl);
  u.username = user;
  u.password = encodeURIComponent(password);
  u.pathname = `/${database}`;
  return u.toString();
}

/** Drop the rigs' roles; call after dropDatabases (a role cannot go while a database it owns or is granted on exists). */
export async function dropRigRoles(): Promise<void> {
  for (const { target, name } of roles.splice(0)) {
    await withClient(target.adminUrl, (c) => c.query(`DROP ROLE IF EXISTS ${c.escapeIdentifier(name)}`)).catch(() => undefined);
  }
}
