import { App, CfnParameter, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as rds from 'aws-cdk-lib/aws-rds';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { describe, expect, it } from 'vitest';
import { defaultGuardRoleName, GuardRole } from '../../lib/guard-role';
import { SchemaMigrations } from '../../lib/schema-migrations';
import { tempDir } from '../support/files';

describe('Function: defaultGuardRoleName', () => {
  // Regression: a token was folded into schemaguard_guard___token_token_9___<hash>, a name that changed with unrelated edits to the app.
  it('refuses a database name known only at deploy time, naming the token and the fix', () => {
    // Prepare
    const name = new CfnParameter(new Stack(new App(), 'Roles'), 'DbName').valueAsString;
    // Act / Assess
    expect(() => defaultGuardRoleName(name)).toThrow(
      `defaultGuardRoleName: the database name is a value known only at deploy time (${name}), and a role name is fixed at synth time`,
    );
    expect(() => defaultGuardRoleName(name)).toThrow('pass the literal database name, or choose the role name yourself (SchemaGuard\'s "roleName")');
  });

  it('a literal name is unchanged by the check', () => {
    expect(defaultGuardRoleName('orders')).toBe('schemaguard_guard_orders');
  });
});

describe('Class: GuardRole', () => {
  const migrationsDir = tempDir({ '1_a.sql': 'CREATE TABLE a (id int);\n' });
  const withMigrations = (): { stack: Stack; migrations: SchemaMigrations } => {
    const stack = new Stack(new App(), 'Roles');
    const vpc = new ec2.Vpc(stack, 'Vpc', { natGateways: 0, subnetConfiguration: [{ name: 'db', subnetType: ec2.SubnetType.PRIVATE_ISOLATED }] });
    const sg = new ec2.SecurityGroup(stack, 'Sg', { vpc });
    const database = rds.DatabaseInstance.fromDatabaseInstanceAttributes(stack, 'Db', {
      instanceIdentifier: 'x',
      instanceEndpointAddress: 'x',
      port: 5432,
      securityGroups: [sg],
    });
    const migrations = new SchemaMigrations(stack, 'M', { secret: new secretsmanager.Secret(stack, 'S'), database, vpc, migrationsDir, parseAtSynth: false });
    return { stack, migrations };
  };

  it('puts a revision into the role resource as it is, and none when left out', () => {
    const { stack, migrations } = withMigrations();
    new GuardRole(stack, 'Revised', { migrations, roleName: 'guard_a', revision: 3 });
    new GuardRole(stack, 'Plain', { migrations, roleName: 'guard_b' });
    const t = Template.fromStack(stack);
    t.hasResourceProperties('Custom::SchemaguardGuardRole', { RoleName: 'guard_a', Revision: '3' });
    t.hasResourceProperties('Custom::SchemaguardGuardRole', { RoleName: 'guard_b', Revision: Match.absent() });
  });

  // Regression: GuardRole took any revision (-1, 1.5, NaN, "2") into the resource's properties unchecked.
  it.each([
    [{ revision: -1 }, 'GuardRole: "revision" is -1; use a whole number from 0, and raise it to set the role again from its secret'],
    [{ revision: 1.5 }, 'GuardRole: "revision" is 1.5; use a whole number from 0'],
    [{ revision: Number.NaN }, 'GuardRole: "revision" is NaN; use a whole number from 0'],
    [{ revision: '2' as never }, 'GuardRole: "revision" is "2" (a string); pass a number'],
    [{ roleName: 5 as never }, 'GuardRole: "roleName" is 5 (a number); pass a string'],
  ])('refuses %j, naming the prop, the value and the fix', (props, message) => {
    const { stack, migrations } = withMigrations();
    expect(() => new GuardRole(stack, 'Role', { migrations, roleName: 'guard_a', ...props })).toThrow(message);
  });
});
