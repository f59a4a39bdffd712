/**
 * The least-privilege wiring of the ready-made stacks, proven on their
 * templates: the master secret is read by the role provisioner alone, which
 * makes the migrator before the migrations and serves the guard's role; the
 * migration handler reads the migrator's secret, the guard its own; each
 * generated secret's resource policy denies GetSecretValue to every other
 * principal; the Secrets Manager endpoint serves the stack's secrets only.
 * And SchemaMigrations' `masterSecret` props are checked at synth.
 */
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as rds from 'aws-cdk-lib/aws-rds';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { beforeAll, describe, expect, it } from 'vitest';
import { ENV, GUARD_ROLE_PROP, MIGRATOR_PRIVILEGES_VERSION, MIGRATOR_ROLE_PROP, MIGRATOR_ROLE_RESOURCE_TYPE } from '../../lambda/handler/constants';
import { STACK_NAME } from '../../lib/app';
import { AuroraDatabaseStack } from '../../lib/aurora-database-stack';
import { DatabaseStack } from '../../lib/database-stack';
import { defaultMigratorRoleName } from '../../lib/migrator-role';
import { SchemaMigrations } from '../../lib/schema-migrations';
import { tempDir } from '../support/files';
import { databaseFunctionsOutsideTheVpc, dependencyCycle, functionsGivenTheDatabase } from '../support/template-rules';

type Resources = Record<string, { Type: string; Properties?: Record<string, unknown>; DependsOn?: string[] }>;
interface Statement {
  Sid?: string;
  Effect: string;
  Action: string | string[];
  Resource: unknown;
  Principal?: unknown;
  Condition?: unknown;
}

let rdsStack: DatabaseStack;
let auroraStack: AuroraDatabaseStack;
let rdsR: Resources;
let auroraR: Resources;

beforeAll(() => {
  const migrationsDir = tempDir({ '1_a.sql': 'CREATE TABLE a (id int);\n' });
  rdsStack = new DatabaseStack(new App(), STACK_NAME, { stage: 'dev', migrationsDir });
  auroraStack = new AuroraDatabaseStack(new App(), STACK_NAME, { stage: 'dev', migrationsDir });
  rdsR = Template.fromStack(rdsStack).toJSON().Resources as Resources;
  auroraR = Template.fromStack(auroraStack).toJSON().Resources as Resources;
});

const logicalId = (s: Stack, c: { node: { defaultChild?: unknown } }) => s.getLogicalId((c.node.defaultChild ?? c) as never);
const of = (r: Resources, type: string) => Object.entries(r).filter(([, v]) => v.Type === type);
/** The statements of every IAM policy attached to `roleId`. */
function roleStatements(r: Resources, roleId: string): Statement[] {
  return of(r, 'AWS::IAM::Policy')
    .filter(([, p]) => JSON.stringify(p.Properties!.Roles) === JSON.stringify([{ Ref: roleId }]))
    .flatMap(([, p]) => (p.Properties!.PolicyDocument as { Statement: Statement[] }).Statement);
}
/** IAM policies (logical ids) with a statement naming `secretRef` as a resource. */
function readersOf(r: Resources, secretRef: string): string[] {
  return of(r, 'AWS::IAM::Policy')
    .filter(([, p]) =>
      (p.Properties!.PolicyDocument as { Statement: Statement[] }).Statement.some(
        (st) => [st.Action].flat().includes('secretsmanager:GetSecretValue') && JSON.stringify(st.Resource).includes(`"${secretRef}"`),
      ),
    )
    .map(([id]) => id)
    .sort();
}

describe.each(['rds', 'aurora'] as const)('the %s stack', (kind) => {
  const stack = () => (kind === 'rds' ? rdsStack : auroraStack);
  const res = () => (kind === 'rds' ? rdsR : auroraR);

  it('every function given the database address runs in the VPC (the role provisioner too); through the Data API none is given it', () => {
    const template = { Resources: res() };

    expect(databaseFunctionsOutsideTheVpc(template)).toEqual([]);
    // onEvent, isComplete, the operator function, the role provisioner and the guard over a connection.
    expect(functionsGivenTheDatabase(template)).toHaveLength(kind === 'rds' ? 5 : 0);
    expect(dependencyCycle(template)).toBeUndefined();
  });

  it("the master secret is read by the role provisioner's role alone; the migration handler reads the migrator's secret, the guard its own", () => {
    const s = stack();
    const provisionerPolicy = `${logicalId(s, s.migrations.roles!.role)}`;
    const master = logicalId(s, s.secret as never);
    const migrator = logicalId(s, s.migrations.secret as never);
    const guardSecret = logicalId(s, s.guard!.roleSecret as never);
    const policyOf = (roleId: string) =>
      of(res(), 'AWS::IAM::Policy').find(([, p]) => JSON.stringify(p.Properties!.Roles) === JSON.stringify([{ Ref: roleId }]))![0];
    const handler = logicalId(s, s.migrations.node.findChild('HandlerRole') as never);
    const guardFn = logicalId(s, s.guard!.function.role as never);
    const operator = logicalId(s, s.migrations.operatorFunction.role as never);

    expect(readersOf(res(), master)).toEqual([policyOf(provisionerPolicy)]);
    expect(readersOf(res(), migrator)).toEqual([policyOf(handler), policyOf(operator), policyOf(provisionerPolicy)].sort());
    expect(readersOf(res(), guardSecret)).toEqual([policyOf(guardFn), policyOf(provisionerPolicy)].sort());
    const envOf = (fnId: string) => (res()[fnId]!.Properties!.Environment as { Variables: Record<string, unknown> }).Variables;
    expect(envOf(logicalId(s, s.migrations.onEventHandler))[ENV.secretArn]).toEqual({ Ref: migrator });
    expect(envOf(logicalId(s, s.migrations.roles!.function))[ENV.secretArn]).toEqual({ Ref: master });
    expect(
      roleStatements(res(), provisionerPolicy)
        .map((st) => st.Sid)
        .sort(),
    ).toEqual(
      [
        kind === 'rds' ? 'VpcNetworkInterfaces' : 'DataApiOnTheCluster',
        'OwnLogs',
        'ReadTheGuardRoleSecret',
        'ReadTheMasterSecret',
        'ReadTheMigratorSecret',
      ].sort(),
    );
  });

  it("the migrator resource is made first (the migrations depend on it), by the provisioner, with the migrator's name, secret and schemas; the guard's role resource is the provisioner's too, naming the migrator", () => {
    const s = stack();
    const [[migratorId, migrator]] = of(res(), MIGRATOR_ROLE_RESOURCE_TYPE) as [[string, Resources[string]]];
    expect(migrator.Properties).toMatchObject({
      [MIGRATOR_ROLE_PROP.roleName]: defaultMigratorRoleName('app', 'schemaguard'),
      [MIGRATOR_ROLE_PROP.secretArn]: { Ref: logicalId(s, s.migrations.secret as never) },
      [MIGRATOR_ROLE_PROP.extensions]: [],
      [MIGRATOR_ROLE_PROP.privilegesVersion]: MIGRATOR_PRIVILEGES_VERSION,
    });
    expect(migrator.Properties![MIGRATOR_ROLE_PROP.schemas]).toEqual(expect.arrayContaining(['public']));
    expect(res()[logicalId(s, s.migrations.resource)]!.DependsOn).toContain(migratorId);
    const guardRole = res()[logicalId(s, s.guard!.role!.resource)]!;
    expect(guardRole.Properties![GUARD_ROLE_PROP.migratorRole]).toBe('schemaguard_migrator_app');
    expect(JSON.stringify(guardRole.Properties!.ServiceToken)).toContain(
      logicalId(s, s.migrations.roles!.provider.node.findChild('framework-onEvent') as never),
    );
  });

  it("each generated secret's resource policy denies GetSecretValue to every principal but its readers' roles", () => {
    const s = stack();
    const policies = of(res(), 'AWS::SecretsManager::ResourcePolicy');
    const denyFor = (secretId: string) => {
      const found = policies.find(([, p]) => JSON.stringify(p.Properties!.SecretId) === JSON.stringify({ Ref: secretId }));
      return (found![1].Properties!.ResourcePolicy as { Statement: Statement[] }).Statement;
    };
    const arn = (c: { node: { defaultChild?: unknown } }) => ({ 'Fn::GetAtt': [logicalId(s, c), 'Arn'] });
    expect(denyFor(logicalId(s, s.guard!.roleSecret as never))).toEqual([
      {
        Sid: 'OnlyItsFunctionsRead',
        Effect: 'Deny',
        Principal: { AWS: '*' },
        Action: 'secretsmanager:GetSecretValue',
        Resource: '*',
        Condition: { ArnNotEquals: { 'aws:PrincipalArn': [arn(s.migrations.roles!.role), arn(s.guard!.function.role as never)] } },
      },
    ]);
    expect(denyFor(logicalId(s, s.migrations.secret as never))).toEqual([
      {
        Sid: 'OnlyItsFunctionsRead',
        Effect: 'Deny',
        Principal: { AWS: '*' },
        Action: 'secretsmanager:GetSecretValue',
        Resource: '*',
        Condition: {
          ArnNotEquals: {
            'aws:PrincipalArn': [
              arn(s.migrations.node.findChild('HandlerRole') as never),
              arn(s.migrations.roles!.role),
              arn(s.migrations.operatorFunction.role as never),
            ],
          },
        },
      },
    ]);
  });

  it("the Secrets Manager endpoint serves the stack's three secrets only (read, describe, rotate) and GetRandomPassword", () => {
    const s = stack();
    const [[, endpoint]] = of(res(), 'AWS::EC2::VPCEndpoint') as [[string, Resources[string]]];
    const statements = (endpoint.Properties!.PolicyDocument as { Statement: Statement[] }).Statement;
    expect(statements.map((st) => st.Sid)).toEqual(['TheStackSecretsOnly', 'RotationPasswords']);
    expect(statements[0]).toMatchObject({ Effect: 'Allow', Principal: { AWS: '*' } });
    expect([statements[0]!.Action].flat().sort()).toEqual([
      'secretsmanager:DescribeSecret',
      'secretsmanager:GetSecretValue',
      'secretsmanager:PutSecretValue',
      'secretsmanager:UpdateSecretVersionStage',
    ]);
    expect(statements[0]!.Resource).toEqual([s.secret, s.migrations.secret, s.guard!.roleSecret].map((x) => ({ Ref: logicalId(s, x as never) })));
    expect(statements[1]).toMatchObject({ Action: 'secretsmanager:GetRandomPassword', Resource: '*' });
  });
});

describe('Class: SchemaMigrations with masterSecret (props)', () => {
  function base(): { s: Stack; vpc: ec2.Vpc; instance: rds.DatabaseInstance; migrationsDir: string } {
    const s = new Stack(new App(), 'M', { env: { account: '111111111111', region: 'eu-west-1' } });
    const vpc = new ec2.Vpc(s, 'Vpc', { natGateways: 0, subnetConfiguration: [{ name: 'i', subnetType: ec2.SubnetType.PRIVATE_ISOLATED }] });
    const instance = new rds.DatabaseInstance(s, 'Db', {
      engine: rds.DatabaseInstanceEngine.postgres({ version: rds.PostgresEngineVersion.VER_18_3 }),
      vpc,
      vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_ISOLATED },
      credentials: rds.Credentials.fromGeneratedSecret('postgres'),
    });
    return { s, vpc, instance, migrationsDir: tempDir({ '1_a.sql': 'CREATE TABLE a (id int);\n' }) };
  }

  it('refuses both secrets, naming them', () => {
    const { s, vpc, instance, migrationsDir } = base();
    expect(
      () =>
        new SchemaMigrations(s, 'Both', {
          database: instance,
          vpc,
          migrationsDir,
          databaseName: 'app',
          secret: instance.secret!,
          masterSecret: instance.secret!,
        }),
    ).toThrow(/^SchemaMigrations: "secret" and "masterSecret" were both given; pass "masterSecret"/);
  });

  it("refuses a database whose endpoint the migrator's secret cannot be attached to (a proxy, an imported connectable)", () => {
    const { s, vpc, instance, migrationsDir } = base();
    const other = { connections: instance.connections, node: instance.node } as never;
    expect(() => new SchemaMigrations(s, 'Proxy', { database: other, vpc, migrationsDir, databaseName: 'app', masterSecret: instance.secret! })).toThrow(
      /"database" is not an rds\.DatabaseInstance or DatabaseCluster; pass one, or make the migrator yourself and pass its secret as "secret"/,
    );
  });

  it.each([
    [
      'no database name (the migrator is named after it)',
      { databaseName: undefined },
      /"masterSecret" makes a migrator named after the database, and "databaseName" is not set/,
    ],
    ['a role name PostgreSQL would fold', { migratorRoleName: 'Migrator' }, /"migratorRoleName" "Migrator" is not a lowercase PostgreSQL identifier/],
    [
      'an extension name CREATE EXTENSION would not take',
      { masterExtensions: ['pg_stat_statements; DROP'] },
      /"masterExtensions" holds "pg_stat_statements; DROP", not an extension name/,
    ],
    ['an empty schema name', { migratorSchemas: [''] }, /"migratorSchemas" holds "", not a schema name/],
  ])('refuses %s', (_what, extra, message) => {
    const { s, vpc, instance, migrationsDir } = base();
    expect(
      () => new SchemaMigrations(s, 'Bad', { database: instance, vpc, migrationsDir, databaseName: 'app', masterSecret: instance.secret!, ...extra }),
    ).toThrow(message);
  });

  it("takes the migrator's name, schemas and the master's extensions as given", () => {
    const { s, vpc, instance, migrationsDir } = base();
    new SchemaMigrations(s, 'Given', {
      database: instance,
      vpc,
      migrationsDir,
      databaseName: 'app',
      masterSecret: instance.secret!,
      migratorRoleName: 'orders_migrator',
      migratorSchemas: ['public', 'billing'],
      masterExtensions: ['pg_stat_statements'],
    });
    Template.fromStack(s).hasResourceProperties(MIGRATOR_ROLE_RESOURCE_TYPE, {
      [MIGRATOR_ROLE_PROP.roleName]: 'orders_migrator',
      [MIGRATOR_ROLE_PROP.schemas]: ['public', 'billing'],
      [MIGRATOR_ROLE_PROP.extensions]: ['pg_stat_statements'],
    });
  });

  it("migratorRevision becomes the resource's Revision (raised, the role is set again from its secret); a bad one, or a migrator prop without masterSecret, is refused", () => {
    const { s, vpc, instance, migrationsDir } = base();
    new SchemaMigrations(s, 'Revised', { database: instance, vpc, migrationsDir, databaseName: 'app', masterSecret: instance.secret!, migratorRevision: 2 });
    Template.fromStack(s).hasResourceProperties(MIGRATOR_ROLE_RESOURCE_TYPE, { [MIGRATOR_ROLE_PROP.revision]: '2' });
    const other = base();
    expect(
      () =>
        new SchemaMigrations(other.s, 'Half', {
          database: other.instance,
          vpc: other.vpc,
          migrationsDir,
          databaseName: 'app',
          masterSecret: other.instance.secret!,
          migratorRevision: 1.5,
        }),
    ).toThrow(/"migratorRevision" is 1.5; use a whole number from 0/);
    expect(
      () =>
        new SchemaMigrations(other.s, 'NoMaster', {
          database: other.instance,
          vpc: other.vpc,
          migrationsDir,
          databaseName: 'app',
          secret: other.instance.secret!,
          migratorRoleName: 'm',
          masterExtensions: ['pg_stat_statements'],
        }),
    ).toThrow('SchemaMigrations: "migratorRoleName", "masterExtensions" set the migrator that "masterSecret" makes, and "masterSecret" is not set');
  });

  it("a user's own migrator secret (no masterSecret): no provisioner, no migrator resource", () => {
    const { s, vpc, instance, migrationsDir } = base();
    const own = secretsmanager.Secret.fromSecretCompleteArn(s, 'Own', 'arn:aws:secretsmanager:eu-west-1:111111111111:secret:orders-migrator-AbCdEf');
    const m = new SchemaMigrations(s, 'Own2', { database: instance, vpc, migrationsDir, secret: own });
    expect(m.roles).toBeUndefined();
    Template.fromStack(s).resourceCountIs(MIGRATOR_ROLE_RESOURCE_TYPE, 0);
  });
});

describe('Function: defaultMigratorRoleName', () => {
  it.each([
    ['app', 'schemaguard', 'schemaguard_migrator_app'],
    ['app', 'billing_state', 'schemaguard_migrator_app_billing_state'],
    ['Orders-EU', 'schemaguard', expect.stringMatching(/^schemaguard_migrator_orders_eu_[0-9a-f]{8}$/)],
  ])('%s with state schema %s: %s', (database, state, name) => {
    expect(defaultMigratorRoleName(database, state)).toEqual(name);
  });
});
