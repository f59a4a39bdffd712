/** The log group a database exports its PostgreSQL log to, created by the stack. */
import { App, CfnParameter, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as logs from 'aws-cdk-lib/aws-logs';
import { describe, expect, it } from 'vitest';
import { postgresLogGroup, postgresLogGroupName } from '../../lib/postgres-log-group';

describe('Function: postgresLogGroupName', () => {
  it('is the name RDS exports to, for an instance and for a cluster', () => {
    expect(postgresLogGroupName('instance', 'schemaguard-dev')).toBe('/aws/rds/instance/schemaguard-dev/postgresql');
    expect(postgresLogGroupName('cluster', 'orders')).toBe('/aws/rds/cluster/orders/postgresql');
  });

  // Regression: an identifier with capitals gave a group RDS never exports to (it stores identifiers in lower case), so its alarms never fired.
  it('is in lower case, as RDS stores the identifier and names the group', () => {
    expect(postgresLogGroupName('instance', 'Widgets-DB')).toBe('/aws/rds/instance/widgets-db/postgresql');
  });

  it('keeps a token as it is (it resolves to the identifier as RDS stores it)', () => {
    const id = new CfnParameter(new Stack(new App(), 'Tok'), 'Id').valueAsString;
    expect(postgresLogGroupName('cluster', id)).toBe(`/aws/rds/cluster/${id}/postgresql`);
  });

  it.each([
    [
      'instance',
      'widgets db',
      'postgresLogGroupName: "widgets db" is not an RDS instance identifier; pass the identifier the instance has: 1 to 63 letters, digits or hyphens, a letter first, no hyphen last or twice in a row',
    ],
    ['cluster', '1orders', '"1orders" is not an RDS cluster identifier'],
    ['instance', 'app--db', '"app--db" is not an RDS instance identifier'],
    ['instance', 'app-', '"app-" is not an RDS instance identifier'],
    ['instance', `a${'b'.repeat(63)}`, 'is not an RDS instance identifier'],
    [
      'Instance',
      'orders',
      "postgresLogGroupName: kind \"Instance\" is not 'instance' or 'cluster'; pass 'instance' for an rds.DatabaseInstance, 'cluster' for an Aurora cluster",
    ],
  ])('refuses kind %s with %s, naming the value', (kind, identifier, message) => {
    expect(() => postgresLogGroupName(kind as never, identifier)).toThrow(message);
  });
});

describe('Function: postgresLogGroup', () => {
  it.each([
    [RemovalPolicy.RETAIN, 'retain'],
    [RemovalPolicy.DESTROY, 'destroy'],
  ] as const)(
    'makes the group exist with its retention through a create-or-update resource `PostgresLogRetention`, no named AWS::Logs::LogGroup (removal %s)',
    (removalPolicy, rendered) => {
      const stack = new Stack(new App(), 'Logs');
      const group = postgresLogGroup(stack, 'cluster', 'orders', { logRetention: logs.RetentionDays.ONE_YEAR, logRemovalPolicy: removalPolicy });
      const t = Template.fromStack(stack);
      // A named group kept on delete would make the next deploy of the stack fail with "already exists".
      t.resourceCountIs('AWS::Logs::LogGroup', 0);
      t.resourceCountIs('Custom::LogRetention', 1);
      t.hasResourceProperties('Custom::LogRetention', { LogGroupName: '/aws/rds/cluster/orders/postgresql', RetentionInDays: 365, RemovalPolicy: rendered });
      expect(Object.keys(t.findResources('Custom::LogRetention'))).toEqual([stack.getLogicalId(group.retention.node.defaultChild as never)]);
      expect(group.logGroup.logGroupName).toBe('/aws/rds/cluster/orders/postgresql');
      expect(group.retention.node.path).toBe('Logs/PostgresLogRetention');
    },
  );
});
