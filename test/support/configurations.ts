/**
 * Every way the constructs deploy the handler bundle, synthesised once each:
 * the ready-made stacks (RDS with a master secret, a migrator and the guard;
 * Aurora through the Data API, likewise), and SchemaMigrations on its own
 * with a secret and every optional setting (a baseline, operator writes),
 * through an RDS Proxy with IAM authentication, on an imported instance,
 * and on a cluster's Data API with a plain secret. The templates are what
 * CloudFormation would read; `functionsOf` gives each function of the
 * bundle with its configuration, `resolve` gives a template value as
 * CloudFormation would (references made into fixed test strings), so a test
 * can run the handler with exactly what a deploy gives it.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { App, Duration, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as rds from 'aws-cdk-lib/aws-rds';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { GUARD_HANDLER_NAME, IS_COMPLETE_HANDLER_NAME, ON_EVENT_HANDLER_NAME, OPERATOR_HANDLER_NAME } from '../../lambda/handler/constants';
import type { FunctionKind } from '../../lambda/handler/contract';
import { STACK_NAME } from '../../lib/app';
import { AuroraDatabaseStack } from '../../lib/aurora-database-stack';
import { DatabaseStack } from '../../lib/database-stack';
import { SchemaGuard } from '../../lib/schema-guard';
import { SchemaMigrations } from '../../lib/schema-migrations';
import { tempDir } from './files';

export type CfnValue = unknown;
export type Resources = Record<string, { Type: string; Properties?: Record<string, CfnValue> }>;

export interface Configuration {
  name: string;
  stackName: string;
  resources: Resources;
}

/** A function of the handler bundle in a template: its kind, and its environment as written there. */
export interface BundleFunction {
  logicalId: string;
  kind: FunctionKind;
  handler: string;
  environment: Record<string, CfnValue>;
}

const MIGRATIONS = { '1_a.sql': 'CREATE TABLE a (id int);\n', '2_b.sql': 'CREATE TABLE b (id int);\n' };

/** An app that copies no asset: the templates are what is read (test/lib/handler-asset.test.ts bundles the handler). */
function app(): App {
  return new App({ context: { 'aws:cdk:bundling-stacks': [] } });
}

/** The configurations' builders, by name. */
const BUILDERS: Record<string, (migrationsDir: string) => Stack> = {
  'rds stack (masterSecret, guard)': (migrationsDir) => new DatabaseStack(app(), STACK_NAME, { stage: 'dev', migrationsDir }),
  'aurora stack (Data API, masterSecret, guard)': (migrationsDir) => new AuroraDatabaseStack(app(), STACK_NAME, { stage: 'dev', migrationsDir }),
  'instance, secret, every setting': withSecret,
  'proxy, iamAuthentication': throughProxy,
  'imported instance, secret': imported,
  'cluster Data API, secret, guard': dataApi,
  'schema fleet, secret, guard': schemaFleet,
};
export type ConfigurationName = keyof typeof BUILDERS;

/** The migrations every configuration ships. */
export const CONFIGURATION_MIGRATIONS = MIGRATIONS;

/**
 * The configurations named (all by default), synthesised once per test run:
 * the tests only read the templates, so the first file to ask synthesises a
 * configuration and keeps it in the run's temporary directory, and the
 * others read it from there (a synthesis is seconds of CPU; the contract
 * tests ask for the same ones).
 */
export function synthConfigurations(names: string[] = Object.keys(BUILDERS)): Configuration[] {
  let migrationsDir: string | undefined;
  return names.map((name) => {
    const build = BUILDERS[name];
    if (!build) throw new Error(`no configuration named ${name}`);
    const kept = join(tmpdir(), 'synthesised-configurations', `${name.replace(/[^a-z0-9]+/gi, '-')}.json`);
    if (existsSync(kept)) return JSON.parse(readFileSync(kept, 'utf8')) as Configuration;
    migrationsDir ??= tempDir(MIGRATIONS);
    const stack = build(migrationsDir);
    const configuration = { name, stackName: stack.stackName, resources: Template.fromStack(stack).toJSON().Resources as Resources };
    keep(kept, configuration);
    return configuration;
  });
}

/** Write `configuration` to `path` whole or not at all: another worker may be reading it. */
function keep(path: string, configuration: Configuration): void {
  mkdirSync(dirname(path), { recursive: true });
  const partial = `${path}.${process.pid}`;
  writeFileSync(partial, JSON.stringify(configuration));
  renameSync(partial, path);
}

function base(name: string): { stack: Stack; vpc: ec2.Vpc } {
  const stack = new Stack(app(), name, { env: { account: '111111111111', region: 'eu-west-1' } });
  const vpc = new ec2.Vpc(stack, 'Vpc', { natGateways: 0, subnetConfiguration: [{ name: 'db', subnetType: ec2.SubnetType.PRIVATE_ISOLATED }] });
  return { stack, vpc };
}

const engine = rds.DatabaseInstanceEngine.postgres({ version: rds.PostgresEngineVersion.VER_17 });

function withSecret(migrationsDir: string): Stack {
  const { stack, vpc } = base('WithSecret');
  const instance = new rds.DatabaseInstance(stack, 'Db', { engine, vpc, vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_ISOLATED } });
  new SchemaMigrations(stack, 'Migrations', {
    database: instance,
    secret: instance.secret!,
    vpc,
    migrationsDir,
    contractsDir: tempDir({}, 'contracts'),
    parseAtSynth: false,
    databaseName: 'orders',
    stateSchema: 'orders_schemaguard',
    lockTimeout: Duration.seconds(3),
    standbys: { wait: Duration.seconds(30), strict: true },
    failOnDrift: true,
    replicationPlanned: 'switched over',
    backfill: { batchTime: '150ms', lockWaiters: 5 },
    databaseLogGroupName: '/aws/rds/instance/db/postgresql',
    baseline: { version: 1, reason: 'adopted: built by hand up to 0001' },
    operatorCommands: { writes: true },
  });
  return stack;
}

function throughProxy(migrationsDir: string): Stack {
  const { stack, vpc } = base('ThroughProxy');
  const instance = new rds.DatabaseInstance(stack, 'Db', { engine, vpc, vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_ISOLATED }, iamAuthentication: true });
  const proxy = instance.addProxy('Proxy', { secrets: [instance.secret!], vpc, iamAuth: true });
  const migrations = new SchemaMigrations(stack, 'Migrations', {
    database: proxy,
    vpc,
    migrationsDir,
    contractsDir: tempDir({}, 'contracts'),
    parseAtSynth: false,
    iamAuthentication: { username: 'migrator' },
  });
  new SchemaGuard(stack, 'Guard', { migrations, databaseName: 'postgres', databaseIdentifier: 'db', iamAuthentication: { username: 'guard' } });
  return stack;
}

/** A fleet of tenant schemas: the rollout's state machine, and a guard that checks every tenant. */
function schemaFleet(migrationsDir: string): Stack {
  const { stack, vpc } = base('SchemaFleet');
  const instance = new rds.DatabaseInstance(stack, 'Db', { engine, vpc, vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_ISOLATED } });
  const migrations = new SchemaMigrations(stack, 'Migrations', {
    database: instance,
    secret: instance.secret!,
    vpc,
    migrationsDir,
    contractsDir: tempDir({}, 'contracts'),
    parseAtSynth: false,
    fleet: { schemas: 'tenant\\_%' },
  });
  new SchemaGuard(stack, 'Guard', { migrations, databaseName: 'postgres', databaseIdentifier: 'db', roleSecret: instance.secret! });
  return stack;
}

function imported(migrationsDir: string): Stack {
  const { stack, vpc } = base('Imported');
  const secret = secretsmanager.Secret.fromSecretCompleteArn(stack, 'Secret', 'arn:aws:secretsmanager:eu-west-1:111111111111:secret:legacy-AbCdEf');
  const database = rds.DatabaseInstance.fromDatabaseInstanceAttributes(stack, 'Db', {
    instanceIdentifier: 'legacy',
    instanceEndpointAddress: 'legacy.example.internal',
    port: 5432,
    securityGroups: [new ec2.SecurityGroup(stack, 'DbSg', { vpc })],
  });
  new SchemaMigrations(stack, 'Migrations', { database, secret, vpc, migrationsDir, contractsDir: tempDir({}, 'contracts'), parseAtSynth: false });
  return stack;
}

function dataApi(migrationsDir: string): Stack {
  const { stack, vpc } = base('DataApi');
  const cluster = new rds.DatabaseCluster(stack, 'Cluster', {
    engine: rds.DatabaseClusterEngine.auroraPostgres({ version: rds.AuroraPostgresEngineVersion.VER_16_4 }),
    writer: rds.ClusterInstance.serverlessV2('writer'),
    vpc,
    vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_ISOLATED },
    enableDataApi: true,
  });
  const migrations = new SchemaMigrations(stack, 'Migrations', {
    dataApiCluster: cluster,
    secret: cluster.secret!,
    migrationsDir,
    contractsDir: tempDir({}, 'contracts'),
    parseAtSynth: false,
    databaseName: 'app',
  });
  new SchemaGuard(stack, 'Guard', { migrations });
  return stack;
}

const BUNDLE_ENTRIES = [ON_EVENT_HANDLER_NAME, IS_COMPLETE_HANDLER_NAME, OPERATOR_HANDLER_NAME, GUARD_HANDLER_NAME].map((e) => `index.${e}`);

/** The functions of the handler bundle (their handler is `index.<entry>`), each with its kind. */
export function functionsOf(c: Configuration): BundleFunction[] {
  return Object.entries(c.resources)
    .filter(([, r]) => r.Type === 'AWS::Lambda::Function' && BUNDLE_ENTRIES.includes(String(r.Properties?.Handler)))
    .map(([logicalId, r]) => {
      const handler = String(r.Properties?.Handler).slice('index.'.length);
      const kind: FunctionKind =
        handler === 'guard' ? 'guard' : handler === 'operator' ? 'operator' : logicalId.includes('RolesFunction') ? 'provisioner' : 'migrations';
      const environment = ((r.Properties?.Environment as { Variables?: Record<string, CfnValue> } | undefined)?.Variables ?? {}) as Record<string, CfnValue>;
      return { logicalId, kind, handler, environment };
    });
}

/**
 * A template value as CloudFormation gives it at deploy time, with every
 * reference made a fixed string: `Ref` of a resource is `ref:<id>`, a
 * pseudo parameter its test value, `Fn::GetAtt` is `<id>.<attribute>` (a port 5432),
 * `Fn::Join` joins. `refs` overrides a reference's value (the secret ARN the
 * test's Secrets Manager serves).
 */
export function resolve(value: CfnValue, stackName: string, refs: Record<string, string> = {}): CfnValue {
  const r = (v: CfnValue): CfnValue => resolve(v, stackName, refs);
  if (Array.isArray(value)) return value.map(r);
  if (typeof value !== 'object' || value === null) return value;
  const o = value as Record<string, CfnValue>;
  if ('Ref' in o) return refs[String(o.Ref)] ?? pseudo(String(o.Ref), stackName) ?? `ref:${String(o.Ref)}`;
  if ('Fn::GetAtt' in o) {
    const [id, attribute] = o['Fn::GetAtt'] as [string, string];
    return refs[`${id}.${attribute}`] ?? (attribute.endsWith('Port') ? '5432' : `${id}.${attribute}`);
  }
  if ('Fn::Join' in o) {
    const [sep, parts] = o['Fn::Join'] as [string, CfnValue[]];
    return parts.map((p) => String(r(p))).join(sep);
  }
  return Object.fromEntries(Object.entries(o).map(([k, v]) => [k, r(v)]));
}

function pseudo(name: string, stackName: string): string | undefined {
  const values: Record<string, string> = {
    'AWS::StackName': stackName,
    'AWS::StackId': stackIdOf(stackName),
    'AWS::Region': 'eu-west-1',
    'AWS::AccountId': '111111111111',
    'AWS::Partition': 'aws',
    'AWS::URLSuffix': 'amazonaws.com',
  };
  return values[name];
}

/** The StackId CloudFormation gives a stack of this name. */
export function stackIdOf(stackName: string): string {
  return `arn:aws:cloudformation:eu-west-1:111111111111:stack/${stackName}/0c1d2e3f-0000-4000-8000-000000000001`;
}
