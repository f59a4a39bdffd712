/**
 * The ready-made stacks across their life, read from pairs of synths (the
 * template deployed, then the next one) with CloudFormation's own rules
 * (test/support/template-diff.ts): which resources an update replaces, that
 * none of them keeps a fixed name (CloudFormation could not replace it), that
 * the custom resources run in the deploy that replaces the database, that a
 * major engine upgrade is allowed in place, and what a stack delete leaves
 * per stage — nothing for dev; for prod, the database's final snapshot and
 * its logs, none under a name the same stack deployed again would collide
 * with.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadAwsServiceSpec } from '@aws-cdk/aws-service-spec';
import { App } from 'aws-cdk-lib';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildApp, buildAuroraApp, STACK_NAME } from '../../lib/app';
import { readAppConfig } from '../../lib/app-config';
import { PACKAGE_ROOT } from '../../lib/paths';
import { GUARD_ROLE_PROP, GUARD_ROLE_RESOURCE_TYPE, PROP } from '../../lambda/handler/constants';
import { tempDir } from '../support/files';
import {
  fixedNameReplacements,
  nameProperties,
  replacements,
  retainedFixedNames,
  updatedProperties,
  type NameProperties,
  type Template,
} from '../support/template-diff';

/** The context of each synth: the default dev stack, and one change of a context key at a time. */
const VARIANTS = {
  dev: {},
  devOrders: { 'schemaguard:databaseName': 'orders' },
  devNat: { 'schemaguard:natGateways': '1' },
  devClass: { 'schemaguard:instanceClass': 'm7g.large' },
  prod: { 'schemaguard:stage': 'prod' },
  prod17: { 'schemaguard:stage': 'prod', 'schemaguard:engineVersion': '17' },
  prodOrders: { 'schemaguard:stage': 'prod', 'schemaguard:databaseName': 'orders' },
  aurora: { 'schemaguard:engine': 'aurora' },
  auroraOrders: { 'schemaguard:engine': 'aurora', 'schemaguard:databaseName': 'orders' },
} satisfies Record<string, Record<string, string>>;
type Variant = keyof typeof VARIANTS;

const templates = {} as Record<Variant, Template>;
let named: NameProperties;

beforeAll(async () => {
  const migrationsDir = tempDir({ '1_a.sql': 'CREATE TABLE a (id int);\n' });
  // Each in an app of its own under the one stack name, as one stack deployed again and again (names made from the stack's path stay).
  for (const [id, ctx] of Object.entries(VARIANTS)) {
    const app = new App();
    const config = readAppConfig((k) => (ctx as Record<string, string>)[k], Object.keys(ctx));
    const stack = (config.engine === 'aurora' ? buildAuroraApp : buildApp)(app, config, { migrationsDir });
    templates[id as Variant] = app.synth().getStackByName(STACK_NAME).template as Template;
    expect(stack.stackName).toBe(STACK_NAME);
  }
  named = await nameProperties();
}, 900_000);

/** The one resource of `type` in `t`: its logical id and properties. */
function only(t: Template, type: string): [string, Record<string, unknown>] {
  const found = Object.entries(t.Resources).filter(([, r]) => r.Type === type);
  expect(found, type).toHaveLength(1);
  return [found[0]![0], found[0]![1].Properties ?? {}];
}

describe('template pairs: what CloudFormation does between two deploys', () => {
  it.each([
    ['dev', 'devOrders'],
    ['dev', 'devNat'],
    ['dev', 'devClass'],
    ['dev', 'prod'],
    ['prod17', 'prod'],
    ['prod', 'prodOrders'],
    ['aurora', 'auroraOrders'],
    ['dev', 'aurora'],
    ['aurora', 'dev'],
  ] as const)('%s → %s replaces no resource whose name stays (CloudFormation could not)', (before, after) => {
    // A new parameter group is applied to the instance in place (a reboot), as a major engine upgrade's new family is.
    expect(fixedNameReplacements(templates[before], templates[after], named, { 'AWS::RDS::DBInstance': ['DBParameterGroupName'] })).toEqual([]);
  });

  it('another databaseName replaces the instance (DBName) under a new identifier, and both custom resources get an Update in that deploy', () => {
    const [dbId, before] = only(templates.dev, 'AWS::RDS::DBInstance');
    const [, after] = only(templates.devOrders, 'AWS::RDS::DBInstance');
    expect(replacements(templates.dev, templates.devOrders)).toContainEqual({
      logicalId: dbId,
      type: 'AWS::RDS::DBInstance',
      impact: 'WILL_REPLACE',
      causes: ['DBInstanceIdentifier', 'DBName'],
    });
    expect([before.DBInstanceIdentifier, after.DBInstanceIdentifier]).toEqual(['schemaguard-dev-app', 'schemaguard-dev-orders']);
    // The database's identity is the new instance's DbiResourceId, and its name changes too: CloudFormation sends Updates.
    for (const [type, identity, name] of [
      ['Custom::SchemaMigrations', PROP.databaseIdentity, PROP.databaseName],
      [GUARD_ROLE_RESOURCE_TYPE, GUARD_ROLE_PROP.databaseIdentity, GUARD_ROLE_PROP.databaseName],
    ] as const) {
      const [id, old] = only(templates.dev, type);
      const [, next] = only(templates.devOrders, type);
      expect(next[identity], type).toEqual({ 'Fn::GetAtt': [dbId, 'DbiResourceId'] });
      expect([old[name], next[name]], type).toEqual(['app', 'orders']);
      expect(updatedProperties(templates.dev, templates.devOrders, id), type).toEqual(expect.arrayContaining([identity, name]));
    }
  });

  it("Aurora: another databaseName replaces the cluster (DatabaseName) under a new identifier; the custom resource's identity is its DBClusterResourceId", () => {
    const [clusterId, before] = only(templates.aurora, 'AWS::RDS::DBCluster');
    const [, after] = only(templates.auroraOrders, 'AWS::RDS::DBCluster');
    expect(replacements(templates.aurora, templates.auroraOrders)).toContainEqual(
      expect.objectContaining({ logicalId: clusterId, impact: 'WILL_REPLACE', causes: expect.arrayContaining(['DatabaseName']) }),
    );
    expect([before.DBClusterIdentifier, after.DBClusterIdentifier]).toEqual(['schemaguard-dev-app', 'schemaguard-dev-orders']);
    expect(only(templates.auroraOrders, 'Custom::SchemaMigrations')[1][PROP.databaseIdentity]).toEqual({ 'Fn::GetAtt': [clusterId, 'DBClusterResourceId'] });
  });

  it('a major engine upgrade (17 → 18) is allowed by the template and replaces no instance: only the parameter group (family) is new', () => {
    const [dbId, before] = only(templates.prod17, 'AWS::RDS::DBInstance');
    const [, after] = only(templates.prod, 'AWS::RDS::DBInstance');
    expect([before.EngineVersion, after.EngineVersion, before.AllowMajorVersionUpgrade, after.AllowMajorVersionUpgrade]).toEqual(['17', '18.3', true, true]);
    const replaced = replacements(templates.prod17, templates.prod);
    expect(replaced.filter((r) => r.impact === 'WILL_REPLACE').map((r) => `${r.type} ${r.causes.join(',')}`)).toEqual(['AWS::RDS::DBParameterGroup Family']);
    // The specification marks DBParameterGroupName "may replace"; with the family it moves with the engine, which RDS upgrades in place.
    expect(replaced.filter((r) => r.logicalId === dbId)).toEqual([
      { logicalId: dbId, type: 'AWS::RDS::DBInstance', impact: 'MAY_REPLACE', causes: ['DBParameterGroupName'] },
    ]);
  });

  it('finds a replaced resource whose name stays (so an empty result above means something)', () => {
    const renamedBack = structuredClone(templates.devOrders);
    const [dbId] = only(renamedBack, 'AWS::RDS::DBInstance');
    renamedBack.Resources[dbId]!.Properties!.DBInstanceIdentifier = 'schemaguard-dev-app';
    expect(fixedNameReplacements(templates.dev, renamedBack, named)).toEqual([
      { logicalId: dbId, type: 'AWS::RDS::DBInstance', impact: 'WILL_REPLACE', causes: ['DBName'], name: 'schemaguard-dev-app' },
    ]);
  });
});

describe('delete, and deploy again: what each stage leaves', () => {
  it.each(['dev', 'aurora'] as const)(
    '%s leaves nothing: every resource is deleted with the stack, the KMS key scheduled for deletion after 7 days',
    (variant) => {
      const t = templates[variant];
      const kept = Object.entries(t.Resources)
        .filter(([, r]) => r.DeletionPolicy !== undefined && r.DeletionPolicy !== 'Delete')
        .map(([id, r]) => `${id} ${r.Type} ${r.DeletionPolicy}`);
      expect(kept).toEqual([]);
      const [, key] = only(t, 'AWS::KMS::Key');
      expect(key.PendingWindowInDays).toBe(7);
      expect(only(t, 'Custom::LogRetention')[1].RemovalPolicy).toBe('destroy');
    },
  );

  it("prod keeps the database's final snapshot, its logs and the key, none under a literal name the same stack deployed again would meet", () => {
    const t = templates.prod;
    const policies = Object.values(t.Resources)
      .filter((r) => r.DeletionPolicy !== undefined && r.DeletionPolicy !== 'Delete')
      .map((r) => `${r.Type} ${r.DeletionPolicy}`)
      .sort();
    expect(new Set(policies)).toEqual(new Set(['AWS::RDS::DBInstance Snapshot', 'AWS::Logs::LogGroup Retain', 'AWS::KMS::Key Retain']));
    expect(retainedFixedNames(t, named)).toEqual([]);
    // The PostgreSQL log group has a fixed name: it is made by a create-or-update resource that leaves it on delete and takes it over on the next create.
    const [, postgresLogs] = only(t, 'Custom::LogRetention');
    expect(postgresLogs).toMatchObject({ LogGroupName: '/aws/rds/instance/schemaguard-prod-app/postgresql', RetentionInDays: 365 });
    expect(postgresLogs.RemovalPolicy).toBe('retain');
    expect(Object.values(t.Resources).filter((r) => r.Type === 'AWS::Logs::LogGroup' && typeof r.Properties?.LogGroupName === 'string')).toEqual([]);
  });

  it('finds a retained resource under a literal name (so an empty result above means something)', () => {
    const t: Template = {
      Resources: { Logs: { Type: 'AWS::Logs::LogGroup', Properties: { LogGroupName: '/aws/rds/instance/x/postgresql' }, DeletionPolicy: 'Retain' } },
    };
    expect(retainedFixedNames(t, named)).toEqual(['Logs (AWS::Logs::LogGroup) /aws/rds/instance/x/postgresql']);
  });
});

describe('docs/guide/lifecycle.md', () => {
  it.each(['AWS::RDS::DBInstance', 'AWS::RDS::DBCluster'])(
    'lists the properties of %s whose change replaces it, as the resource specification has them',
    async (type) => {
      const page = readFileSync(join(PACKAGE_ROOT, 'docs', 'guide', 'lifecycle.md'), 'utf8');
      const line = page.split('\n').find((l) => l.startsWith(`- \`${type}\` replaced when it changes: `))!;
      expect(line, type).toBeDefined();
      const listed = [
        ...line
          .split(': ')
          .slice(1)
          .join(': ')
          .matchAll(/`([A-Za-z]+)`/g),
      ].map((m) => m[1]);
      const db = await loadAwsServiceSpec();
      const resource = db.lookup('resource', 'cloudFormationType', 'equals', type).only();
      const replacing = Object.entries(resource.properties)
        .filter(([, p]) => p.causesReplacement === 'yes')
        .map(([k]) => k);
      expect(listed).toEqual(replacing.sort());
    },
  );
});
