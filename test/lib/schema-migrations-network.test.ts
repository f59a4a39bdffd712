/**
 * Every function given the database's address runs in the VPC, for every way
 * SchemaMigrations (and SchemaGuard beside it) can be configured: an
 * instance, a cluster, a proxy, an imported instance, the Data API; a
 * secret, `masterSecret` (the role provisioner connects too) or IAM
 * authentication; with and without the guard. The rule walks the template
 * (test/support/template-rules.ts), so it holds for the functions a
 * configuration makes, whichever construct makes them.
 */
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as rds from 'aws-cdk-lib/aws-rds';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { describe, expect, it } from 'vitest';
import { ENV } from '../../lambda/handler/constants';
import { SchemaGuard } from '../../lib/schema-guard';
import { SchemaMigrations, type SchemaMigrationsProps } from '../../lib/schema-migrations';
import { tempDir } from '../support/files';
import { databaseFunctionsOutsideTheVpc, dependencyCycle, functionsGivenTheDatabase } from '../support/template-rules';

const migrationsDir = tempDir({ '1_a.sql': 'CREATE TABLE a (id int);\n' });
const contractsDir = tempDir({}, 'contracts');

interface Place {
  stack: Stack;
  vpc: ec2.Vpc;
  instance: rds.DatabaseInstance;
  cluster: rds.DatabaseCluster;
}

/** A stack with an instance and an Aurora cluster in isolated subnets, IAM authentication and the Data API on. */
function place(): Place {
  const stack = new Stack(new App(), 'User', { env: { account: '111111111111', region: 'eu-west-1' } });
  const vpc = new ec2.Vpc(stack, 'Vpc', { natGateways: 0, subnetConfiguration: [{ name: 'db', subnetType: ec2.SubnetType.PRIVATE_ISOLATED }] });
  const vpcSubnets = { subnetType: ec2.SubnetType.PRIVATE_ISOLATED };
  const instance = new rds.DatabaseInstance(stack, 'Db', {
    engine: rds.DatabaseInstanceEngine.postgres({ version: rds.PostgresEngineVersion.VER_17 }),
    vpc,
    vpcSubnets,
    credentials: rds.Credentials.fromGeneratedSecret('postgres'),
    iamAuthentication: true,
  });
  const cluster = new rds.DatabaseCluster(stack, 'Cluster', {
    engine: rds.DatabaseClusterEngine.auroraPostgres({ version: rds.AuroraPostgresEngineVersion.VER_17_6 }),
    vpc,
    vpcSubnets,
    writer: rds.ClusterInstance.serverlessV2('Writer'),
    credentials: rds.Credentials.fromGeneratedSecret('postgres'),
    iamAuthentication: true,
    enableDataApi: true,
  });
  return { stack, vpc, instance, cluster };
}

/** How SchemaMigrations reaches the database, and the secret that database's master user has. */
type Connection = (p: Place) => { props: Partial<SchemaMigrationsProps>; master: secretsmanager.ISecret };

const CONNECTIONS: Record<string, Connection> = {
  instance: (p) => ({ props: { database: p.instance, vpc: p.vpc }, master: p.instance.secret! }),
  cluster: (p) => ({ props: { database: p.cluster, vpc: p.vpc }, master: p.cluster.secret! }),
  proxy: (p) => ({
    props: { database: p.instance.addProxy('Proxy', { secrets: [p.instance.secret!], vpc: p.vpc, iamAuth: true }), vpc: p.vpc },
    master: p.instance.secret!,
  }),
  imported: (p) => ({
    props: {
      database: rds.DatabaseInstance.fromDatabaseInstanceAttributes(p.stack, 'Imported', {
        instanceIdentifier: 'legacy',
        instanceEndpointAddress: 'legacy.example.internal',
        port: 5432,
        securityGroups: [new ec2.SecurityGroup(p.stack, 'ImportedSg', { vpc: p.vpc })],
        instanceResourceId: 'db-ABCDEFGHIJKLMNOPQRSTUVWXY0',
      }),
      vpc: p.vpc,
    },
    master: p.instance.secret!,
  }),
  'Data API': (p) => ({ props: { dataApiCluster: p.cluster }, master: p.cluster.secret! }),
};

const AUTHS: Record<string, (master: secretsmanager.ISecret) => Partial<SchemaMigrationsProps>> = {
  secret: (master) => ({ secret: master }),
  masterSecret: (master) => ({ masterSecret: master }),
  iamAuthentication: () => ({ iamAuthentication: { username: 'migrator' } }),
};

/** The configurations SchemaMigrations refuses at synth (proven in their own tests). */
const REFUSED = new Set(['proxy masterSecret', 'Data API iamAuthentication']);

/**
 * One stack per connection, with a SchemaMigrations for every way to
 * authenticate that it accepts, each with and without a guard (a database
 * name each: their state tables and roles are apart). Returns the template
 * and how many functions connect: onEvent and isComplete, the role
 * provisioner with masterSecret, the guard; none through the Data API.
 */
function synth(connection: string): Synthesised {
  synthesised[connection] ??= synthConnection(connection);
  return synthesised[connection];
}

type Synthesised = { template: { Resources: Record<string, never> }; expected: number };
const synthesised: Record<string, Synthesised> = {};

function synthConnection(connection: string): Synthesised {
  const p = place();
  const { props, master } = CONNECTIONS[connection]!(p);
  let expected = 0;
  for (const auth of Object.keys(AUTHS).filter((a) => !REFUSED.has(`${connection} ${a}`))) {
    for (const guard of [false, true]) {
      const name = `${auth}${guard ? 'Guarded' : ''}`;
      const migrations = new SchemaMigrations(p.stack, name, {
        migrationsDir,
        contractsDir,
        databaseName: name.toLowerCase(),
        parseAtSynth: false,
        outputs: false,
        ...props,
        ...AUTHS[auth]!(master),
      } as SchemaMigrationsProps);
      const iam = auth === 'iamAuthentication' ? { iamAuthentication: { username: 'guard' } } : {};
      if (guard) new SchemaGuard(p.stack, `${name}Guard`, { migrations, databaseIdentifier: 'orders-db', ...iam });
      // onEvent, isComplete and the operator function; the role provisioner; the guard.
      if (connection !== 'Data API') expected += 3 + (auth === 'masterSecret' ? 1 : 0) + (guard ? 1 : 0);
    }
  }
  return { template: Template.fromStack(p.stack).toJSON() as { Resources: Record<string, never> }, expected };
}

describe('Rule: every function given the database address runs in the VPC', () => {
  it.each(Object.keys(CONNECTIONS))('%s, with a secret, masterSecret and IAM authentication, with and without the guard', (connection) => {
    const { template, expected } = synth(connection);

    expect(databaseFunctionsOutsideTheVpc(template)).toEqual([]);
    // The rule holds for functions that exist: each configuration's count of them, not a template without any.
    expect(functionsGivenTheDatabase(template)).toHaveLength(expected);
    // The role provisioner waits for the network as the migrations do: no dependency goes round.
    expect(dependencyCycle(template)).toBeUndefined();
  });

  it('through the Data API, the functions are given the cluster, not an address (they reach the Data API over HTTPS)', () => {
    const { template } = synth('Data API');
    const variables = Object.values(
      template.Resources as Record<string, { Type: string; Properties: { Environment?: { Variables?: Record<string, unknown> } } }>,
    )
      .filter((r) => r.Type === 'AWS::Lambda::Function')
      .map((r) => r.Properties.Environment?.Variables ?? {})
      .filter((v) => ENV.secretArn in v);

    // Two SchemaMigrations with secret, two with masterSecret (a provisioner each), two guards: onEvent, isComplete and the operator function each.
    expect(variables).toHaveLength(16);
    for (const v of variables) expect(v[ENV.clusterArn]).toBeDefined();
  });
});

describe('Helper: dependencyCycle', () => {
  it('finds a cycle through DependsOn, Ref, Fn::GetAtt and Fn::Sub, and none in a chain', () => {
    const cycle = {
      Resources: {
        A: { Type: 'T', DependsOn: ['B'] },
        B: { Type: 'T', Properties: { X: { Ref: 'C' } } },
        C: { Type: 'T', Properties: { X: { 'Fn::Sub': 'arn:${D.Arn}' } } },
        D: { Type: 'T', Properties: { X: { 'Fn::GetAtt': ['A', 'Arn'] } } },
      },
    };
    const chain = { Resources: { A: { Type: 'T', DependsOn: ['B'] }, B: { Type: 'T', Properties: { X: { Ref: 'AWS::Region' } } } } };

    expect(dependencyCycle(cycle)).toEqual(['A', 'B', 'C', 'D', 'A']);
    expect(dependencyCycle(chain)).toBeUndefined();
  });
});

describe('Helper: databaseFunctionsOutsideTheVpc', () => {
  it('names a function with the secret in its environment and no VpcConfig, and not one through the Data API', () => {
    const fn = (variables: Record<string, string>, extra: object = {}) => ({
      Type: 'AWS::Lambda::Function',
      Properties: { Environment: { Variables: variables }, ...extra },
    });
    const template = {
      Resources: {
        Outside: fn({ [ENV.secretArn]: 'arn' }),
        Inside: fn({ [ENV.secretArn]: 'arn' }, { VpcConfig: { SubnetIds: ['s'], SecurityGroupIds: ['g'] } }),
        DataApi: fn({ [ENV.secretArn]: 'arn', [ENV.clusterArn]: 'arn' }),
        Unrelated: fn({}),
      },
    };

    expect(databaseFunctionsOutsideTheVpc(template)).toEqual(['Outside']);
    expect(functionsGivenTheDatabase(template)).toEqual(['Inside', 'Outside']);
  });
});
