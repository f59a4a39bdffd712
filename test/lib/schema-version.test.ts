/**
 * The schema version in another stack, through SSM and never an export: the
 * way docs/guide/cdk-app.md shows (`migrations.versionFor(this)`), compiled here; the
 * consumer's template does not change when a migration is added (its
 * deploy-time parameter reads the new value); and every road to an export of
 * the custom resource's attributes is refused at synth, naming the way.
 */
import { App, CfnOutput, NestedStack, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as rds from 'aws-cdk-lib/aws-rds';
import { Construct } from 'constructs';
import { describe, expect, it } from 'vitest';
import { SchemaMigrations } from '../../lib/schema-migrations';
import { defaultVersionParameterName, refuseBadParameterName } from '../../lib/schema-version';
import { tempDir } from '../support/files';
import { exportsOf, type Template as Json } from '../support/template-diff';

/** The database's stack with its migrations (the layout docs/guide/cdk-app.md shows), and a service stack. */
function twoStacks(
  migrationsDir: string,
  props: { versionParameterName?: string } = {},
): { app: App; database: Stack; service: Stack; migrations: SchemaMigrations } {
  const app = new App();
  const database = new Stack(app, 'Database');
  const vpc = new ec2.Vpc(database, 'Vpc', { natGateways: 0, subnetConfiguration: [{ name: 'db', subnetType: ec2.SubnetType.PRIVATE_ISOLATED }] });
  const db = new rds.DatabaseInstance(database, 'Db', {
    engine: rds.DatabaseInstanceEngine.postgres({ version: rds.PostgresEngineVersion.VER_17 }),
    vpc,
    vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_ISOLATED },
    credentials: rds.Credentials.fromGeneratedSecret('postgres'),
  });
  const migrations = new SchemaMigrations(database, 'Migrations', { database: db, secret: db.secret!, vpc, migrationsDir, ...props });
  return { app, database, service: new Stack(app, 'Service'), migrations };
}

/** The service's function, the version in its environment as `version` gives it. */
function api(scope: Stack, version: string): lambda.Function {
  return new lambda.Function(scope, 'Api', {
    runtime: lambda.Runtime.NODEJS_22_X,
    handler: 'index.handler',
    code: lambda.Code.fromInline('exports.handler = async () => {}'),
    environment: { SCHEMA_VERSION: version },
  });
}

const ONE = { '1_a.sql': 'CREATE TABLE a (id int);\n' };

describe('Method: SchemaMigrations.versionFor', () => {
  it("another stack reads the version as its own deploy-time SSM parameter, deploys after the migrations' stack, and imports nothing", () => {
    const { app, database, service, migrations } = twoStacks(tempDir(ONE));
    api(service, migrations.versionFor(service));
    const assembly = app.synth();
    const consumer = assembly.getStackByName('Service').template as Json;
    const producer = assembly.getStackByName('Database').template as Json;

    const [paramId, param] = Object.entries(consumer.Parameters ?? {}).find(([, p]) => p.Type === 'AWS::SSM::Parameter::Value<String>')!;
    expect(param.Default).toBe('/schemaguard/Database/Migrations/schema-version');
    Template.fromJSON(consumer).hasResourceProperties('AWS::Lambda::Function', { Environment: { Variables: { SCHEMA_VERSION: { Ref: paramId } } } });
    Template.fromJSON(producer).hasResourceProperties('AWS::SSM::Parameter', {
      Name: '/schemaguard/Database/Migrations/schema-version',
      Type: 'String',
      Value: { 'Fn::GetAtt': [database.getLogicalId(migrations.resource.node.defaultChild as never), 'CurrentVersion'] },
    });
    expect(JSON.stringify(consumer)).not.toContain('Fn::ImportValue');
    expect(exportsOf(producer)).toEqual({});
    expect(service.dependencies).toEqual([database]);
  });

  it("a new migration changes the migrations' stack only: the reading stack's template stays as it was (its parameter reads the new version at deploy)", () => {
    const before = twoStacks(tempDir(ONE));
    api(before.service, before.migrations.versionFor(before.service));
    const after = twoStacks(tempDir({ ...ONE, '2_b.sql': 'CREATE TABLE b (id int);\n' }));
    api(after.service, after.migrations.versionFor(after.service));
    const [b, a] = [before.app.synth(), after.app.synth()];
    expect(a.getStackByName('Service').template).toEqual(b.getStackByName('Service').template);
    expect(a.getStackByName('Database').template).not.toEqual(b.getStackByName('Database').template);
    expect(exportsOf(a.getStackByName('Database').template as Json)).toEqual({});
  });

  it("in the migrations' own stack it is the custom resource's CurrentVersion, and no parameter is made", () => {
    const { database, migrations } = twoStacks(tempDir(ONE));
    const fn = api(database, migrations.versionFor(database));
    expect(database.resolve((fn.node.defaultChild as lambda.CfnFunction).environment)).toEqual({
      variables: { SCHEMA_VERSION: { 'Fn::GetAtt': [database.getLogicalId(migrations.resource.node.defaultChild as never), 'CurrentVersion'] } },
    });
    Template.fromStack(database).resourceCountIs('AWS::SSM::Parameter', 0);
  });

  it('"versionParameterName" names the parameter, which is then made even when no stack reads it', () => {
    const { database, migrations } = twoStacks(tempDir(ONE), { versionParameterName: '/orders/schema-version' });
    expect(migrations.versionParameterName).toBe('/orders/schema-version');
    Template.fromStack(database).hasResourceProperties('AWS::SSM::Parameter', { Name: '/orders/schema-version' });
  });
});

describe('an attribute of the custom resource in another stack (the export CloudFormation would refuse to change)', () => {
  it.each([
    ['currentVersion', 'CurrentVersion', /Read it there through SSM: migrations\.versionFor\(this\)/],
    [
      'appliedVersions',
      'AppliedVersions',
      /Only CurrentVersion is handed to other stacks \(migrations\.versionFor\(this\), through SSM\); use AppliedVersions in the migrations' own stack/,
    ],
    ['appliedCount', 'AppliedCount', /use AppliedCount in the migrations' own stack/],
  ] as const)('%s is refused at synth, naming the stack that reads it and the way that works', (field, attribute, fix) => {
    const { app, service, migrations } = twoStacks(tempDir(ONE));
    api(service, migrations[field]);
    expect(() => app.synth()).toThrow(
      new RegExp(
        `${attribute} of Database/Migrations reaches another stack through the export Database:ExportsOutputFnGetAtt\\S+ \\(read by stack Service\\): it changes with every deploy that applies a migration`,
      ),
    );
    const again = twoStacks(tempDir(ONE));
    api(again.service, again.migrations[field]);
    expect(() => again.app.synth()).toThrow(fix);
  });

  it("so is an export written by hand in the migrations' own stack", () => {
    const { app, database, migrations } = twoStacks(tempDir(ONE));
    new CfnOutput(database, 'Version', { value: migrations.currentVersion, exportName: 'orders-schema-version' });
    expect(() => app.synth()).toThrow(/CurrentVersion of Database\/Migrations reaches another stack through the export orders-schema-version: /);
  });

  it("a nested stack of the migrations' stack reads it as a stack parameter, not an export: allowed", () => {
    const { app, database, migrations } = twoStacks(tempDir(ONE));
    const nested = new NestedStack(database, 'Service');
    api(nested, migrations.currentVersion);
    const assembly = app.synth();
    expect(exportsOf(assembly.getStackByName('Database').template as Json)).toEqual({});
    Template.fromStack(nested).hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: { SCHEMA_VERSION: { Ref: Match.stringLikeRegexp('CurrentVersion') } } },
    });
  });
});

describe('Function: refuseBadParameterName', () => {
  it.each(['/orders/schema-version', 'orders-schema-version', '/a.b_c-d'])('accepts %s', (name) => {
    expect(() => refuseBadParameterName(name)).not.toThrow();
  });

  it.each(['orders/schema-version', '/aws/x', 'ssm-x', '/has space', '', 'x'.repeat(1012)])('refuses %j, naming the rules', (name) => {
    expect(() => refuseBadParameterName(name)).toThrow(
      /^SchemaMigrations: "versionParameterName" .* is not an SSM parameter name SchemaMigrations can create; use letters, digits and _\.-\//,
    );
  });
});

describe('Function: defaultVersionParameterName', () => {
  it("is made of the stack's name and the construct's path in it, cleaned to what SSM takes", () => {
    const stack = new Stack(new App(), 'Orders', { stackName: 'orders-prod' });
    expect(defaultVersionParameterName(new Construct(stack, 'Migrations'))).toBe('/schemaguard/orders-prod/Migrations/schema-version');
    expect(defaultVersionParameterName(new Construct(new Construct(stack, 'Data Layer'), 'Migrations'))).toBe(
      '/schemaguard/orders-prod/Data-Layer.Migrations/schema-version',
    );
  });

  it('refuses a stack whose name is known only at deploy time (a nested stack), naming the prop', () => {
    const nested = new NestedStack(new Stack(new App(), 'Parent'), 'Child');
    expect(() => defaultVersionParameterName(nested)).toThrow(/pass "versionParameterName"/);
  });
});
