/**
 * SchemaMigrations' connection is a typed choice: a connection (`database` +
 * `vpc`) or the RDS Data API (`dataApiCluster`). The `@ts-expect-error` cases
 * are proven by `tsc --noEmit` (which compiles test/): each line is an error,
 * or tsc fails on the unused directive. The same objects, passed as a
 * JavaScript app would pass them, are refused at synth. And the user's
 * database is left as the user made it: every resource of a stack without
 * SchemaMigrations is in the stack with it, unchanged.
 */
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as rds from 'aws-cdk-lib/aws-rds';
import { describe, expect, it } from 'vitest';
import { SchemaMigrations, type SchemaMigrationsProps } from '../../lib/schema-migrations';
import { tempDir } from '../support/files';

const migrationsDir = tempDir({ '1_a.sql': 'CREATE TABLE a (id int);\n' });

interface Place {
  stack: Stack;
  vpc: ec2.Vpc;
  instance: rds.DatabaseInstance;
  cluster: rds.DatabaseCluster;
}

/** A stack with an instance and an Aurora cluster, as the user makes them. */
function place(instanceProps: Partial<rds.DatabaseInstanceProps> = {}, clusterProps: Partial<rds.DatabaseClusterProps> = {}): Place {
  const stack = new Stack(new App(), 'User');
  const vpc = new ec2.Vpc(stack, 'Vpc', { natGateways: 0, subnetConfiguration: [{ name: 'db', subnetType: ec2.SubnetType.PRIVATE_ISOLATED }] });
  const vpcSubnets = { subnetType: ec2.SubnetType.PRIVATE_ISOLATED };
  const instance = new rds.DatabaseInstance(stack, 'Db', {
    engine: rds.DatabaseInstanceEngine.postgres({ version: rds.PostgresEngineVersion.VER_17 }),
    vpc,
    vpcSubnets,
    credentials: rds.Credentials.fromGeneratedSecret('postgres'),
    ...instanceProps,
  });
  const cluster = new rds.DatabaseCluster(stack, 'Cluster', {
    engine: rds.DatabaseClusterEngine.auroraPostgres({ version: rds.AuroraPostgresEngineVersion.VER_17_6 }),
    vpc,
    vpcSubnets,
    writer: rds.ClusterInstance.serverlessV2('Writer'),
    credentials: rds.Credentials.fromGeneratedSecret('postgres'),
    ...clusterProps,
  });
  return { stack, vpc, instance, cluster };
}

/** Builds SchemaMigrations as a JavaScript app would call it: the props unchecked by the compiler. */
let made = 0;
function fromJavaScript(p: Place, props: Record<string, unknown>): SchemaMigrations {
  return new SchemaMigrations(p.stack, `M${made++}`, { migrationsDir, parseAtSynth: false, ...props } as unknown as SchemaMigrationsProps);
}

describe('Class: SchemaMigrations, its connection', () => {
  it('the compiler refuses a mix of a connection and the Data API, neither, and IAM through the Data API (tsc checks the directives)', () => {
    const p = place();
    const secret = p.instance.secret!;
    const wrong: (() => SchemaMigrations)[] = [
      // @ts-expect-error -- a connection's database with the Data API's cluster
      () => new SchemaMigrations(p.stack, 'A', { dataApiCluster: p.cluster, database: p.instance, vpc: p.vpc, secret, migrationsDir }),
      // @ts-expect-error -- the Data API with a connection's VPC
      () => new SchemaMigrations(p.stack, 'B', { dataApiCluster: p.cluster, vpc: p.vpc, secret, migrationsDir }),
      // @ts-expect-error -- the Data API with a connection's Secrets Manager endpoint
      () => new SchemaMigrations(p.stack, 'C', { dataApiCluster: p.cluster, secretsManagerEndpoint: p.instance, secret, migrationsDir }),
      // @ts-expect-error -- the Data API takes a secret only
      () => new SchemaMigrations(p.stack, 'D', { dataApiCluster: p.cluster, iamAuthentication: { username: 'migrator' }, migrationsDir }),
      // @ts-expect-error -- a connection needs its VPC
      () => new SchemaMigrations(p.stack, 'E', { database: p.instance, secret, migrationsDir }),
      // @ts-expect-error -- neither way
      () => new SchemaMigrations(p.stack, 'F', { secret, migrationsDir }),
    ];
    // Each of them is refused at synth too (what a JavaScript app gets).
    for (const make of wrong) expect(make).toThrow(/^SchemaMigrations: /);
    // The two right ways compile (and the Data API one is refused only for the cluster's setting, below).
    const right: SchemaMigrationsProps[] = [
      { database: p.instance, vpc: p.vpc, secret, migrationsDir },
      { database: p.instance, vpc: p.vpc, iamAuthentication: { username: 'migrator' }, migrationsDir },
      { dataApiCluster: p.cluster, secret: p.cluster.secret, migrationsDir },
    ];
    expect(right).toHaveLength(3);
  });

  it.each([
    ['database', (p: Place) => p.instance],
    ['vpc', (p: Place) => p.vpc],
    ['vpcSubnets', () => ({ subnetType: ec2.SubnetType.PRIVATE_ISOLATED })],
    ['port', () => ec2.Port.tcp(5432)],
    ['secretsManagerEndpoint', (p: Place) => p.instance],
    ['cloudFormationEndpoint', (p: Place) => p.instance],
  ])('from JavaScript: "%s" beside "dataApiCluster" is refused, named with the way out', (key, value) => {
    const p = place({}, { enableDataApi: true });
    expect(() => fromJavaScript(p, { dataApiCluster: p.cluster, secret: p.cluster.secret, [key]: value(p) })).toThrow(
      `SchemaMigrations: "dataApiCluster" runs the function outside the VPC over the RDS Data API; remove "${key}" (they are for a connection)`,
    );
  });

  it('from JavaScript: neither way, or a connection without its VPC, is refused naming both ways', () => {
    const p = place();
    const message =
      'SchemaMigrations: pass "database" and "vpc" (migrate over a connection), or "dataApiCluster" (an Aurora cluster with the Data API enabled)';
    expect(() => fromJavaScript(p, { secret: p.instance.secret })).toThrow(message);
    expect(() => fromJavaScript(p, { database: p.instance, secret: p.instance.secret })).toThrow(message);
    expect(() => fromJavaScript(p, { vpc: p.vpc, secret: p.instance.secret })).toThrow(message);
  });

  it('from JavaScript: IAM through the Data API is refused (it takes a secret only)', () => {
    const p = place({}, { enableDataApi: true });
    expect(() => fromJavaScript(p, { dataApiCluster: p.cluster, iamAuthentication: { username: 'migrator' } })).toThrow(
      'SchemaMigrations: "iamAuthentication" with "dataApiCluster": the RDS Data API authenticates with a secret only; pass "secret"',
    );
  });

  it('one authentication check: both secrets, a secret with IAM, or none, each named by its prop', () => {
    const p = place({ iamAuthentication: true });
    const secret = p.instance.secret;
    const iamAuthentication = { username: 'migrator' };
    expect(() => fromJavaScript(p, { database: p.instance, vpc: p.vpc, secret, masterSecret: secret })).toThrow(
      /^SchemaMigrations: "secret" and "masterSecret" were both given; pass "masterSecret"/,
    );
    expect(() => fromJavaScript(p, { database: p.instance, vpc: p.vpc, masterSecret: secret, iamAuthentication })).toThrow(
      'SchemaMigrations: pass "masterSecret" or "iamAuthentication", not both',
    );
    expect(() => fromJavaScript(p, { database: p.instance, vpc: p.vpc, secret, iamAuthentication })).toThrow(
      'SchemaMigrations: pass "secret" or "iamAuthentication", not both',
    );
    expect(() => fromJavaScript(p, { database: p.instance, vpc: p.vpc })).toThrow(
      /^SchemaMigrations: "secret" and "masterSecret" are undefined; pass the master user's secret as "masterSecret"/,
    );
  });
});

describe("Class: SchemaMigrations leaves the user's database as the user made it", () => {
  /** Every resource of the user's stack, synthesised without SchemaMigrations. */
  const before = (make: () => Place) => Template.fromStack(make().stack).toJSON().Resources as Record<string, unknown>;

  /** Each of `resources` is in the stack with SchemaMigrations, unchanged (properties, dependencies, everything). */
  function expectUnchanged(resources: Record<string, unknown>, p: Place): void {
    const after = Template.fromStack(p.stack).toJSON().Resources as Record<string, unknown>;
    for (const [id, resource] of Object.entries(resources)) expect({ id, resource: after[id] }).toEqual({ id, resource });
  }

  it('the Data API: the cluster, its instances and secret synthesise as without SchemaMigrations', () => {
    const make = () => place({}, { enableDataApi: true });
    const resources = before(make);
    expect(Object.values(resources).filter((r) => (r as { Type: string }).Type === 'AWS::RDS::DBCluster')).toHaveLength(1);
    const p = make();
    new SchemaMigrations(p.stack, 'M', { dataApiCluster: p.cluster, secret: p.cluster.secret!, migrationsDir, parseAtSynth: false });
    expectUnchanged(resources, p);
  });

  it('a cluster that leaves enableDataApi unset is refused, and SchemaMigrations did not turn it on (grantDataApiAccess would)', () => {
    const p = place();
    expect(() => new SchemaMigrations(p.stack, 'M', { dataApiCluster: p.cluster, secret: p.cluster.secret!, migrationsDir, parseAtSynth: false })).toThrow(
      /leaves enableDataApi unset, so the Data API is off/,
    );
    const cluster = (t: Template) => Object.values(t.findResources('AWS::RDS::DBCluster'))[0]!.Properties;
    expect(cluster(Template.fromStack(p.stack))).not.toHaveProperty('EnableHttpEndpoint');
    // What the cluster's own grant does to the same cluster, and SchemaMigrations no longer does.
    const granted = place();
    granted.cluster.grantDataApiAccess(new iam.Role(granted.stack, 'Reader', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') }));
    expect(cluster(Template.fromStack(granted.stack))).toHaveProperty('EnableHttpEndpoint', true);
  });

  it('a connection with IAM: the instance synthesises as without SchemaMigrations (its own iamAuthentication: true)', () => {
    const make = () => place({ iamAuthentication: true });
    const resources = before(make);
    const p = make();
    new SchemaMigrations(p.stack, 'M', { database: p.instance, vpc: p.vpc, iamAuthentication: { username: 'migrator' }, migrationsDir, parseAtSynth: false });
    expectUnchanged(resources, p);
  });

  it('an instance without IAM database authentication is refused with the setting to make, and SchemaMigrations did not turn it on (grantConnect would)', () => {
    const p = place();
    expect(
      () =>
        new SchemaMigrations(p.stack, 'M', {
          database: p.instance,
          vpc: p.vpc,
          iamAuthentication: { username: 'migrator' },
          migrationsDir,
          parseAtSynth: false,
        }),
    ).toThrow(
      'SchemaMigrations: "iamAuthentication" connects with IAM database authentication, and the instance User/Db has it unset (off); ' +
        'set iamAuthentication: true on the rds.DatabaseInstance (SchemaMigrations does not change your instance), or use a secret',
    );
    const instance = (t: Template) => Object.values(t.findResources('AWS::RDS::DBInstance'))[0]!.Properties;
    expect(instance(Template.fromStack(p.stack))).not.toHaveProperty('EnableIAMDatabaseAuthentication');
  });

  it('a connection with a secret: the instance, its security group and secret synthesise as without SchemaMigrations (the ingress is a resource of its own)', () => {
    const resources = before(() => place());
    const p = place();
    new SchemaMigrations(p.stack, 'M', { database: p.instance, vpc: p.vpc, secret: p.instance.secret!, migrationsDir, parseAtSynth: false });
    expectUnchanged(resources, p);
  });
});
