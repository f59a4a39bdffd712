/** What a database stack derives from its stage, and the identifier check both stacks make. */
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as logs from 'aws-cdk-lib/aws-logs';
import { describe, expect, it } from 'vitest';
import type { Stage } from '../../lib/app-config';
import { checkIdentifier, databaseIdentifier, databaseNamePart, stageSettings } from '../../lib/stage-settings';

describe('Function: stageSettings', () => {
  it('dev is disposable: logs and database destroyed with the stack, no deletion protection, 1 day of backups, a month of logs', () => {
    const dev = stageSettings('TestStack', 'dev');
    expect(dev).toMatchObject({
      stage: 'dev',
      prod: false,
      logRetention: logs.RetentionDays.ONE_MONTH,
      logRemovalPolicy: RemovalPolicy.DESTROY,
      databaseRemovalPolicy: RemovalPolicy.DESTROY,
      deletionProtection: false,
      keyRemovalPolicy: RemovalPolicy.DESTROY,
    });
    expect(dev.backupRetention.toDays()).toBe(1);
  });

  it('prod keeps: logs retained, a final snapshot, deletion protection, 14 days of backups, a year of logs', () => {
    const prod = stageSettings('TestStack', 'prod');
    expect(prod).toMatchObject({
      stage: 'prod',
      prod: true,
      logRetention: logs.RetentionDays.ONE_YEAR,
      logRemovalPolicy: RemovalPolicy.RETAIN,
      databaseRemovalPolicy: RemovalPolicy.SNAPSHOT,
      deletionProtection: true,
      keyRemovalPolicy: RemovalPolicy.RETAIN,
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
    expect(() => checkIdentifier('TestStack', 'clusterIdentifier', id)).toThrow(
      `TestStack: "clusterIdentifier" ${JSON.stringify(id)} is not a literal RDS identifier; use 1 to 63 lowercase letters`,
    );
  });
});

describe('Function: databaseNamePart', () => {
  it.each([
    ['app', 'app'],
    ['Orders_EU', 'orders-eu'],
    ['orders__2', 'orders-2'],
  ])('folds %s to %s', (name, part) => {
    expect(databaseNamePart(name)).toBe(part);
  });

  it("keeps a long name's first letters and ends with 6 hex digits of its hash, so two names never share a part", () => {
    const a = databaseNamePart(`a${'b'.repeat(50)}`);
    const b = databaseNamePart(`a${'b'.repeat(51)}`);
    expect(a).toMatch(/^db-ab+-[0-9a-f]{6}$/);
    expect(a.length).toBeLessThanOrEqual(40);
    expect(a).not.toBe(b);
  });
});

describe('Function: databaseIdentifier', () => {
  it('defaults to schemaguard-<stage>-<database name part>', () => {
    expect(databaseIdentifier('TestStack', 'instanceIdentifier', 'dev', 'app')).toBe('schemaguard-dev-app');
    expect(databaseIdentifier('TestStack', 'instanceIdentifier', 'prod', 'Orders_EU')).toBe('schemaguard-prod-orders-eu');
  });

  it.each(['orders-prod', 'orders', 'eu-orders-db'])('takes a given identifier that names the database "orders": %s', (id) => {
    expect(databaseIdentifier('TestStack', 'instanceIdentifier', 'prod', 'orders', id)).toBe(id);
  });

  it('refuses a given identifier that does not name the database, naming both props and why (CloudFormation cannot replace a custom-named instance)', () => {
    expect(() => databaseIdentifier('TestStack', 'clusterIdentifier', 'prod', 'sales', 'orders-prod')).toThrow(
      /^TestStack: "clusterIdentifier" "orders-prod" does not name the database "sales" \("sales" between hyphens, e\.g\. "orders-prod-sales"\): "databaseName" replaces the database when it changes .* CloudFormation cannot replace one whose "clusterIdentifier" stays the same/,
    );
    // A word that only contains the name is not it.
    expect(() => databaseIdentifier('TestStack', 'instanceIdentifier', 'dev', 'app', 'myapp-dev')).toThrow(/does not name the database "app"/);
  });

  it('checks the given identifier is an RDS identifier first', () => {
    expect(() => databaseIdentifier('TestStack', 'instanceIdentifier', 'dev', 'app', 'Bad_Id')).toThrow(
      /"instanceIdentifier" "Bad_Id" is not a literal RDS identifier/,
    );
  });
});
