/** buildApp / buildAuroraApp: the stack bin/app.ts builds from the checked configuration. */
import { statSync } from 'node:fs';
import { relative } from 'node:path';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { REPO_FILES, STACK_NAME, buildApp, buildAuroraApp } from '../../lib/app';
import { readAppConfig } from '../../lib/app-config';
import { AuroraDatabaseStack } from '../../lib/aurora-database-stack';
import { DatabaseStack } from '../../lib/database-stack';
import { PACKAGE_ROOT } from '../../lib/paths';
import { PROP } from '../../lambda/handler/constants';
import { tempDir } from '../support/files';
import { databaseFunctionsOutsideTheVpc, functionsGivenTheDatabase } from '../support/template-rules';

const config = (ctx: Record<string, string>) => readAppConfig((k) => ctx[k], Object.keys(ctx));

let rds: DatabaseStack;
let aurora: AuroraDatabaseStack;

beforeAll(() => {
  const migrationsDir = tempDir({ '1_a.sql': 'CREATE TABLE a (id int);\n' });
  const app = new App();
  rds = buildApp(
    app,
    config({
      'schemaguard:stage': 'prod',
      'schemaguard:instanceClass': 'db.m7g.large',
      'schemaguard:engineVersion': '17',
      'schemaguard:databaseName': 'orders',
      'schemaguard:instanceIdentifier': 'orders-db',
      'schemaguard:natGateways': '1',
      'schemaguard:logRetentionDays': '90',
      'schemaguard:alarmEmail': 'oncall@example.com',
      'schemaguard:alarmTicketEmail': 'db-tickets@example.com',
      'schemaguard:migrationsRevision': '2',
    }),
    { migrationsDir },
  );
  aurora = buildAuroraApp(
    app,
    config({ 'schemaguard:engine': 'aurora', 'schemaguard:instanceIdentifier': 'app-cluster', 'schemaguard:migrationsRevision': '3' }),
    { migrationsDir, stackName: 'Aurora' },
  );
});

describe('Function: buildApp', () => {
  it('builds the RDS stack under the default name with every configured value', () => {
    expect(rds).toBeInstanceOf(DatabaseStack);
    expect(rds.stackName).toBe(STACK_NAME);
    expect(rds.templateOptions.description).toBe('schemaguard (prod): RDS PostgreSQL 17 with deploy-time schema migrations');
    const t = Template.fromStack(rds);
    t.hasResourceProperties('AWS::RDS::DBInstance', {
      DBInstanceClass: 'db.m7g.large',
      EngineVersion: '17',
      DBName: 'orders',
      DBInstanceIdentifier: 'orders-db',
      DeletionProtection: true,
    });
    t.resourceCountIs('AWS::EC2::NatGateway', 1);
    t.hasResourceProperties('Custom::LogRetention', { LogGroupName: '/aws/rds/instance/orders-db/postgresql', RetentionInDays: 90 });
    t.hasResourceProperties('Custom::SchemaMigrations', { [PROP.revision]: '2' });
    t.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'email',
      Endpoint: 'oncall@example.com',
      TopicArn: { Ref: rds.getLogicalId(rds.alarms.topic.node.defaultChild as never) },
    });
    t.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'email',
      Endpoint: 'db-tickets@example.com',
      TopicArn: { Ref: rds.getLogicalId(rds.alarms.ticketTopic.node.defaultChild as never) },
    });
    // onEvent, isComplete, the operator function, the role provisioner and the guard connect: each in the VPC.
    expect(databaseFunctionsOutsideTheVpc(t.toJSON())).toEqual([]);
    expect(functionsGivenTheDatabase(t.toJSON())).toHaveLength(5);
  });
});

describe('Function: buildAuroraApp', () => {
  it('builds the Aurora stack under the given name, the instance identifier naming the cluster', () => {
    expect(aurora).toBeInstanceOf(AuroraDatabaseStack);
    expect(aurora.stackName).toBe('Aurora');
    expect(aurora.templateOptions.description).toMatch(/^schemaguard \(dev\): Aurora PostgreSQL Serverless v2/);
    const t = Template.fromStack(aurora);
    t.hasResourceProperties('AWS::RDS::DBCluster', { DBClusterIdentifier: 'app-cluster', DatabaseName: 'app' });
    t.hasResourceProperties('Custom::SchemaMigrations', { [PROP.revision]: '3' });
    t.resourceCountIs('AWS::EC2::NatGateway', 0);
    t.resourceCountIs('AWS::SNS::Subscription', 0);
  });
});

describe('Constant: REPO_FILES', () => {
  it("names this repository's own migrations/, contracts/ and snapshot, which bin/app.ts passes explicitly", () => {
    expect(Object.fromEntries(Object.entries(REPO_FILES).map(([k, v]) => [k, relative(PACKAGE_ROOT, v)]))).toEqual({
      migrationsDir: 'migrations',
      contractsDir: 'contracts',
      snapshotFile: 'lambda/schema/snapshot.json',
    });
    expect(statSync(REPO_FILES.migrationsDir).isDirectory()).toBe(true);
    expect(statSync(REPO_FILES.contractsDir).isDirectory()).toBe(true);
    expect(statSync(REPO_FILES.snapshotFile).isFile()).toBe(true);
  });
});
