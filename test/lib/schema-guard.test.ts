/**
 * SchemaGuard on its own, beside a SchemaMigrations of the user's: with an RDS
 * instance (a connection from the VPC), with an Aurora cluster (the Data
 * API), and with a role the user made (roleSecret). Template assertions on
 * every resource it adds, the one statement it adds to the migration
 * handler's role, cdk-nag, and props validation. One stack per variant,
 * synthesised once for the file.
 */
import { App, CfnParameter, Duration, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as rds from 'aws-cdk-lib/aws-rds';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as sns from 'aws-cdk-lib/aws-sns';
import { AwsSolutionsChecks } from 'cdk-nag';
import { beforeAll, describe, expect, it } from 'vitest';
import { ENV, GUARD_HANDLER_NAME, GUARD_PRIVILEGES_VERSION, GUARD_ROLE_NAME_PATTERN } from '../../lambda/handler/constants';
import { DatabaseAlarms } from '../../lib/alarms/database-alarms';
import { GUARD_ALARMS } from '../../lib/alarms/guard-catalog';
import { heapOptions } from '../../lambda/handler/memory';
import { defaultGuardRoleName } from '../../lib/guard-role';
import { SchemaGuard, type SchemaGuardProps } from '../../lib/schema-guard';
import { SchemaMigrations } from '../../lib/schema-migrations';
import { dashboardWidgets, layout } from '../support/dashboard';
import { tempDir } from '../support/files';
import { longestAlarmDescriptions } from '../support/longest-description';

const migrationsDir = tempDir({ '1_a.sql': 'CREATE TABLE a (id int);\n' });
const contractsDir = tempDir({ 'a.sql': 'SELECT id FROM a;\n' }, 'contracts');

interface Variant {
  stack: Stack;
  t: Template;
  guard: SchemaGuard;
  migrations: SchemaMigrations;
  topic: sns.Topic;
  tickets: sns.Topic;
  dashboard: cloudwatch.Dashboard;
}

function instanceVariant(extra: Partial<SchemaGuardProps> = {}): Variant & { instance: rds.DatabaseInstance } {
  const stack = new Stack(new App(), 'Orders');
  const vpc = new ec2.Vpc(stack, 'Vpc', { natGateways: 0, subnetConfiguration: [{ name: 'db', subnetType: ec2.SubnetType.PRIVATE_ISOLATED }] });
  const endpoint = vpc.addInterfaceEndpoint('SecretsManager', { service: ec2.InterfaceVpcEndpointAwsService.SECRETS_MANAGER });
  const instance = new rds.DatabaseInstance(stack, 'Db', {
    engine: rds.DatabaseInstanceEngine.postgres({ version: rds.PostgresEngineVersion.VER_18_3 }),
    instanceIdentifier: 'orders-db',
    vpc,
    vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_ISOLATED },
    credentials: rds.Credentials.fromGeneratedSecret('postgres'),
  });
  const migrations = new SchemaMigrations(stack, 'Migrations', {
    database: instance,
    secret: instance.secret!,
    vpc,
    secretsManagerEndpoint: endpoint,
    databaseName: 'orders',
    migrationsDir,
    contractsDir,
  });
  const topic = new sns.Topic(stack, 'OnCall');
  const tickets = new sns.Topic(stack, 'Tickets');
  const dashboard = new cloudwatch.Dashboard(stack, 'Dashboard');
  const guard = new SchemaGuard(stack, 'Guard', { migrations, topic, ticketTopic: tickets, dashboard, alarmNamePrefix: 'orders', ...extra });
  return { stack, t: Template.fromStack(stack), guard, migrations, topic, tickets, dashboard, instance };
}

/** An Aurora cluster and its migrations through the Data API, in a stack of its own. */
function ledgerMigrations(stackName: string): { stack: Stack; migrations: SchemaMigrations; cluster: rds.DatabaseCluster } {
  const stack = new Stack(new App(), stackName);
  const vpc = new ec2.Vpc(stack, 'Vpc', { natGateways: 0, subnetConfiguration: [{ name: 'db', subnetType: ec2.SubnetType.PRIVATE_ISOLATED }] });
  const cluster = new rds.DatabaseCluster(stack, 'Cluster', {
    engine: rds.DatabaseClusterEngine.auroraPostgres({ version: rds.AuroraPostgresEngineVersion.VER_17_6 }),
    clusterIdentifier: 'ledger',
    writer: rds.ClusterInstance.serverlessV2('writer'),
    vpc,
    vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_ISOLATED },
    credentials: rds.Credentials.fromGeneratedSecret('postgres'),
    enableDataApi: true,
  });
  return {
    stack,
    cluster,
    migrations: new SchemaMigrations(stack, 'Migrations', { dataApiCluster: cluster, secret: cluster.secret!, databaseName: 'ledger', migrationsDir }),
  };
}

function clusterVariant(extra: Partial<SchemaGuardProps> = {}): Variant & { cluster: rds.DatabaseCluster } {
  const { stack, migrations, cluster } = ledgerMigrations('Ledger');
  const topic = new sns.Topic(stack, 'OnCall');
  const tickets = topic;
  const dashboard = new cloudwatch.Dashboard(stack, 'Dashboard');
  const guard = new SchemaGuard(stack, 'Guard', { migrations, topic, dashboard, schedule: Duration.hours(1), ...extra });
  return { stack, t: Template.fromStack(stack), guard, migrations, topic, tickets, dashboard, cluster };
}

const id = (s: Stack, c: { node: { defaultChild?: unknown } }) => s.getLogicalId(c.node.defaultChild as never);
type Statement = { Sid?: string; Action: string | string[]; Resource: unknown };
const statementsOf = (v: Variant, roleId: string): Statement[] =>
  Object.values(v.t.findResources('AWS::IAM::Policy', { Properties: { Roles: [{ Ref: roleId }] } })).flatMap(
    (p) => p.Properties.PolicyDocument.Statement as Statement[],
  );

let onInstance: ReturnType<typeof instanceVariant>;
let onCluster: ReturnType<typeof clusterVariant>;

beforeAll(() => {
  onInstance = instanceVariant();
  onCluster = clusterVariant();
});

describe('Class: SchemaGuard', () => {
  describe('the function', () => {
    it("is the handler bundle's guard export, with the migrations' own asset (same files), Node.js 22 on arm64, 1 minute, no retries", () => {
      const { t, guard, migrations, stack } = onInstance;
      const fn = t.findResources('AWS::Lambda::Function')[id(stack, guard.function)]!;
      const migrationFn = t.findResources('AWS::Lambda::Function')[id(stack, migrations.onEventHandler)]!;
      expect(fn.Properties).toMatchObject({
        Handler: `index.${GUARD_HANDLER_NAME}`,
        Runtime: 'nodejs22.x',
        Architectures: ['arm64'],
        Timeout: 60,
        MemorySize: 256,
      });
      expect(fn.Properties.Code).toEqual(migrationFn.Properties.Code);
      t.hasResourceProperties('AWS::Lambda::EventInvokeConfig', { FunctionName: { Ref: id(stack, guard.function) }, MaximumRetryAttempts: 0 });
      // That the built bundle exports `guard` is checked where the bundle is loaded: schema-migrations.test.ts.
    });

    // Regression (tester): the guard peaked at 185 MB of its default 256 MB on a 3,000-table catalog, V8 sizing its heap by the machine.
    it("runs with V8 heap limits from its memorySize (NODE_OPTIONS), as the migrations' handler does", () => {
      const { t, guard, stack } = onInstance;
      const env = t.findResources('AWS::Lambda::Function')[id(stack, guard.function)]!.Properties.Environment.Variables as Record<string, unknown>;
      expect(env.NODE_OPTIONS).toBe('--max-old-space-size=153 --max-semi-space-size=4');
      const big = instanceVariant({ memorySize: 1024 });
      const bigFn = big.t.findResources('AWS::Lambda::Function')[id(big.stack, big.guard.function)]!.Properties;
      expect(bigFn.MemorySize).toBe(1024);
      expect(bigFn.Environment.Variables.NODE_OPTIONS).toBe(heapOptions(1024));
      expect(heapOptions(1024)).toBe('--max-old-space-size=614 --max-semi-space-size=4');
    });

    it("over a connection: in the VPC, the secret of the guard role (never the master's), the instance endpoint, the metrics' namespace and dimensions", () => {
      const { t, guard, stack, instance, migrations } = onInstance;
      const envOf = (fn: Parameters<typeof id>[1]) =>
        t.findResources('AWS::Lambda::Function')[id(stack, fn)]!.Properties.Environment.Variables as Record<string, unknown>;
      const env = envOf(guard.function);
      expect(env).toEqual({
        [ENV.secretArn]: { Ref: id(stack, guard.role!.secret as never) },
        [ENV.databaseName]: 'orders',
        [ENV.migrationsDir]: 'migrations',
        // The layout the migrations' handler reads them with (their folder: flat).
        [ENV.migrationsLayout]: 'flat',
        [ENV.contractsDir]: 'contracts',
        // The snapshot the migrations ship (found in the working directory, as theirs).
        [ENV.snapshotFile]: envOf(migrations.onEventHandler)[ENV.snapshotFile],
        [ENV.connectAttempts]: '2',
        [ENV.guardNamespace]: 'Schemaguard/Schema',
        [ENV.guardDatabaseIdentifier]: { Ref: id(stack, instance) },
        [ENV.host]: { 'Fn::GetAtt': [id(stack, instance), 'Endpoint.Address'] },
        [ENV.port]: { 'Fn::GetAtt': [id(stack, instance), 'Endpoint.Port'] },
        NODE_OPTIONS: '--max-old-space-size=153 --max-semi-space-size=4',
      });
      t.hasResourceProperties('AWS::Lambda::Function', {
        Handler: 'index.guard',
        VpcConfig: { SecurityGroupIds: [{ 'Fn::GetAtt': [id(stack, guard.securityGroup!), 'GroupId'] }] },
      });
    });

    it('reaches the database port and Secrets Manager only, and the database admits it', () => {
      const { t, guard, stack } = onInstance;
      const sg = { 'Fn::GetAtt': [id(stack, guard.securityGroup!), 'GroupId'] };
      t.hasResourceProperties('AWS::EC2::SecurityGroup', {
        GroupDescription: 'schemaguard guard: reaches the database port and Secrets Manager only',
        SecurityGroupEgress: Match.absent(),
      });
      t.resourcePropertiesCountIs('AWS::EC2::SecurityGroupEgress', { GroupId: sg }, 2);
      t.hasResourceProperties('AWS::EC2::SecurityGroupEgress', {
        GroupId: sg,
        FromPort: 443,
        ToPort: 443,
        Description: 'schemaguard guard to Secrets Manager',
      });
      t.hasResourceProperties('AWS::EC2::SecurityGroupIngress', { SourceSecurityGroupId: sg, Description: 'schemaguard guard to the database' });
    });

    it('its role: its own logs, the VPC network interfaces, and GetSecretValue on the guard secret only', () => {
      const { guard, stack } = onInstance;
      const statements = statementsOf(onInstance, stack.getLogicalId(guard.node.findChild('FunctionRole').node.defaultChild as never));
      expect(statements.map((s) => s.Sid).sort()).toEqual(['OwnLogs', 'ReadTheGuardRoleSecret', 'VpcNetworkInterfaces']);
      expect(statements.find((s) => s.Sid === 'ReadTheGuardRoleSecret')).toMatchObject({
        Action: 'secretsmanager:GetSecretValue',
        Resource: { Ref: id(stack, guard.role!.secret as never) },
      });
    });

    it('through the Data API: outside the VPC, the four Data API actions on the cluster, the cluster ARN, no host', () => {
      const { t, guard, stack, cluster } = onCluster;
      const fn = t.findResources('AWS::Lambda::Function')[id(stack, guard.function)]!;
      expect(fn.Properties.VpcConfig).toBeUndefined();
      expect(guard.securityGroup).toBeUndefined();
      const env = fn.Properties.Environment.Variables as Record<string, unknown>;
      expect(JSON.stringify(env[ENV.clusterArn])).toContain(id(stack, cluster));
      expect(env[ENV.host]).toBeUndefined();
      expect(env[ENV.guardDatabaseIdentifier]).toEqual({ Ref: id(stack, cluster) });
      const statements = statementsOf(onCluster, stack.getLogicalId(guard.node.findChild('FunctionRole').node.defaultChild as never));
      expect(statements.map((s) => s.Sid).sort()).toEqual(['DataApiOnTheCluster', 'OwnLogs', 'ReadTheGuardRoleSecret']);
      expect([statements.find((s) => s.Sid === 'DataApiOnTheCluster')!.Action].flat().sort()).toEqual([
        'rds-data:BeginTransaction',
        'rds-data:CommitTransaction',
        'rds-data:ExecuteStatement',
        'rds-data:RollbackTransaction',
      ]);
    });
  });

  describe('the schedule', () => {
    it('runs every 15 minutes by default, delivery retried twice but never older than one interval', () => {
      const { t, guard, stack } = onInstance;
      t.hasResourceProperties('AWS::Events::Rule', {
        ScheduleExpression: 'rate(15 minutes)',
        State: 'ENABLED',
        Targets: [
          Match.objectLike({
            Arn: { 'Fn::GetAtt': [id(stack, guard.function), 'Arn'] },
            RetryPolicy: { MaximumRetryAttempts: 2, MaximumEventAgeInSeconds: 900 },
          }),
        ],
      });
      t.hasResourceProperties('AWS::Lambda::Permission', {
        Action: 'lambda:InvokeFunction',
        Principal: 'events.amazonaws.com',
        FunctionName: { 'Fn::GetAtt': [id(stack, guard.function), 'Arn'] },
      });
    });

    it('takes the schedule given', () => {
      onCluster.t.hasResourceProperties('AWS::Events::Rule', {
        ScheduleExpression: 'rate(1 hour)',
        Targets: [Match.objectLike({ RetryPolicy: { MaximumRetryAttempts: 2, MaximumEventAgeInSeconds: 3600 } })],
      });
    });
  });

  describe('the role', () => {
    it('a generated secret for schemaguard_guard_<database>: printable ASCII without the characters RDS refuses, nothing in the template', () => {
      const { t, guard, stack } = onInstance;
      t.hasResourceProperties('AWS::SecretsManager::Secret', {
        GenerateSecretString: {
          SecretStringTemplate: '{"username":"schemaguard_guard_orders"}',
          GenerateStringKey: 'password',
          PasswordLength: 30,
          ExcludeCharacters: ' %+~`#$&*()|[]{}:;<>?!\'/@"\\',
        },
      });
      expect(guard.role!.roleName).toBe('schemaguard_guard_orders');
      expect(JSON.stringify(t.toJSON())).not.toMatch(/"password"\s*:\s*"/);
      expect(id(stack, guard.role!.secret as never)).toBe('GuardRoleSecretD7B0F37B');
    });

    it("created by the migrations' provider after the migrations, from properties that hold no secret", () => {
      const { t, guard, stack, migrations } = onInstance;
      const resource = t.findResources('Custom::SchemaguardGuardRole')[stack.getLogicalId(guard.role!.resource.node.defaultChild as never)]!;
      expect(resource.Properties).toEqual({
        ServiceToken: { 'Fn::GetAtt': [stack.getLogicalId(migrations.provider.node.findChild('framework-onEvent').node.defaultChild as never), 'Arn'] },
        RoleName: 'schemaguard_guard_orders',
        SecretArn: { Ref: id(stack, guard.role!.secret as never) },
        FilesHash: migrations.files.hash,
        PrivilegesVersion: GUARD_PRIVILEGES_VERSION,
        // The database's identity and name: a replaced database gets the role in the deploy that replaces it.
        DatabaseIdentity: stack.resolve(migrations.databaseIdentity),
        DatabaseName: 'orders',
      });
      expect(stack.resolve(migrations.databaseIdentity)).toEqual({ 'Fn::GetAtt': [expect.stringMatching(/^Db/), 'DbiResourceId'] });
      expect(resource.DependsOn).toEqual(expect.arrayContaining([id(stack, migrations.resource)]));
      // The function (and so the schedule) comes after the role.
      expect(t.findResources('AWS::Lambda::Function')[id(stack, guard.function)]!.DependsOn).toEqual(
        expect.arrayContaining([stack.getLogicalId(guard.role!.resource.node.defaultChild as never)]),
      );
    });

    it("regression: two guarded databases on one instance get a role each (one role, two secrets: the last deploy reset the other's password)", () => {
      const stack = new Stack(new App(), 'Shared');
      const vpc = new ec2.Vpc(stack, 'Vpc', { natGateways: 0, subnetConfiguration: [{ name: 'db', subnetType: ec2.SubnetType.PRIVATE_ISOLATED }] });
      const instance = new rds.DatabaseInstance(stack, 'Db', {
        engine: rds.DatabaseInstanceEngine.postgres({ version: rds.PostgresEngineVersion.VER_18_3 }),
        instanceIdentifier: 'shared-db',
        vpc,
        vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_ISOLATED },
      });
      const guards = ['widgets', 'orders'].map((databaseName) => {
        const migrations = new SchemaMigrations(stack, `${databaseName}Migrations`, {
          database: instance,
          secret: instance.secret!,
          vpc,
          databaseName,
          migrationsDir,
        });
        return new SchemaGuard(stack, `${databaseName}Guard`, { migrations });
      });
      const t = Template.fromStack(stack);

      expect(guards.map((g) => g.role!.roleName)).toEqual(['schemaguard_guard_widgets', 'schemaguard_guard_orders']);
      const usernames = Object.values(t.findResources('AWS::SecretsManager::Secret'))
        .map((s) => s.Properties.GenerateSecretString.SecretStringTemplate)
        .filter((u) => u.includes('schemaguard_guard'))
        .sort();
      expect(usernames).toEqual(['{"username":"schemaguard_guard_orders"}', '{"username":"schemaguard_guard_widgets"}']);
      const roleNames = Object.values(t.findResources('Custom::SchemaguardGuardRole'))
        .map((r) => r.Properties.RoleName)
        .sort();
      expect(roleNames).toEqual(['schemaguard_guard_orders', 'schemaguard_guard_widgets']);
    });

    it('refuses two guards that would create one role on one instance, naming both and roleName; the same name on another instance is fine', () => {
      const app = new App();
      const onInstance = (stackId: string, identifier: string) => {
        const stack = new Stack(app, stackId);
        const vpc = new ec2.Vpc(stack, 'Vpc', { natGateways: 0, subnetConfiguration: [{ name: 'db', subnetType: ec2.SubnetType.PRIVATE_ISOLATED }] });
        const instance = new rds.DatabaseInstance(stack, 'Db', {
          engine: rds.DatabaseInstanceEngine.postgres({ version: rds.PostgresEngineVersion.VER_18_3 }),
          instanceIdentifier: identifier,
          vpc,
          vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_ISOLATED },
        });
        return (id: string, databaseName: string, extra: Partial<SchemaGuardProps> = {}) =>
          new SchemaGuard(stack, `${id}Guard`, {
            migrations: new SchemaMigrations(stack, `${id}Migrations`, {
              database: instance,
              secret: instance.secret!,
              vpc,
              databaseName,
              migrationsDir,
              stateSchema: `${id.toLowerCase()}_schemaguard`,
            }),
            ...extra,
          });
      };
      const shared = onInstance('Shared', 'shared-db');
      shared('Widgets', 'widgets', { roleName: 'reader' });
      expect(() => shared('Orders', 'orders', { roleName: 'reader' })).toThrow(
        'SchemaGuard: Shared/OrdersGuard and Shared/WidgetsGuard would both create the role "reader" on Shared/Db, each with a secret of its own; PostgreSQL roles belong to the whole instance, so each deploy would set the other\'s password and that guard would fail (28P01) on every run. Give one of them another "roleName", or leave roleName unset on both: the default, schemaguard_guard_<databaseName>, is one role per database',
      );
      expect(() => shared('Twice', 'widgets')).not.toThrow();
      expect(() => shared('Again', 'widgets')).toThrow(
        /Shared\/AgainGuard and Shared\/TwiceGuard would both create the role "schemaguard_guard_widgets" on Shared\/Db/,
      );
      expect(() => onInstance('Other', 'other-db')('Widgets', 'widgets', { roleName: 'reader' })).not.toThrow();
    });

    it('the default role name is a plain identifier of at most 63 bytes, one per database name, whatever that name is', () => {
      expect(defaultGuardRoleName('orders')).toBe('schemaguard_guard_orders');
      const odd = ['orders', 'Orders', 'orders-eu', 'orders_eu', 'Ödül', 'x'.repeat(63), `${'x'.repeat(44)}1`, `${'x'.repeat(44)}2`];
      const names = odd.map(defaultGuardRoleName);
      for (const n of names) {
        expect(n).toMatch(GUARD_ROLE_NAME_PATTERN);
        expect(Buffer.byteLength(n)).toBeLessThanOrEqual(63);
        expect(n.startsWith('schemaguard_guard_')).toBe(true);
      }
      expect(new Set(names).size).toBe(odd.length);
      expect(defaultGuardRoleName('orders-eu')).toMatch(/^schemaguard_guard_orders_eu_[0-9a-f]{8}$/);
    });

    it('roleRevision: a Revision property, so raising it makes the next deploy set the role again (nothing else changed, CloudFormation would send nothing)', () => {
      const { t } = instanceVariant({ roleRevision: 3 });
      t.hasResourceProperties('Custom::SchemaguardGuardRole', { RoleName: 'schemaguard_guard_orders', Revision: '3' });
      onInstance.t.hasResourceProperties('Custom::SchemaguardGuardRole', { Revision: Match.absent() });
    });

    it('the guard-health runbook says what resets a refused password: raising the revision, not a plain redeploy', () => {
      const health = Object.values(onInstance.t.findResources('AWS::CloudWatch::Alarm')).find((a) => a.Properties.AlarmName === 'orders-ticket-guard-health')!;
      const description = JSON.stringify(health.Properties.AlarmDescription);
      expect(description).toContain(
        "28P01: the role's password is not its secret's, and redeploying alone resets nothing: raise roleRevision (stacks: guardRoleRevision; app: -c schemaguard:guardRoleRevision=<n+1>), deploy.",
      );
      expect(description).not.toContain('deploy again');
    });

    it("the migration handler may read that one secret (it sets the role's password), nothing more", () => {
      const { guard, stack, migrations } = onInstance;
      const statements = statementsOf(onInstance, stack.getLogicalId(migrations.node.findChild('HandlerRole').node.defaultChild as never));
      expect(statements.map((s) => s.Sid).sort()).toEqual([
        'OwnLogs',
        'OwnStackStatus',
        'ReadTheDatabaseSecret',
        'ReadTheGuardRoleSecret',
        'VpcNetworkInterfaces',
      ]);
      expect(statements.find((s) => s.Sid === 'ReadTheGuardRoleSecret')).toMatchObject({
        Action: 'secretsmanager:GetSecretValue',
        Resource: { Ref: id(stack, guard.role!.secret as never) },
      });
    });

    it('a role the user made (roleSecret): no secret, no role resource, the migration handler gets nothing', () => {
      const stack = new Stack(new App(), 'Own');
      const vpc = new ec2.Vpc(stack, 'Vpc', { natGateways: 0, subnetConfiguration: [{ name: 'db', subnetType: ec2.SubnetType.PRIVATE_ISOLATED }] });
      const instance = new rds.DatabaseInstance(stack, 'Db', {
        engine: rds.DatabaseInstanceEngine.postgres({ version: rds.PostgresEngineVersion.VER_18_3 }),
        vpc,
        vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_ISOLATED },
      });
      const migrations = new SchemaMigrations(stack, 'Migrations', { database: instance, secret: instance.secret!, vpc, databaseName: 'app', migrationsDir });
      const roleSecret = secretsmanager.Secret.fromSecretCompleteArn(stack, 'Reader', 'arn:aws:secretsmanager:eu-west-1:111111111111:secret:app-reader-AbCdEf');
      const guard = new SchemaGuard(stack, 'Guard', { migrations, roleSecret });
      const t = Template.fromStack(stack);

      expect(guard.role).toBeUndefined();
      t.resourceCountIs('Custom::SchemaguardGuardRole', 0);
      t.resourceCountIs('AWS::SecretsManager::Secret', 1);
      t.hasResourceProperties('AWS::Lambda::Function', {
        Handler: 'index.guard',
        Environment: { Variables: Match.objectLike({ [ENV.secretArn]: roleSecret.secretArn }) },
      });
      expect(JSON.stringify(t.findResources('AWS::IAM::Policy'))).toContain(roleSecret.secretArn);
      t.resourceCountIs('AWS::CloudWatch::Alarm', 0);
    });
  });

  describe('alarms', () => {
    it("one per metric, on its Maximum per interval with the database's dimensions, named <prefix>-<severity>-<id>", () => {
      const { t, stack, instance } = onInstance;
      t.resourceCountIs('AWS::CloudWatch::Alarm', GUARD_ALARMS.length);
      for (const spec of GUARD_ALARMS) {
        t.hasResourceProperties('AWS::CloudWatch::Alarm', {
          AlarmName: `orders-${spec.severity}-${spec.id}`,
          Namespace: 'Schemaguard/Schema',
          MetricName: spec.metricName,
          Statistic: 'Maximum',
          Period: 900,
          Dimensions: [
            { Name: 'DatabaseIdentifier', Value: { Ref: id(stack, instance) } },
            { Name: 'DatabaseName', Value: 'orders' },
          ],
          Threshold: 1,
          ComparisonOperator: 'GreaterThanOrEqualToThreshold',
          EvaluationPeriods: spec.runs,
          DatapointsToAlarm: spec.runs,
          TreatMissingData: spec.missingData === 'breaching' ? 'breaching' : 'ignore',
        });
      }
    });

    it('pages on drift of checked objects and contract failures at once; tickets on the rest after two runs; only the health alarm counts silence as failure', () => {
      const bySeverity = Object.fromEntries(GUARD_ALARMS.map((a) => [a.id, `${a.severity}/${a.runs}/${a.missingData}`]));
      expect(bySeverity).toEqual({
        'schema-drift': 'page/1/ignore',
        'contract-failures': 'page/1/ignore',
        'minor-drift': 'ticket/2/ignore',
        'doctor-errors': 'ticket/2/ignore',
        'invalid-indexes': 'ticket/2/ignore',
        'pending-migrations': 'ticket/2/ignore',
        'guard-health': 'ticket/2/breaching',
      });
    });

    it("regression: the runbooks' first command carries the migrations' state schema (without --state-schema, a database migrated with another one read every migration as pending), and no --dir for a directory outside the app's", () => {
      const stack = new Stack(new App(), 'OwnState');
      const vpc = new ec2.Vpc(stack, 'Vpc', { natGateways: 0, subnetConfiguration: [{ name: 'db', subnetType: ec2.SubnetType.PRIVATE_ISOLATED }] });
      const instance = new rds.DatabaseInstance(stack, 'Db', {
        engine: rds.DatabaseInstanceEngine.postgres({ version: rds.PostgresEngineVersion.VER_18_3 }),
        instanceIdentifier: 'own-db',
        vpc,
        vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_ISOLATED },
      });
      const migrations = new SchemaMigrations(stack, 'Migrations', {
        database: instance,
        secret: instance.secret!,
        vpc,
        databaseName: 'app',
        migrationsDir,
        stateSchema: 'app_state',
      });
      new SchemaGuard(stack, 'Guard', { migrations, topic: new sns.Topic(stack, 'OnCall') });
      const descriptions = Object.values(Template.fromStack(stack).findResources('AWS::CloudWatch::Alarm')).map((a) =>
        JSON.stringify(a.Properties.AlarmDescription),
      );
      expect(descriptions).toHaveLength(GUARD_ALARMS.length);
      // The test's migrations are in a temporary directory, outside the app's: the synth machine's path, not the checkout's, so no --dir.
      for (const d of descriptions) expect(d).toContain('sslrootcert=global-bundle.pem\\" --state-schema app_state (the guard secret');
    });

    it('without ticketTopic, the ticket alarms have no actions (a ticket never pages) and synth says so; the pages keep the topic', () => {
      const { t, stack, topic, guard } = onCluster;
      for (const spec of GUARD_ALARMS) {
        const target = spec.severity === 'page' ? [{ Ref: id(stack, topic) }] : Match.absent();
        t.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: spec.metricName, AlarmActions: target, OKActions: target });
      }
      const warnings = Annotations.fromStack(stack).findWarning(`/${guard.node.path}`, Match.stringLikeRegexp('ticket alarms'));
      const tickets = GUARD_ALARMS.filter((a) => a.severity === 'ticket').map((a) => a.id);
      expect(warnings.map((w) => w.entry.data)).toEqual([
        expect.stringContaining(
          `the ${tickets.length} ticket alarms (${tickets.join(', ')}) have no actions: "topic" takes the pages only, and no "ticketTopic" was given`,
        ),
      ]);
      expect(String(warnings[0]!.entry.data)).toContain('[ack: schemaguard:ticketsWithoutDestination]');
      expect(Annotations.fromStack(onInstance.stack).findWarning('*', Match.stringLikeRegexp('ticket alarms'))).toEqual([]);
    });

    it('pages go to the paging topic, tickets to the ticket topic, both for alarm and OK', () => {
      const { t, stack, topic, tickets } = onInstance;
      for (const spec of GUARD_ALARMS) {
        const target = [{ Ref: id(stack, spec.severity === 'page' ? topic : tickets) }];
        t.hasResourceProperties('AWS::CloudWatch::Alarm', { AlarmName: `orders-${spec.severity}-${spec.id}`, AlarmActions: target, OKActions: target });
      }
    });

    it("carry the runbook: severity, the database, meaning, the first command (schemaguard guard --database-url), the log group, the fix — within CloudWatch's 1024 characters once deployed", () => {
      const longest = longestAlarmDescriptions(onInstance.t);
      expect(longest.size).toBe(GUARD_ALARMS.length);
      for (const [logicalId, alarm] of Object.entries(onInstance.t.findResources('AWS::CloudWatch::Alarm'))) {
        const text = JSON.stringify(alarm.Properties.AlarmDescription);
        expect(text).toMatch(/^"\[(PAGE|TICKET)\]|^\{"Fn::Join":\["",\["\[(PAGE|TICKET)\]/);
        for (const part of [
          'Meaning: ',
          "First: printf 'Password: ' >&2 && read -rs PGPASSWORD && echo >&2 && export PGPASSWORD && npx schemaguard guard --database-url",
          'sslmode=verify-full&sslrootcert=global-bundle.pem',
          "the guard's log group",
          'Fix: ',
        ])
          expect(text).toContain(part);
        // The log group is named by its stack and logical ID, known at synth: no name made at deploy time can push it over.
        expect(text).toContain(
          `the guard's log group (stack ${onInstance.stack.stackName}, resource ${id(onInstance.stack, onInstance.guard.logGroup as never)}) has the last run's`,
        );
        // What stays a token is the instance identifier, counted at its longest (63 characters).
        expect(text.match(/\{"Ref":"[A-Za-z0-9]+"\}/g) ?? []).toEqual([`{"Ref":"${id(onInstance.stack, onInstance.instance as never)}"}`]);
        // Counted as CloudWatch counts: the characters of the resolved string, not of its JSON.
        expect(longest.get(logicalId)!.length).toBeLessThanOrEqual(1024);
      }
    });

    it.each([
      ['an instance identifier made at deploy time', false, undefined],
      ['an Aurora cluster identifier made at deploy time', true, undefined],
      ['a 63-character instance identifier', false, `i${'-0'.repeat(31)}`],
    ] as const)(
      'regression: every description fits 1,024 characters once deployed with the longest inputs and %s (counted as its placeholder, a 63-character identifier took them over and the deploy failed after synth passed)',
      (_what, onCluster, identifier) => {
        // Prepare: the longest stack name (128), identifier and database name known only at deploy time (63 each), a 63-character state schema, the longest schedule's words.
        const stack = new Stack(new App(), 'S'.repeat(128));
        const vpc = new ec2.Vpc(stack, 'Vpc', { natGateways: 0, subnetConfiguration: [{ name: 'db', subnetType: ec2.SubnetType.PRIVATE_ISOLATED }] });
        const vpcSubnets = { subnetType: ec2.SubnetType.PRIVATE_ISOLATED };
        const databaseName = new CfnParameter(stack, 'DatabaseName', { type: 'String', maxLength: 63 }).valueAsString;
        const common = { databaseName, migrationsDir, stateSchema: 's'.repeat(63) };
        const migrations = onCluster
          ? ((cluster: rds.DatabaseCluster) => new SchemaMigrations(stack, 'Migrations', { dataApiCluster: cluster, secret: cluster.secret!, ...common }))(
              new rds.DatabaseCluster(stack, 'Cluster', {
                engine: rds.DatabaseClusterEngine.auroraPostgres({ version: rds.AuroraPostgresEngineVersion.VER_17_6 }),
                writer: rds.ClusterInstance.serverlessV2('writer'),
                vpc,
                vpcSubnets,
                enableDataApi: true,
              }),
            )
          : ((instance: rds.DatabaseInstance) => new SchemaMigrations(stack, 'Migrations', { database: instance, secret: instance.secret!, vpc, ...common }))(
              new rds.DatabaseInstance(stack, 'Db', {
                engine: rds.DatabaseInstanceEngine.postgres({ version: rds.PostgresEngineVersion.VER_18_3 }),
                vpc,
                vpcSubnets,
                instanceIdentifier: identifier,
              }),
            );
        // Act
        new SchemaGuard(stack, 'Guard', { migrations, topic: new sns.Topic(stack, 'OnCall'), roleName: 'app_guard', schedule: Duration.minutes(1439) });
        const template = Template.fromStack(stack);
        // Assess: both tokens are in the descriptions, and each description, resolved at its longest, fits
        const longest = longestAlarmDescriptions(template);
        expect(longest.size).toBe(GUARD_ALARMS.length);
        for (const alarm of Object.values(template.findResources('AWS::CloudWatch::Alarm')))
          expect(alarm.Properties.AlarmDescription['Fn::Join'][1].filter((p: unknown) => typeof p !== 'string')).toHaveLength(2);
        for (const [logicalId, text] of longest) {
          expect(text, logicalId).toContain(` on ${'x'.repeat(63)}/${'x'.repeat(63)}: `);
          expect(text.length, logicalId).toBeLessThanOrEqual(1024);
        }
      },
    );

    it('none without a topic', () => {
      const v = clusterVariant({ topic: undefined, dashboard: undefined });
      v.t.resourceCountIs('AWS::CloudWatch::Alarm', 0);
      expect(v.guard.alarms).toEqual({});
    });
  });

  describe('the dashboard', () => {
    it("gets the guard's graphs (pages, tickets, failed runs) and its alarms' states", () => {
      const body = JSON.stringify(onInstance.t.findResources('AWS::CloudWatch::Dashboard'));
      for (const title of [
        'Schema guard: findings that page (per run)',
        'Schema guard: findings that open a ticket (per run)',
        'Schema guard: failed runs',
        'Schema guard alarms',
      ])
        expect(body).toContain(title);
      for (const spec of GUARD_ALARMS) expect(body).toContain(`\\"${spec.metricName}\\"`);
    });

    it('on a dashboard of your own: two rows at its foot', () => {
      const { stack, migrations } = ledgerMigrations('Plain');
      const dashboard = new cloudwatch.Dashboard(stack, 'Dashboard');
      dashboard.addWidgets(new cloudwatch.TextWidget({ markdown: 'Ledger', width: 24, height: 2 }));
      new SchemaGuard(stack, 'Guard', { migrations, topic: new sns.Topic(stack, 'OnCall'), dashboard });
      expect(layout(dashboardWidgets(Template.fromStack(stack))).slice(1)).toEqual([
        'Schema guard: findings that page (per run) @0,2 8x6',
        'Schema guard: findings that open a ticket (per run) @8,2 8x6',
        'Schema guard: failed runs @16,2 8x6',
        'Schema guard alarms @0,8 24x3',
      ]);
    });

    it('on the dashboard of your DatabaseAlarms (as the scheduled guard guide wires them): its graphs under the error-class graphs, its alarm states under theirs, above the log row', () => {
      const { stack, migrations } = ledgerMigrations('Wired');
      const alarms = new DatabaseAlarms(stack, 'Alarms', {
        logGroup: new logs.LogGroup(stack, 'PostgresLogs', { logGroupName: '/aws/rds/cluster/ledger/postgresql' }),
        migrationFunctions: [migrations.onEventHandler, migrations.isCompleteHandler],
        alarmNamePrefix: 'ledger',
      });
      new SchemaGuard(stack, 'Guard', { migrations, topic: alarms.topic, dashboard: alarms.dashboard, alarmNamePrefix: 'ledger' });

      expect(layout(dashboardWidgets(Template.fromStack(stack)))).toEqual([
        'Errors that page (count per minute) @0,0 12x6',
        'Errors that open a ticket (count per minute) @12,0 12x6',
        'Schema guard: findings that page (per run) @0,6 8x6',
        'Schema guard: findings that open a ticket (per run) @8,6 8x6',
        'Schema guard: failed runs @16,6 8x6',
        'Database alarms @0,12 24x4',
        'Schema guard alarms @0,16 24x3',
        'Latest PostgreSQL ERROR lines @0,19 16x8',
        'Migration Lambda errors @16,19 8x8',
      ]);
    });
  });

  describe('cdk-nag', () => {
    it.each(['instance', 'cluster'] as const)('with an %s: nothing is left but the acknowledged findings of the guard and the migrations', (kind) => {
      const v = kind === 'instance' ? instanceVariant() : clusterVariant();
      const open = new AwsSolutionsChecks()
        .validateScope(v.guard)
        .violations.map((x) => `${x.ruleName}: ${x.violatingResources.map((r) => r.resourceLogicalId).join(', ')}`);
      expect(open).toEqual([]);
    });
  });

  describe('props validation', () => {
    it.each([
      [{ schedule: Duration.seconds(30) }, /^SchemaGuard: "schedule" is 30 seconds; use whole minutes from 1 minute to 24 hours/],
      [{ schedule: Duration.seconds(90) }, /"schedule" is 1 minute 30 seconds; use whole minutes/],
      [{ schedule: Duration.hours(25) }, /"schedule" is 1 day 1 hour; use whole minutes from 1 minute to 24 hours/],
      [{ roleName: 'Guard-Role' }, /^SchemaGuard: "roleName" "Guard-Role" is not a lowercase PostgreSQL identifier/],
      [{ timeout: Duration.minutes(20) }, /^SchemaGuard: "timeout" is 1200 s; use 10 s up to the schedule \(900 s\) and at most 900 s/],
      [{ timeout: Duration.seconds(5) }, /"timeout" is 5 s/],
      [{ memorySize: 64 }, /^SchemaGuard: "memorySize" is 64; use an integer from 128 to 10240/],
      [{ metricNamespace: 'AWS/RDS' }, /^SchemaGuard: "metricNamespace" "AWS\/RDS" is not a CloudWatch namespace/],
      [{ roleRevision: -1 }, /^SchemaGuard: "roleRevision" is -1; use a whole number from 0, and raise it to set the role again from its secret/],
      [{ roleRevision: 1.5 }, /"roleRevision" is 1.5; use a whole number/],
      // Regression: a databaseIdentifier RDS cannot have was taken (an overlong one surfaced only as a runbook over 1,024 characters).
      [
        { databaseIdentifier: `a${'b'.repeat(63)}` },
        /^SchemaGuard: "databaseIdentifier" "ab{63}" is not an RDS instance or cluster identifier; use 1 to 63 letters, digits or hyphens/,
      ],
      [{ databaseIdentifier: 'app--db' }, /"databaseIdentifier" "app--db" is not an RDS instance or cluster identifier/],
      [{ databaseIdentifier: '1app' }, /"databaseIdentifier" "1app" is not an RDS/],
      [{ databaseIdentifier: 'App-DB' }, /^SchemaGuard: "databaseIdentifier" "App-DB" is not as RDS stores it; write it in lower case: "app-db"/],
      // Regression (a JavaScript app, a value from context): a number schedule failed with "d.toSeconds is not a function", "2" was "is 2; use a whole number".
      [{ schedule: 15 as never }, /^SchemaGuard: "schedule" is 15 \(a number\); pass a Duration from aws-cdk-lib/],
      [{ timeout: 30 as never }, /^SchemaGuard: "timeout" is 30 \(a number\); pass a Duration/],
      [{ roleRevision: '2' as never }, /^SchemaGuard: "roleRevision" is "2" \(a string\); pass a number/],
      [{ memorySize: '512' as never }, /^SchemaGuard: "memorySize" is "512" \(a string\); pass a number/],
    ] as [Partial<SchemaGuardProps>, RegExp][])('refuses %o, naming the prop, the value and the fix', (props, message) => {
      expect(() => instanceVariant(props)).toThrow(message);
    });

    it('refuses roleName beside roleSecret, and a database whose name or identifier is not known at synth time', () => {
      const stack = new Stack(new App(), 'Odd');
      const vpc = new ec2.Vpc(stack, 'Vpc', { natGateways: 0, subnetConfiguration: [{ name: 'db', subnetType: ec2.SubnetType.PRIVATE_ISOLATED }] });
      const sg = new ec2.SecurityGroup(stack, 'Sg', { vpc });
      const proxyLike = { connections: new ec2.Connections({ securityGroups: [sg], defaultPort: ec2.Port.tcp(5432) }), node: sg.node } as never;
      const secret = new secretsmanager.Secret(stack, 'Secret');
      const noName = new SchemaMigrations(stack, 'NoName', { database: proxyLike, secret, vpc, migrationsDir });
      const named = new SchemaMigrations(stack, 'Named', { database: proxyLike, secret, vpc, migrationsDir, databaseName: 'app' });
      expect(() => new SchemaGuard(stack, 'G1', { migrations: named, roleName: 'x', roleSecret: secret })).toThrow(
        /"roleName" names the role created here, and "roleSecret" was given/,
      );
      expect(() => new SchemaGuard(stack, 'G1b', { migrations: named, roleRevision: 1, roleSecret: secret })).toThrow(
        'SchemaGuard: "roleRevision" sets the role created here again, and "roleSecret" was given (your own role, which is never set); remove roleRevision',
      );
      expect(() => new SchemaGuard(stack, 'G2', { migrations: noName, databaseIdentifier: 'db' })).toThrow(
        /the database name is not known: .*pass "databaseName"/,
      );
      expect(() => new SchemaGuard(stack, 'G3', { migrations: named })).toThrow(
        /"databaseIdentifier" is not set and the migrations' database is not an rds.DatabaseInstance or DatabaseCluster/,
      );
      expect(() => new SchemaGuard(stack, 'G4', { migrations: named, databaseIdentifier: 'db' })).toThrow(
        /its host is unknown; pass "roleSecret" with host and port/,
      );
    });
  });
});
