/**
 * SchemaMigrations' `baseline` (resource properties the handler reads,
 * checked at synth with the CLI's rules) and `operatorCommands` (the
 * function's environment; nothing granted).
 */
import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as rds from 'aws-cdk-lib/aws-rds';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { describe, expect, it } from 'vitest';
import { HISTORY_SOURCES } from '../../lambda/engine/foreign-history/foreign-history';
import { ENV, PROP } from '../../lambda/handler/constants';
import { SchemaMigrations, type DirectConnectionProps, type SchemaMigrationsBaseProps } from '../../lib/schema-migrations';
import { tempDir } from '../support/files';

/** Props over a connection, as these tests build them. */
type DirectProps = SchemaMigrationsBaseProps & DirectConnectionProps;

const migrationsDir = tempDir({ '1_a.sql': 'CREATE TABLE a (id int);\n', '2_b.sql': 'CREATE TABLE b (id int);\n', '5_c.sql': 'CREATE TABLE c (id int);\n' });

function synth(extra: Partial<DirectProps>): { s: Stack; m: SchemaMigrations; t: Template } {
  const s = new Stack(new App(), 'Adopt');
  const vpc = new ec2.Vpc(s, 'Vpc', { natGateways: 0, subnetConfiguration: [{ name: 'db', subnetType: ec2.SubnetType.PRIVATE_ISOLATED }] });
  const sg = new ec2.SecurityGroup(s, 'Sg', { vpc });
  const database = rds.DatabaseInstance.fromDatabaseInstanceAttributes(s, 'Db', {
    instanceIdentifier: 'x',
    instanceEndpointAddress: 'x',
    port: 5432,
    securityGroups: [sg],
  });
  const m = new SchemaMigrations(s, 'M', { secret: new secretsmanager.Secret(s, 'S'), database, vpc, migrationsDir, parseAtSynth: false, ...extra });
  return { s, m, t: Template.fromStack(s) };
}

describe('Prop: baseline', () => {
  it('is sent to the handler in the resource properties, the version as a string', () => {
    const { t } = synth({ baseline: { version: 2, reason: 'built by hand up to 2' } });
    t.hasResourceProperties('Custom::SchemaMigrations', {
      [PROP.baselineVersion]: '2',
      [PROP.baselineReason]: 'built by hand up to 2',
      [PROP.baselineFrom]: Match.absent(),
    });
  });

  it("takes 'none' and every tool of the foreign-history registry as from", () => {
    synth({ baseline: { version: 'none', reason: 'new schema beside old tables' } }).t.hasResourceProperties('Custom::SchemaMigrations', {
      [PROP.baselineVersion]: 'none',
    });
    for (const from of HISTORY_SOURCES) {
      synth({ baseline: { from, reason: `moved from ${from}` } }).t.hasResourceProperties('Custom::SchemaMigrations', {
        [PROP.baselineFrom]: from,
        [PROP.baselineVersion]: Match.absent(),
      });
    }
  });

  it('adds no property without it: a stack that never sets it keeps its template', () => {
    const resource = Object.values(synth({}).t.findResources('Custom::SchemaMigrations'))[0]!;
    expect(Object.keys(resource.Properties).sort()).toEqual([
      'DatabaseIdentity',
      'FilesHash',
      'LatestVersion',
      'MigrationCount',
      'ServiceTimeout',
      'ServiceToken',
    ]);
  });

  it.each([
    [
      { version: 3, reason: 'x' },
      /^SchemaMigrations: "baseline.version": baseline 3: no migration file has version 3; pass the version of the newest file the database already reflects, one of: 1, 2, 5$/,
    ],
    [{ version: 9, reason: 'x' }, /no migration file has version 9 \(the newest file is 5\)/],
    [{ version: 2.5, reason: 'x' }, /^SchemaMigrations: "baseline.version" is 2.5; give the version \(a whole number\) of the newest file/],
    [{ version: '2' as never, reason: 'x' }, /"baseline.version" is "2"/],
    [{ version: 2, reason: ' ' }, /^SchemaMigrations: "baseline" needs a reason \(kept with every row it records\)/],
    [{ version: 2 } as never, /"baseline" needs a reason/],
    [{ reason: 'x' } as never, /^SchemaMigrations: "baseline" takes a version or a from, one of them/],
    [{ version: 2, from: 'flyway', reason: 'x' } as never, /takes a version or a from, one of them/],
    [{ from: 'liquibase' as never, reason: 'x' }, new RegExp(`^SchemaMigrations: "baseline.from" is "liquibase"; use one of: ${HISTORY_SOURCES.join(', ')}`)],
    ['3' as never, /^SchemaMigrations: "baseline" must be an object/],
  ])('refuses %j at synth, naming the prop, the value and the fix', (baseline, message) => {
    expect(() => synth({ baseline })).toThrow(message);
  });
});

describe('Prop: operatorCommands', () => {
  it('writes: true sets the variable on the operator function alone; without it the function answers read-only commands only', () => {
    const on = synth({ operatorCommands: { writes: true } });
    on.t.hasResourceProperties('AWS::Lambda::Function', {
      Handler: 'index.operator',
      Environment: { Variables: Match.objectLike({ [ENV.operatorWrites]: 'true' }) },
    });
    const writers = Object.values(on.t.findResources('AWS::Lambda::Function')).filter((f) => f.Properties.Environment?.Variables?.[ENV.operatorWrites]);
    expect(writers.map((f) => f.Properties.Handler)).toEqual(['index.operator']);
    for (const off of [synth({}), synth({ operatorCommands: {} }), synth({ operatorCommands: { writes: false } })]) {
      const fns = Object.values(off.t.findResources('AWS::Lambda::Function')).filter((f) => f.Properties.Environment?.Variables?.[ENV.secretArn]);
      // onEvent, isComplete and the operator function.
      expect(fns).toHaveLength(3);
      for (const f of fns) expect(f.Properties.Environment.Variables[ENV.operatorWrites]).toBeUndefined();
    }
  });

  it('grants nothing new: no one but the Provider framework may invoke the migration function', () => {
    const { s, m, t } = synth({ operatorCommands: { writes: true } });
    const fn = s.getLogicalId(m.onEventHandler.node.defaultChild as never);
    expect(t.findResources('AWS::Lambda::Permission')).toEqual({});
    const invokers = Object.values(t.findResources('AWS::IAM::Policy')).filter((p) => JSON.stringify(p.Properties.PolicyDocument).includes(`"${fn}"`));
    // The framework's own functions (onEvent, isComplete, onTimeout) are the only principals with a policy naming it.
    expect(invokers.map((p) => p.Properties.Roles[0].Ref).sort()).toEqual([
      expect.stringMatching(/^MProviderframeworkisCompleteServiceRole/),
      expect.stringMatching(/^MProviderframeworkonEventServiceRole/),
      expect.stringMatching(/^MProviderframeworkonTimeoutServiceRole/),
    ]);
  });

  it.each([
    [{ writes: 'yes' } as never, /^SchemaMigrations: "operatorCommands.writes" is "yes"; use true or false$/],
    [true as never, /^SchemaMigrations: "operatorCommands" must be an object/],
  ])('refuses %j', (operatorCommands, message) => {
    expect(() => synth({ operatorCommands })).toThrow(message);
  });
});
