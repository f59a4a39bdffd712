/**
 * SchemaMigrations with IAM database authentication and with an RDS Proxy:
 * the templates, read as CloudFormation reads them. With IAM the handler's
 * role may `rds-db:connect` as the one user of the one instance, cluster or
 * proxy (its resource id) and read no secret; the functions carry no secret.
 * A proxy passed as the database puts its endpoint in the handler's
 * environment and declares it a pooler.
 */
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as rds from 'aws-cdk-lib/aws-rds';
import { describe, expect, it } from 'vitest';
import { ENV } from '../../lambda/handler/constants';
import { SchemaGuard } from '../../lib/schema-guard';
import { SchemaMigrations, type DirectConnectionProps, type SchemaMigrationsBaseProps } from '../../lib/schema-migrations';
import { tempDir } from '../support/files';

/** Props over a connection, as these tests build them. */
type DirectProps = SchemaMigrationsBaseProps & DirectConnectionProps;

const migrationsDir = tempDir({ '1_a.sql': 'CREATE TABLE a (id int);\n' });
const engine = rds.DatabaseInstanceEngine.postgres({ version: rds.PostgresEngineVersion.VER_17 });

interface Built {
  stack: Stack;
  vpc: ec2.Vpc;
  instance: rds.DatabaseInstance;
}

function build(): Built {
  const stack = new Stack(new App(), 'Auth', { env: { account: '111111111111', region: 'eu-west-1' } });
  const vpc = new ec2.Vpc(stack, 'Vpc', { natGateways: 0, subnetConfiguration: [{ name: 'db', subnetType: ec2.SubnetType.PRIVATE_ISOLATED }] });
  // IAM database authentication on: SchemaMigrations grants rds-db:connect, and never turns it on itself.
  const instance = new rds.DatabaseInstance(stack, 'Db', {
    engine,
    vpc,
    vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_ISOLATED },
    credentials: rds.Credentials.fromGeneratedSecret('postgres'),
    iamAuthentication: true,
  });
  return { stack, vpc, instance };
}

function migrations(b: Built, props: Partial<DirectProps>): Template {
  new SchemaMigrations(b.stack, 'Migrations', {
    database: b.instance,
    vpc: b.vpc,
    migrationsDir,
    contractsDir: tempDir({}, 'contracts'),
    parseAtSynth: false,
    ...props,
  });
  return Template.fromStack(b.stack);
}

/** Every statement of the handler role's policies. */
function handlerStatements(t: Template): { Action: string | string[]; Resource: unknown }[] {
  const policies = Object.values(t.findResources('AWS::IAM::Policy')).filter((p) => JSON.stringify(p.Properties.Roles).includes('HandlerRole'));
  return policies.flatMap((p) => p.Properties.PolicyDocument.Statement);
}

const actions = (s: { Action: string | string[] }) => [s.Action].flat();

describe('Class: SchemaMigrations', () => {
  describe('Prop: iamAuthentication', () => {
    it('grants rds-db:connect on the exact dbuser ARN of the instance (its DbiResourceId), and no secret read; the functions carry no secret', () => {
      const b = build();
      const t = migrations(b, { iamAuthentication: { username: 'migrator' } });
      const statements = handlerStatements(t);
      const connect = statements.filter((s) => actions(s).includes('rds-db:connect'));
      expect(connect).toHaveLength(1);
      expect(JSON.stringify(connect[0]!.Resource)).toBe(
        JSON.stringify({
          'Fn::Join': [
            '',
            [
              'arn:',
              { Ref: 'AWS::Partition' },
              ':rds-db:eu-west-1:111111111111:dbuser:',
              { 'Fn::GetAtt': [Object.keys(t.findResources('AWS::RDS::DBInstance'))[0], 'DbiResourceId'] },
              '/migrator',
            ],
          ],
        }),
      );
      expect(statements.flatMap(actions).filter((a) => a.startsWith('secretsmanager:') || a === 'kms:Decrypt')).toEqual([]);
      const functions = Object.values(
        t.findResources('AWS::Lambda::Function', { Properties: { Description: 'schemaguard: applies the migrations during cdk deploy' } }),
      );
      expect(functions).toHaveLength(2);
      for (const f of functions) {
        expect(f.Properties.Environment.Variables[ENV.iamUser]).toBe('migrator');
        expect(f.Properties.Environment.Variables).not.toHaveProperty(ENV.secretArn);
        expect(f.Properties.Environment.Variables[ENV.endpointHost]).toEqual({ 'Fn::GetAtt': [expect.any(String), 'Endpoint.Address'] });
      }
      // The instance has IAM authentication on (its own setting).
      t.hasResourceProperties('AWS::RDS::DBInstance', { EnableIAMDatabaseAuthentication: true });
      // No egress to Secrets Manager: signing a token is local.
      const egress = Object.values(t.findResources('AWS::EC2::SecurityGroup')).flatMap((g) => g.Properties.SecurityGroupEgress ?? []);
      expect(egress.filter((e: { ToPort?: number }) => e.ToPort === 443)).toEqual([]);
    });

    it('on a cluster: the cluster resource id (DBClusterResourceId)', () => {
      const b = build();
      const cluster = new rds.DatabaseCluster(b.stack, 'Cluster', {
        engine: rds.DatabaseClusterEngine.auroraPostgres({ version: rds.AuroraPostgresEngineVersion.VER_16_4 }),
        vpc: b.vpc,
        vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_ISOLATED },
        writer: rds.ClusterInstance.serverlessV2('writer'),
        iamAuthentication: true,
      });
      new SchemaMigrations(b.stack, 'Migrations', {
        database: cluster,
        vpc: b.vpc,
        migrationsDir,
        contractsDir: tempDir({}, 'contracts'),
        parseAtSynth: false,
        iamAuthentication: { username: 'migrator' },
      });
      const connect = handlerStatements(Template.fromStack(b.stack)).filter((s) => actions(s).includes('rds-db:connect'));
      expect(JSON.stringify(connect.map((s) => s.Resource))).toContain('"DBClusterResourceId"]},"/migrator"');
    });

    it('refuses a cluster and a proxy whose IAM database authentication is off (a grant of rds-db:connect there would be in vain), naming the setting', () => {
      const b = build();
      const cluster = new rds.DatabaseCluster(b.stack, 'Cluster', {
        engine: rds.DatabaseClusterEngine.auroraPostgres({ version: rds.AuroraPostgresEngineVersion.VER_16_4 }),
        vpc: b.vpc,
        vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_ISOLATED },
        writer: rds.ClusterInstance.serverlessV2('writer'),
      });
      const props = { vpc: b.vpc, migrationsDir, contractsDir: tempDir({}, 'contracts'), parseAtSynth: false, iamAuthentication: { username: 'migrator' } };
      expect(() => new SchemaMigrations(b.stack, 'OnCluster', { database: cluster, ...props })).toThrow(
        'SchemaMigrations: "iamAuthentication" connects with IAM database authentication, and the cluster Auth/Cluster has it unset (off); ' +
          'set iamAuthentication: true on the rds.DatabaseCluster (SchemaMigrations does not change your cluster), or use a secret',
      );
      const proxy = b.instance.addProxy('Proxy', { secrets: [b.instance.secret!], vpc: b.vpc, vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_ISOLATED } });
      expect(() => new SchemaMigrations(b.stack, 'OnProxy', { database: proxy, ...props })).toThrow(
        /and the proxy .*Proxy has it off \(iamAuth: false\); set iamAuth: true on the rds.DatabaseProxy/,
      );
      // Nothing was granted to either.
      expect(handlerStatements(Template.fromStack(b.stack)).filter((st) => actions(st).includes('rds-db:connect'))).toEqual([]);
    });

    it.each([
      [{ iamAuthentication: { username: 'migrator' }, secret: 'x' }, /pass "secret" or "iamAuthentication", not both/],
      [{ iamAuthentication: { username: '' } }, /"iamAuthentication.username" is ""/],
      // IAM wildcards in the dbuser resource: every user (the master too), or any user of one letter more.
      [
        { iamAuthentication: { username: '*' } },
        /"iamAuthentication.username" is "\*", and \* and \? are wildcards in the rds-db:connect grant \(dbuser:<resource id>\/\*\): .* the master user too/,
      ],
      [{ iamAuthentication: { username: 'app?' } }, /"iamAuthentication.username" is "app\?", and \* and \? are wildcards/],
      [{}, /"secret" and "masterSecret" are undefined; .* or iamAuthentication: \{ username \} to connect with IAM database authentication/],
    ])('refuses %o at synth', (props, message) => {
      const b = build();
      const secret = (props as { secret?: string }).secret ? b.instance.secret : undefined;
      expect(() => migrations(b, { ...props, secret } as Partial<DirectProps>)).toThrow(message);
    });

    it('refuses a database that is not an rds instance, cluster or proxy, and one in another stack', () => {
      const b = build();
      const sg = new ec2.SecurityGroup(b.stack, 'Other', { vpc: b.vpc });
      expect(() => migrations(b, { iamAuthentication: { username: 'm' }, database: sg, port: ec2.Port.tcp(5432) })).toThrow(
        /"iamAuthentication" needs the database as an rds.DatabaseInstance, DatabaseCluster or DatabaseProxy/,
      );
      const app = new App();
      const dbStack = new Stack(app, 'Db');
      const vpc = new ec2.Vpc(dbStack, 'Vpc', { natGateways: 0, subnetConfiguration: [{ name: 'db', subnetType: ec2.SubnetType.PRIVATE_ISOLATED }] });
      const instance = new rds.DatabaseInstance(dbStack, 'Db', { engine, vpc, vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_ISOLATED } });
      expect(
        () =>
          new SchemaMigrations(new Stack(app, 'App'), 'M', {
            database: instance,
            vpc,
            migrationsDir,
            contractsDir: tempDir({}, 'contracts'),
            parseAtSynth: false,
            iamAuthentication: { username: 'm' },
          }),
      ).toThrow(/with "iamAuthentication" the handler takes the host from the database construct, and Db\/Db is in another stack/);
    });
  });

  describe('Prop: database as an rds.DatabaseProxy', () => {
    function proxied(props: Partial<DirectProps>): { t: Template; proxy: rds.DatabaseProxy } {
      const b = build();
      const proxy = b.instance.addProxy('Proxy', {
        secrets: [b.instance.secret!],
        vpc: b.vpc,
        vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_ISOLATED },
        iamAuth: true,
      });
      new SchemaMigrations(b.stack, 'Migrations', {
        database: proxy,
        vpc: b.vpc,
        migrationsDir,
        contractsDir: tempDir({}, 'contracts'),
        parseAtSynth: false,
        secret: b.instance.secret,
        ...props,
      });
      return { t: Template.fromStack(b.stack), proxy };
    }

    it("connects to the proxy's endpoint on 5432, declared a pooler (the runner takes its lease); the proxy's group admits the handler", () => {
      const { t } = proxied({ secret: undefined, iamAuthentication: { username: 'migrator' } });
      const fn = Object.values(
        t.findResources('AWS::Lambda::Function', { Properties: { Description: 'schemaguard: applies the migrations during cdk deploy' } }),
      )[0]!;
      const vars = fn.Properties.Environment.Variables;
      expect(vars[ENV.host]).toEqual({ 'Fn::GetAtt': [expect.stringMatching(/Proxy/), 'Endpoint'] });
      expect(vars[ENV.port]).toBe('5432');
      expect(vars[ENV.pooler]).toBe('true');
      const ingress = Object.values(t.findResources('AWS::EC2::SecurityGroupIngress')).map((r) => r.Properties);
      expect(ingress).toEqual(
        expect.arrayContaining([expect.objectContaining({ FromPort: 5432, ToPort: 5432, Description: 'schemaguard migrations handler to the database' })]),
      );
      // rds-db:connect on the proxy's own resource id (prx-…), split from its ARN.
      const connect = handlerStatements(t).filter((s) => actions(s).includes('rds-db:connect'));
      expect(JSON.stringify(connect.map((s) => s.Resource))).toMatch(/:dbuser:.*DBProxyArn.*\/migrator/);
    });

    it("with the secret: the proxy's endpoint overrides the secret's host (the instance behind it)", () => {
      const { t, proxy } = proxied({});
      expect(proxy).toBeDefined();
      const fn = Object.values(
        t.findResources('AWS::Lambda::Function', { Properties: { Description: 'schemaguard: applies the migrations during cdk deploy' } }),
      )[0]!;
      expect(Object.keys(fn.Properties.Environment.Variables)).toEqual(expect.arrayContaining([ENV.secretArn, ENV.host, ENV.pooler]));
    });
  });

  describe('SchemaGuard: iamAuthentication', () => {
    it('runs as the IAM user: no role created, no secret, rds-db:connect on that user of the instance only', () => {
      const b = build();
      const m = new SchemaMigrations(b.stack, 'Migrations', {
        database: b.instance,
        vpc: b.vpc,
        migrationsDir,
        contractsDir: tempDir({}, 'contracts'),
        parseAtSynth: false,
        iamAuthentication: { username: 'migrator' },
      });
      const guard = new SchemaGuard(b.stack, 'Guard', { migrations: m, databaseName: 'app', iamAuthentication: { username: 'guard_reader' } });
      expect(guard.role).toBeUndefined();
      expect(guard.roleSecret).toBeUndefined();
      const t = Template.fromStack(b.stack);
      expect(Object.keys(t.findResources('AWS::SecretsManager::Secret')).filter((k) => k.startsWith('Guard'))).toEqual([]);
      const fn = Object.values(
        t.findResources('AWS::Lambda::Function', { Properties: { Description: 'schemaguard: the scheduled read-only schema guard' } }),
      )[0]!;
      expect(fn.Properties.Environment.Variables[ENV.iamUser]).toBe('guard_reader');
      expect(fn.Properties.Environment.Variables).not.toHaveProperty(ENV.secretArn);
      const policies = Object.values(t.findResources('AWS::IAM::Policy')).filter((p) => JSON.stringify(p.Properties.Roles).includes('GuardFunctionRole'));
      const statements = policies.flatMap((p) => p.Properties.PolicyDocument.Statement as { Action: string | string[]; Resource: unknown }[]);
      expect(statements.flatMap(actions).filter((a) => a.startsWith('secretsmanager:'))).toEqual([]);
      const connect = statements.filter((s) => actions(s).includes('rds-db:connect'));
      expect(JSON.stringify(connect.map((s) => s.Resource))).toMatch(/DbiResourceId"\]\},"\/guard_reader"/);
    });
  });
});
