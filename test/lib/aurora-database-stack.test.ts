/**
 * The Aurora variant (`-c schemaguard:engine=aurora`): template assertions and
 * cdk-nag. One App with a dev and a prod stack, synthesised once for the file.
 */
import { App, type Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildAuroraApp } from '../../lib/app';
import { ConfigError, readAppConfig } from '../../lib/app-config';
import { AuroraDatabaseStack } from '../../lib/aurora-database-stack';
import { acknowledgedRules } from '../../lib/nag';
import { ENV } from '../../lambda/handler/constants';
import { tempDir } from '../support/files';

let dev: AuroraDatabaseStack;
let prod: AuroraDatabaseStack;
let devT: Template;
let prodT: Template;

const auroraContext = (extra: Record<string, string> = {}) => {
  const ctx: Record<string, string> = { 'schemaguard:engine': 'aurora', ...extra };
  return readAppConfig((k) => ctx[k], Object.keys(ctx));
};

beforeAll(() => {
  const migrationsDir = tempDir({ '1_a.sql': 'CREATE TABLE a (id int);\n' });
  const app = new App();
  dev = buildAuroraApp(app, auroraContext(), { migrationsDir, stackName: 'AuroraDev' });
  prod = buildAuroraApp(app, auroraContext({ 'schemaguard:stage': 'prod' }), { migrationsDir, stackName: 'AuroraProd' });
  devT = Template.fromStack(dev);
  prodT = Template.fromStack(prod);
});

const cid = (s: Stack, c: { node: { defaultChild?: unknown } }) => s.getLogicalId(c.node.defaultChild as never);

describe('Class: AuroraDatabaseStack', () => {
  describe('cluster', () => {
    it('is Aurora PostgreSQL Serverless v2 with the Data API enabled, encrypted, IAM auth on, the postgresql log exported', () => {
      devT.hasResourceProperties('AWS::RDS::DBCluster', {
        Engine: 'aurora-postgresql',
        EngineVersion: '17.6',
        DBClusterIdentifier: 'schemaguard-dev-app',
        DatabaseName: 'app',
        EnableHttpEndpoint: true,
        StorageEncrypted: true,
        EnableIAMDatabaseAuthentication: true,
        EnableCloudwatchLogsExports: ['postgresql'],
        ServerlessV2ScalingConfiguration: { MinCapacity: 0.5, MaxCapacity: 4 },
        DeletionProtection: false,
      });
      devT.resourceCountIs('AWS::RDS::DBInstance', 1);
      devT.allResourcesProperties('AWS::RDS::DBInstance', { DBInstanceClass: 'db.serverless', PubliclyAccessible: false });
    });

    it('prod: deletion protection, a reader, 14 days of backups, snapshot on delete', () => {
      prodT.hasResourceProperties('AWS::RDS::DBCluster', { DeletionProtection: true, BackupRetentionPeriod: 14, EnableHttpEndpoint: true });
      prodT.resourceCountIs('AWS::RDS::DBInstance', 2);
      prodT.hasResource('AWS::RDS::DBCluster', { DeletionPolicy: 'Snapshot' });
    });

    it('forces TLS and logs failing statements and lock waits in the cluster parameter group', () => {
      devT.hasResourceProperties('AWS::RDS::DBClusterParameterGroup', {
        Family: 'aurora-postgresql17',
        Parameters: { 'rds.force_ssl': '1', log_min_error_statement: 'error', log_lock_waits: '1' },
      });
    });

    it('makes /aws/rds/cluster/<id>/postgresql exist with retention before the cluster', () => {
      const logGroup = dev.getLogicalId(dev.postgresLogRetention.node.defaultChild as never);
      devT.hasResourceProperties('Custom::LogRetention', { LogGroupName: '/aws/rds/cluster/schemaguard-dev-app/postgresql', RetentionInDays: 30 });
      devT.hasResource('AWS::RDS::DBCluster', { DependsOn: Match.arrayWith([logGroup]) });
    });
  });

  describe('migrations over the Data API', () => {
    it('the handler functions run outside the VPC and know the cluster ARN, not the credentials', () => {
      const fns = devT.findResources('AWS::Lambda::Function', { Properties: { Description: 'schemaguard: applies the migrations during cdk deploy' } });
      expect(Object.keys(fns)).toHaveLength(2);
      for (const fn of Object.values(fns)) {
        expect(fn.Properties.VpcConfig).toBeUndefined();
        const env = fn.Properties.Environment.Variables;
        expect(env[ENV.clusterArn]).toBeDefined();
        expect(JSON.stringify(env[ENV.clusterArn])).toContain(cid(dev, dev.cluster));
        expect(env[ENV.databaseName]).toBe('app');
        expect(env[ENV.databaseLogGroup]).toBeDefined();
      }
      expect(dev.migrations.securityGroup).toBeUndefined();
      devT.resourcePropertiesCountIs('AWS::EC2::SecurityGroup', { GroupDescription: Match.stringLikeRegexp('migrations handler') }, 0);
    });

    it('the role may call only the four Data API actions on this cluster and read its secret — no VPC interfaces, no rds-data:*', () => {
      const role = cid(dev, dev.migrations.node.findChild('HandlerRole') as never);
      const policies = devT.findResources('AWS::IAM::Policy', { Properties: { Roles: [{ Ref: role }] } });
      const statements = Object.values(policies).flatMap(
        (p) => p.Properties.PolicyDocument.Statement as { Sid: string; Action: string | string[]; Resource: unknown }[],
      );
      // Its one secret is the migrator's: the master's and the guard's are the role provisioner's to read (migrator-role.test.ts).
      // And the stack's own status: whether a failing Update is a rollback's.
      expect(statements.map((s) => s.Sid).sort()).toEqual(['DataApiOnTheCluster', 'OwnLogs', 'OwnStackStatus', 'ReadTheDatabaseSecret']);
      expect(JSON.stringify(statements.find((s) => s.Sid === 'ReadTheDatabaseSecret')!.Resource)).toContain(cid(dev, dev.migrations.roles!.secret as never));
      const dataApi = statements.find((s) => s.Sid === 'DataApiOnTheCluster')!;
      expect([dataApi.Action].flat().sort()).toEqual([
        'rds-data:BeginTransaction',
        'rds-data:CommitTransaction',
        'rds-data:ExecuteStatement',
        'rds-data:RollbackTransaction',
      ]);
      expect(JSON.stringify(dataApi.Resource)).toContain(`:cluster:",{"Ref":"${cid(dev, dev.cluster)}"}`);
      const actions = statements.flatMap((s) => [s.Action].flat());
      expect(actions.filter((a) => a.startsWith('ec2:') || a === 'rds-data:*' || a === 'rds-data:BatchExecuteStatement')).toEqual([]);
      expect(statements.find((s) => s.Sid === 'ReadTheDatabaseSecret')!.Action).toBe('secretsmanager:GetSecretValue');
    });

    it('the custom resource waits for the cluster and its writer', () => {
      const resources = devT.findResources('Custom::SchemaMigrations');
      const [resource] = Object.values(resources);
      const writer = Object.keys(devT.findResources('AWS::RDS::DBInstance'))[0]!;
      expect(resource!.DependsOn).toEqual(expect.arrayContaining([cid(dev, dev.cluster), writer]));
    });
  });

  describe('alarms', () => {
    it('every metric filter reads the cluster log group', () => {
      const filters = Object.values(devT.findResources('AWS::Logs::MetricFilter'));
      expect(filters.length).toBeGreaterThan(0);
      for (const f of filters) expect(f.Properties.LogGroupName).toBe('/aws/rds/cluster/schemaguard-dev-app/postgresql');
    });
  });

  describe('the scheduled guard, through the Data API', () => {
    it("runs outside the VPC, the Data API on this cluster with the guard role's secret, the cluster identifier in its dimensions", () => {
      const fn = Object.values(devT.findResources('AWS::Lambda::Function', { Properties: { Handler: 'index.guard' } }))[0]!;
      expect(fn.Properties.VpcConfig).toBeUndefined();
      const env = fn.Properties.Environment.Variables as Record<string, unknown>;
      expect(JSON.stringify(env[ENV.clusterArn])).toContain(cid(dev, dev.cluster));
      expect(env[ENV.secretArn]).toEqual({ Ref: cid(dev, dev.guard!.roleSecret as never) });
      expect(env[ENV.guardDatabaseIdentifier]).toBe('schemaguard-dev-app');
      devT.hasResourceProperties('AWS::CloudWatch::Alarm', {
        AlarmName: 'schemaguard-dev-app-ticket-guard-health',
        TreatMissingData: 'breaching',
        Dimensions: [
          { Name: 'DatabaseIdentifier', Value: 'schemaguard-dev-app' },
          { Name: 'DatabaseName', Value: 'app' },
        ],
      });
      devT.resourcePropertiesCountIs('AWS::EC2::SecurityGroup', { GroupDescription: Match.stringLikeRegexp('schemaguard guard') }, 0);
    });
  });

  describe('props', () => {
    it('refuses a cluster identifier that is not literal', () => {
      expect(() => new AuroraDatabaseStack(new App(), 'X', { stage: 'dev', clusterIdentifier: 'Bad_Id' })).toThrow(
        /"clusterIdentifier" "Bad_Id" is not a literal RDS identifier/,
      );
    });

    it('refuses a capacity range that is not in steps of 0.5 ACU', () => {
      expect(() => new AuroraDatabaseStack(new App(), 'X', { stage: 'dev', minCapacity: 0.3 })).toThrow(/capacity 0.3..4 ACU is not valid/);
      // Regression (a JavaScript app, a value from context): a string capacity reached the capacity check as text.
      expect(() => new AuroraDatabaseStack(new App(), 'X', { stage: 'dev', minCapacity: '0.5' as never })).toThrow(
        /^AuroraDatabaseStack: "minCapacity" is "0.5" \(a string\); pass a number/,
      );
    });

    it('context schemaguard:engine accepts postgres or aurora only', () => {
      expect(auroraContext().engine).toBe('aurora');
      expect(readAppConfig(() => undefined, []).engine).toBe('postgres');
      expect(() => auroraContext({ 'schemaguard:engine': 'mysql' })).toThrow(ConfigError);
      expect(() => auroraContext({ 'schemaguard:engine': 'mysql' })).toThrow(/engine: "mysql" is not one of postgres, aurora/);
    });
  });
});

describe('cdk-nag AwsSolutionsChecks on the Aurora variant', () => {
  it.each(['dev', 'prod'] as const)('%s: no finding is left unacknowledged', (stage) => {
    const report = new AwsSolutionsChecks().validateScope(stage === 'dev' ? dev : prod);
    const open = report.violations.map((v) => `${v.ruleName} (${v.severity}): ${v.violatingResources.map((r) => r.resourceLogicalId).join(', ')}`);
    expect(open).toEqual([]);
    expect(report.success).toBe(true);
  });

  it('the handler role needs no acknowledgement for wildcards (no VPC interfaces)', () => {
    const onRole = acknowledgedRules(dev).filter((r) => r.path.endsWith('SchemaMigrations/HandlerRole'));
    expect(onRole).toEqual([]);
  });

  it('every acknowledgement names its rule and a specific reason (docs/reference/more/cdk-nag.md lists them, generated)', () => {
    const rules = [...acknowledgedRules(dev), ...acknowledgedRules(prod)].filter((r) => r.id.startsWith('AwsSolutions-'));
    for (const r of rules) {
      expect(r.reason.length, `${r.id} at ${r.path}`).toBeGreaterThanOrEqual(60);
    }
  });
});

describe('Class: AuroraDatabaseStack, prop parseAtSynth', () => {
  it("is passed to SchemaMigrations: on by default a file PostgreSQL's parser refuses stops synth; false synthesises it", () => {
    const migrationsDir = tempDir({ '1_a.sql': 'CREATE TABLE a (id int;\n' });
    expect(() => new AuroraDatabaseStack(new App(), 'Parsed', { stage: 'dev', migrationsDir, guard: false })).toThrow(
      /^SchemaMigrations: PostgreSQL's parser refuses a migration in .*: 1_a\.sql:1:23: syntax error at or near ";"/,
    );
    const off = Template.fromStack(new AuroraDatabaseStack(new App(), 'Unparsed', { stage: 'dev', migrationsDir, guard: false, parseAtSynth: false }));
    off.resourceCountIs('Custom::SchemaMigrations', 1);
  });
});
