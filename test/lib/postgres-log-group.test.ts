/** The log group a database exports its PostgreSQL log to, created by the stack. */
import { App, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as logs from 'aws-cdk-lib/aws-logs';
import { describe, expect, it } from 'vitest';
import { postgresLogGroup, postgresLogGroupName } from '../../lib/postgres-log-group';

describe('Function: postgresLogGroupName', () => {
  it('is the name RDS exports to, for an instance and for a cluster', () => {
    expect(postgresLogGroupName('instance', 'schemaguard-dev')).toBe('/aws/rds/instance/schemaguard-dev/postgresql');
    expect(postgresLogGroupName('cluster', 'orders')).toBe('/aws/rds/cluster/orders/postgresql');
  });
});

describe('Function: postgresLogGroup', () => {
  it('creates `PostgresLogs` with the name, the retention and the removal policy', () => {
    const stack = new Stack(new App(), 'Logs');
    const group = postgresLogGroup(stack, 'cluster', 'orders', { logRetention: logs.RetentionDays.ONE_YEAR, logRemovalPolicy: RemovalPolicy.RETAIN });
    const t = Template.fromStack(stack);
    t.resourceCountIs('AWS::Logs::LogGroup', 1);
    t.hasResource('AWS::Logs::LogGroup', {
      Properties: { LogGroupName: '/aws/rds/cluster/orders/postgresql', RetentionInDays: 365 },
      DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain',
    });
    expect(Object.keys(t.findResources('AWS::Logs::LogGroup'))).toEqual(['PostgresLogs6ACF17F4']);
    expect(stack.resolve(group.logGroupName)).toEqual({ Ref: 'PostgresLogs6ACF17F4' });
  });
});
