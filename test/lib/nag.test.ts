/**
 * cdk-nag AwsSolutions on the app as bin/app.ts builds it (dev and prod):
 * no unacknowledged finding; every acknowledgement has a specific reason and
 * is listed in docs/reference/more/cdk-nag.md, which is generated from them. (The synthesis path bin/app.ts uses — the
 * Validations plugin — is exercised by test/bin/app.test.ts.)
 */
import { App } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../lib/app';
import { readAppConfig } from '../../lib/app-config';
import type { DatabaseStack } from '../../lib/database-stack';
import { acknowledgeDevDeletionProtection, acknowledgedRules } from '../../lib/nag';
import { tempDir } from '../support/files';

let app: App;
let dev: DatabaseStack;
let prod: DatabaseStack;

beforeAll(() => {
  const migrationsDir = tempDir({ '1_a.sql': 'CREATE TABLE a (id int);\n' });
  app = new App();
  dev = buildApp(
    app,
    readAppConfig(() => undefined, []),
    { migrationsDir, stackName: 'Dev' },
  );
  prod = buildApp(
    app,
    readAppConfig((k) => (k === 'schemaguard:stage' ? 'prod' : undefined), ['schemaguard:stage']),
    { migrationsDir, stackName: 'Prod' },
  );
});

describe('cdk-nag AwsSolutionsChecks', () => {
  it.each(['dev', 'prod'] as const)('%s: no finding is left unacknowledged', (stage) => {
    const report = new AwsSolutionsChecks().validateScope(stage === 'dev' ? dev : prod);
    const open = report.violations.map((v) => `${v.ruleName} (${v.severity}): ${v.violatingResources.map((r) => r.resourceLogicalId).join(', ')}`);
    expect(open).toEqual([]);
    expect(report.success).toBe(true);
  });

  it('every acknowledgement names its rule and a specific reason (docs/reference/more/cdk-nag.md lists them, generated)', () => {
    // Only the cdk-nag rules are ours (aws-cdk-lib acknowledges some of its own template checks).
    const rules = [...acknowledgedRules(dev), ...acknowledgedRules(prod)].filter((r) => r.id.startsWith('AwsSolutions-'));
    expect(rules.length).toBeGreaterThan(0);
    for (const r of rules) {
      expect(r.id).toMatch(/^AwsSolutions-[A-Z]+\d+/);
      expect(r.reason.length, `${r.id} at ${r.path}`).toBeGreaterThanOrEqual(60);
    }
    // dev-only acknowledgements do not leak into prod.
    expect(acknowledgedRules(prod).map((r) => r.id)).not.toContain('AwsSolutions-RDS3');
    expect(acknowledgedRules(prod).map((r) => r.id)).not.toContain('AwsSolutions-RDS10');
    expect(acknowledgedRules(dev).map((r) => r.id)).toContain('AwsSolutions-RDS10');
    // LogRetention may delete the PostgreSQL log group only where the stack deletes it (dev).
    const deletesLogGroup = (rules: { id: string }[]) => rules.filter((r) => r.id.includes(':log-group:/aws/rds/'));
    expect(deletesLogGroup(acknowledgedRules(dev))).toHaveLength(1);
    expect(deletesLogGroup(acknowledgedRules(prod))).toEqual([]);
  });
});

describe('the check itself', () => {
  it('reports findings on a stack nobody acknowledged (so a clean report means something)', async () => {
    const { Stack } = await import('aws-cdk-lib');
    const ec2 = await import('aws-cdk-lib/aws-ec2');
    const rds = await import('aws-cdk-lib/aws-rds');
    const s = new Stack(new App(), 'Bare');
    const vpc = new ec2.Vpc(s, 'Vpc', { natGateways: 0 });
    new rds.DatabaseInstance(s, 'Db', {
      engine: rds.DatabaseInstanceEngine.postgres({ version: rds.PostgresEngineVersion.VER_18_3 }),
      vpc,
      vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_ISOLATED },
    });
    const names = new AwsSolutionsChecks().validateScope(s).violations.map((v) => v.ruleName);
    expect(names).toEqual(expect.arrayContaining(['AwsSolutions-RDS3', 'AwsSolutions-RDS10', 'AwsSolutions-RDS11', 'AwsSolutions-VPC7']));
  });
});

describe('Function: acknowledgeDevDeletionProtection', () => {
  it('acknowledges AwsSolutions-RDS10 on the given construct only, with the dev-stage reason', async () => {
    const { Stack } = await import('aws-cdk-lib');
    const { Construct } = await import('constructs');
    const s = new Stack(new App(), 'Dev');
    const database = new Construct(s, 'Database');
    new Construct(s, 'Other');
    acknowledgeDevDeletionProtection(database);
    const rules = acknowledgedRules(s).filter((r) => r.id.startsWith('AwsSolutions-'));
    expect(rules).toEqual([
      { path: 'Dev/Database', id: 'AwsSolutions-RDS10', reason: expect.stringMatching(/^dev stage: deletion protection off so the stack can be destroyed/) },
    ]);
  });
});
