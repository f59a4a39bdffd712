/** What a database stack derives from its stage, and the identifier check both stacks make. */
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as logs from 'aws-cdk-lib/aws-logs';
import { describe, expect, it } from 'vitest';
import type { Stage } from '../../lib/app-config';
import { checkIdentifier, stageSettings } from '../../lib/stage-settings';

describe('Function: stageSettings', () => {
  it('dev is disposable: logs and database destroyed with the stack, no deletion protection, 1 day of backups, a month of logs', () => {
    const dev = stageSettings('TestStack', 'dev');
    expect(dev).toMatchObject({
      stage: 'dev', prod: false, logRetention: logs.RetentionDays.ONE_MONTH,
      logRemovalPolicy: RemovalPolicy.DESTROY, databaseRemovalPolicy: RemovalPolicy.DESTROY, deletionProtection: false,
    });
    expect(dev.backupRetention.toDays()).toBe(1);
  });

  it('prod keeps: logs retained, a final snapshot, deletion protection, 14 days of backups, a year of logs', () => {
    const prod = stageSettings('TestStack', 'prod');
    expect(prod).toMatchObject({
      stage: 'prod', prod: true, logRetention: logs.RetentionDays.ONE_YEAR,
      logRemovalPolicy: RemovalPolicy.RETAIN, databaseRemovalPolicy: RemovalPolicy.SNAPSHOT, deletionProtection: true,
    });
    expect(prod.backupRetention.toDays()).toBe(Duration.days(14).toDays());
  });

  it('a given log retention wins over the stage default', () => {
    expect(stageSettings('TestStack', 'prod', logs.RetentionDays.THREE_MONTHS).logRetention).toBe(90);
    expect(stageSettings('TestStack', 'dev', logs.RetentionDays.ONE_WEEK).logRetention).toBe(7);
  });

  it('refuses another stage, naming the stack', () => {
    expect(() => stageSettings('TestStack', 'qa' as Stage)).toThrow(/^TestStack: "stage" is "qa"; use 'dev' or 'prod'$/);
  });
});

describe('Function: checkIdentifier', () => {
  it.each(['schemaguard-dev', 'orders-db', 'a', `a${'b'.repeat(62)}`])('accepts %s', (id) => {
    expect(() => checkIdentifier('TestStack', 'instanceIdentifier', id)).not.toThrow();
  });

  it.each(['Bad_Id', 'Orders', '1db', 'db-', 'db--x', '', `a${'b'.repeat(63)}`])('refuses %j, naming the stack and the prop', (id) => {
    expect(() => checkIdentifier('TestStack', 'clusterIdentifier', id)).toThrow(`TestStack: "clusterIdentifier" ${JSON.stringify(id)} is not a literal RDS identifier; use 1 to 63 lowercase letters`);
  });
});
