/**
 * DatabaseStack template assertions. One App with a dev and a prod stack,
 * synthesised once for the whole file (NodejsFunction bundling is the slow part).
 */
import { App, Duration, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as rds from 'aws-cdk-lib/aws-rds';
import * as sns from 'aws-cdk-lib/aws-sns';
import { beforeAll, describe, expect, it } from 'vitest';
import { ERROR_CATALOG } from '../../lib/alarms/error-catalog';
import { GUARD_ALARMS } from '../../lib/alarms/guard-catalog';
import { DatabaseStack } from '../../lib/database-stack';
import { tempDir } from '../support/files';

let dev: DatabaseStack;
let prod: DatabaseStack;
let devT: Template;
let prodT: Template;
let devJson: string;

beforeAll(() => {
  const migrationsDir = tempDir({ '1_a.sql': 'CREATE TABLE a (id int);\n', '2_b.sql': 'CREATE TABLE b (id int);\n' });
  const app = new App();
  dev = new DatabaseStack(app, 'Dev', { stage: 'dev', migrationsDir });
  prod = new DatabaseStack(app, 'Prod', {
    stage: 'prod',
    migrationsDir,
    alarmEmail: 'oncall@example.com',
    alarmHttpsUrl: 'https://events.example.com/integration/k/enqueue',
    instanceType: ec2.InstanceType.of(ec2.InstanceClass.M7G, ec2.InstanceSize.LARGE),
    engineVersion: rds.PostgresEngineVersion.VER_17,
    databaseName: 'orders',
    instanceIdentifier: 'orders-prod',
  });
  devT = Template.fromStack(dev);
  prodT = Template.fromStack(prod);
  devJson = JSON.stringify(devT.toJSON());
});

function logicalId(t: Template, type: string, props: Record<string, unknown>): string {
  const found = Object.keys(t.findResources(type, { Properties: Match.objectLike(props) }));
  expect(found).toHaveLength(1);
  return found[0]!;
}

describe('Class: DatabaseStack', () => {
  describe('network', () => {
    it('has isolated subnets only: no NAT gateway, no internet gateway, no public IPs', () => {
      devT.resourceCountIs('AWS::EC2::NatGateway', 0);
      devT.resourceCountIs('AWS::EC2::InternetGateway', 0);
      devT.resourceCountIs('AWS::EC2::Subnet', 2);
      devT.allResourcesProperties('AWS::EC2::Subnet', { MapPublicIpOnLaunch: false });
      devT.resourceCountIs('AWS::EC2::Route', 0);
    });

    it('reaches Secrets Manager through an interface endpoint with private DNS, open only to the groups that need it', () => {
      devT.hasResourceProperties('AWS::EC2::VPCEndpoint', {
        VpcEndpointType: 'Interface',
        PrivateDnsEnabled: true,
        ServiceName: Match.objectLike({ 'Fn::Join': ['', Match.arrayWith([Match.stringLikeRegexp('secretsmanager')])] }),
      });
      // No ingress from the whole VPC CIDR: only from the handler's, the rotation's and the guard's groups.
      devT.resourcePropertiesCountIs('AWS::EC2::SecurityGroup', { SecurityGroupIngress: Match.arrayWith([Match.objectLike({ CidrIp: Match.anyValue() })]) }, 0);
      // 443 into the endpoints: Secrets Manager's from the handler, the rotation and the guard; CloudFormation's from the handler.
      devT.resourcePropertiesCountIs('AWS::EC2::SecurityGroupIngress', { FromPort: 443, ToPort: 443, IpProtocol: 'tcp' }, 4);
      devT.hasResourceProperties('AWS::EC2::SecurityGroupIngress', { FromPort: 443, Description: 'schemaguard guard to Secrets Manager' });
    });

    it('logs VPC flows to a log group with retention', () => {
      devT.hasResourceProperties('AWS::EC2::FlowLog', { TrafficType: 'ALL', LogDestinationType: 'cloud-watch-logs' });
    });
  });

  describe('database', () => {
    it('is PostgreSQL 18.3 on gp3, encrypted, private, IAM auth on, with backups, the postgresql log exported, a literal identifier', () => {
      devT.hasResourceProperties('AWS::RDS::DBInstance', {
        Engine: 'postgres',
        EngineVersion: '18.3',
        DBInstanceClass: 'db.t4g.micro',
        DBInstanceIdentifier: 'schemaguard-dev-app',
        DBName: 'app',
        StorageType: 'gp3',
        AllocatedStorage: '20',
        MaxAllocatedStorage: 100,
        StorageEncrypted: true,
        PubliclyAccessible: false,
        EnableIAMDatabaseAuthentication: true,
        BackupRetentionPeriod: 1,
        EnableCloudwatchLogsExports: ['postgresql'],
        MasterUsername: 'postgres',
      });
    });

    it('dev: no deletion protection, deleted with the stack, single-AZ', () => {
      devT.hasResource('AWS::RDS::DBInstance', {
        Properties: Match.objectLike({ DeletionProtection: false, MultiAZ: false }),
        DeletionPolicy: 'Delete',
        UpdateReplacePolicy: 'Delete',
      });
    });

    it('prod: deletion protection, a snapshot on delete, Multi-AZ, 14 days of backups, the configured class, version and names', () => {
      prodT.hasResource('AWS::RDS::DBInstance', {
        Properties: Match.objectLike({
          DeletionProtection: true,
          MultiAZ: true,
          BackupRetentionPeriod: 14,
          DeleteAutomatedBackups: false,
          DBInstanceClass: 'db.m7g.large',
          EngineVersion: '17',
          DBInstanceIdentifier: 'orders-prod',
          DBName: 'orders',
        }),
        DeletionPolicy: 'Snapshot',
        UpdateReplacePolicy: 'Snapshot',
      });
      prodT.hasResourceProperties('Custom::LogRetention', {
        LogGroupName: '/aws/rds/instance/orders-prod/postgresql',
        RetentionInDays: 365,
        RemovalPolicy: 'retain',
      });
      // A major engine version in engineVersion upgrades the instance in place.
      prodT.hasResourceProperties('AWS::RDS::DBInstance', { AllowMajorVersionUpgrade: true });
    });

    it('uses a parameter group that forces TLS and logs failing statements and lock waits; the log line prefix is left to RDS', () => {
      devT.hasResourceProperties('AWS::RDS::DBParameterGroup', {
        Family: 'postgres18',
        Parameters: { 'rds.force_ssl': '1', log_min_error_statement: 'error', log_lock_waits: '1', log_line_prefix: Match.absent() },
      });
      prodT.hasResourceProperties('AWS::RDS::DBParameterGroup', { Family: 'postgres17' });
      const instance = devT.findResources('AWS::RDS::DBInstance');
      const pg = logicalId(devT, 'AWS::RDS::DBParameterGroup', {});
      expect(Object.values(instance)[0]!.Properties.DBParameterGroupName).toEqual({ Ref: pg });
    });

    it('makes /aws/rds/instance/<id>/postgresql exist with retention before the instance (create-or-update: deleted with dev)', () => {
      const lg = logicalId(devT, 'Custom::LogRetention', {
        LogGroupName: '/aws/rds/instance/schemaguard-dev-app/postgresql',
        RetentionInDays: 30,
        RemovalPolicy: 'destroy',
      });
      devT.hasResource('AWS::RDS::DBInstance', { DependsOn: Match.arrayWith([lg]) });
      devT.resourcePropertiesCountIs('AWS::Logs::LogGroup', { LogGroupName: '/aws/rds/instance/schemaguard-dev-app/postgresql' }, 0);
      expect(dev.postgresLogGroup.logGroupName).toBe('/aws/rds/instance/schemaguard-dev-app/postgresql');
    });

    it('generates the master secret (no password in the template), attaches it, and rotates it every 30 days', () => {
      devT.hasResourceProperties('AWS::SecretsManager::Secret', {
        GenerateSecretString: Match.objectLike({ SecretStringTemplate: '{"username":"postgres"}', GenerateStringKey: 'password' }),
        SecretString: Match.absent(),
      });
      devT.hasResourceProperties('AWS::SecretsManager::SecretTargetAttachment', { TargetType: 'AWS::RDS::DBInstance' });
      devT.hasResourceProperties('AWS::SecretsManager::RotationSchedule', { RotationRules: { ScheduleExpression: 'rate(30 days)' } });
      devT.hasResourceProperties('AWS::RDS::DBInstance', {
        MasterUserPassword: { 'Fn::Join': ['', Match.arrayWith([Match.stringLikeRegexp('^\\{\\{resolve:secretsmanager:$'), ':SecretString:password::}}'])] },
      });
    });
  });

  describe('what must not exist', () => {
    it('no public database, no NAT, no public subnet', () => {
      devT.resourcePropertiesCountIs('AWS::RDS::DBInstance', { PubliclyAccessible: true }, 0);
      devT.resourceCountIs('AWS::EC2::NatGateway', 0);
      devT.resourcePropertiesCountIs('AWS::EC2::Subnet', { MapPublicIpOnLaunch: true }, 0);
    });

    it('no secret value anywhere: no literal password, no secret in an environment variable', () => {
      expect(devJson).not.toMatch(/"(MasterUserPassword|SecretString|Password|password)"\s*:\s*"[^"{]/);
      expect(devJson).not.toMatch(/"SecretString"/);
      for (const fn of Object.values(devT.findResources('AWS::Lambda::Function'))) {
        const vars = (fn.Properties.Environment?.Variables ?? {}) as Record<string, unknown>;
        for (const [k, v] of Object.entries(vars)) {
          expect(k).not.toMatch(/PASSWORD|PASSWD|SECRET_VALUE|CONNECTION_STRING|DATABASE_URL/i);
          expect(JSON.stringify(v)).not.toMatch(/resolve:secretsmanager|SecretString|postgres:\/\//);
        }
      }
    });
  });

  describe('wiring for the alarms and the application', () => {
    it('exposes the log group, the instance, the secret and the migrations', () => {
      expect(dev.instance).toBeInstanceOf(rds.DatabaseInstance);
      expect(dev.secret).toBe(dev.instance.secret);
      expect(dev.migrations.node.path).toBe('Dev/SchemaMigrations');
      expect(dev.instanceIdentifier).toBe('schemaguard-dev-app');
      expect(dev.postgresLogGroup.logGroupName).toBe('/aws/rds/instance/schemaguard-dev-app/postgresql');
    });

    it('runs the migrations after the database exists, and names its log group in failures', () => {
      const db = Object.keys(devT.findResources('AWS::RDS::DBInstance'))[0]!;
      devT.hasResource('Custom::SchemaMigrations', { DependsOn: Match.arrayWith([db]) });
      devT.hasResourceProperties('AWS::Lambda::Function', {
        Handler: 'index.onEvent',
        Environment: {
          Variables: Match.objectLike({ SCHEMAGUARD_DATABASE_NAME: 'app', SCHEMAGUARD_DATABASE_LOG_GROUP: '/aws/rds/instance/schemaguard-dev-app/postgresql' }),
        },
      });
    });
  });

  describe('alarms', () => {
    it("puts one metric filter per catalog class on the PostgreSQL log group, and one alarm each plus the migration alarm and the guard's", () => {
      const logGroup = logicalId(devT, 'Custom::LogRetention', { LogGroupName: '/aws/rds/instance/schemaguard-dev-app/postgresql' });
      devT.resourceCountIs('AWS::Logs::MetricFilter', ERROR_CATALOG.length);
      devT.allResourcesProperties('AWS::Logs::MetricFilter', { LogGroupName: '/aws/rds/instance/schemaguard-dev-app/postgresql' });
      // The group exists first: the filters wait for the resource that makes it.
      for (const f of Object.values(devT.findResources('AWS::Logs::MetricFilter'))) expect(f.DependsOn).toContain(logGroup);
      devT.resourceCountIs('AWS::CloudWatch::Alarm', ERROR_CATALOG.length + 1 + GUARD_ALARMS.length);
      devT.hasResourceProperties('AWS::CloudWatch::Alarm', { AlarmName: 'schemaguard-dev-app-page-not-null-violation' });
    });

    it("regression: dev's and prod's error metrics are their own (one namespace made an error in dev page prod), no dimensions", () => {
      const namespaces = (t: Template) => [
        ...new Set(Object.values(t.findResources('AWS::Logs::MetricFilter')).map((f) => f.Properties.MetricTransformations[0].MetricNamespace)),
      ];
      expect(namespaces(devT)).toEqual(['Schemaguard/Database/schemaguard-dev-app']);
      expect(namespaces(prodT)).toEqual(['Schemaguard/Database/orders-prod']);
      devT.allResourcesProperties('AWS::Logs::MetricFilter', { MetricTransformations: [Match.objectLike({ Dimensions: Match.absent() })] });
      devT.hasResourceProperties('AWS::CloudWatch::Alarm', {
        AlarmName: 'schemaguard-dev-app-page-not-null-violation',
        Namespace: 'Schemaguard/Database/schemaguard-dev-app',
        MetricName: 'NotNullViolations',
      });
      prodT.hasResourceProperties('AWS::CloudWatch::Alarm', {
        AlarmName: 'orders-prod-page-not-null-violation',
        Namespace: 'Schemaguard/Database/orders-prod',
        MetricName: 'NotNullViolations',
      });
      expect(dev.alarms.metricNamespace).toBe('Schemaguard/Database/schemaguard-dev-app');
    });

    it('takes metricNamespace, and refuses a second stack of the app publishing to the same one in the same account and region', () => {
      const app = new App();
      const env = { account: '111111111111', region: 'eu-west-1' };
      const migrationsDir = tempDir({ '1_a.sql': 'CREATE TABLE a (id int);\n' });
      const shop = new DatabaseStack(app, 'Shop', { stage: 'dev', migrationsDir, metricNamespace: 'Shop/Postgres', guard: false, env });
      expect(shop.alarms.metricNamespace).toBe('Shop/Postgres');
      // Without an account and region each may go anywhere (dev and prod deployed with different profiles): not refused.
      expect(() => new DatabaseStack(app, 'AnyWhere1', { stage: 'dev', migrationsDir, metricNamespace: 'Shop/Postgres', guard: false })).not.toThrow();
      let second: DatabaseStack | undefined;
      expect(() => {
        second = new DatabaseStack(app, 'AnyWhere2', { stage: 'prod', migrationsDir, metricNamespace: 'Shop/Postgres', guard: false });
      }).not.toThrow();
      // Regression (helper): said nowhere; deployed with one profile, the second deploy fails or the two count each other's errors. A warning now.
      const warnings = Annotations.fromStack(second!).findWarning(
        '*',
        Match.stringLikeRegexp("is also AnyWhere1/Alarms's, in another stack without an account and region"),
      );
      expect(warnings).toHaveLength(1);
      expect(Annotations.fromStack(shop).findWarning('*', Match.stringLikeRegexp('is also'))).toEqual([]);
      expect(() => new DatabaseStack(app, 'Shop2', { stage: 'prod', migrationsDir, metricNamespace: 'Shop/Postgres', guard: false, env })).toThrow(
        /^DatabaseAlarms: Shop2\/Alarms would publish its error metrics to namespace "Shop\/Postgres", which Shop\/Alarms already does in the same account and region/,
      );
    });

    it('alarms when either migration handler (onEvent or isComplete) reports errors', () => {
      const fns = Object.keys(devT.findResources('AWS::Lambda::Function', { Properties: { Handler: Match.anyValue(), Runtime: 'nodejs22.x' } }));
      expect(fns.length).toBeGreaterThanOrEqual(2);
      devT.hasResourceProperties('AWS::CloudWatch::Alarm', {
        AlarmName: 'schemaguard-dev-app-page-migration-errors',
        Metrics: Match.arrayWith([
          Match.objectLike({ Expression: 'FILL(e0, 0) + FILL(r0, 0) + FILL(e1, 0) + FILL(r1, 0)' }),
          // A rollback that went on past a failure (the handler's RollbackProblems metric) pages as a failed deploy does.
          Match.objectLike({
            Id: 'r0',
            MetricStat: Match.objectLike({ Metric: Match.objectLike({ Namespace: 'Schemaguard/Migrations', MetricName: 'RollbackProblems' }) }),
          }),
        ]),
      });
    });

    it('lets the handler ask CloudFormation whether a failing Update is a rollback: an interface endpoint in the isolated subnets, DescribeStacks on this stack only', () => {
      const endpoint = logicalId(devT, 'AWS::EC2::VPCEndpoint', {
        ServiceName: Match.objectLike({ 'Fn::Join': ['', Match.arrayWith(['.cloudformation'])] }),
        PrivateDnsEnabled: true,
      });
      devT.hasResourceProperties('AWS::EC2::SecurityGroupEgress', {
        FromPort: 443,
        Description: Match.stringLikeRegexp('to CloudFormation'),
        DestinationSecurityGroupId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^VpcCloudFormationSecurityGroup'), 'GroupId'] },
      });
      devT.hasResource('Custom::SchemaMigrations', { DependsOn: Match.arrayWith([endpoint]) });
      devT.hasResourceProperties('AWS::IAM::Policy', {
        PolicyDocument: {
          Statement: Match.arrayWith([{ Sid: 'OwnStackStatus', Effect: 'Allow', Action: 'cloudformation:DescribeStacks', Resource: { Ref: 'AWS::StackId' } }]),
        },
      });
    });

    it('subscribes the configured email and HTTPS endpoint only where given, to the paging topic, and the email to the ticket topic too (no ticket destination given)', () => {
      devT.resourceCountIs('AWS::SNS::Subscription', 0);
      prodT.resourceCountIs('AWS::SNS::Subscription', 3);
      const pages = { Ref: logicalId(prodT, 'AWS::SNS::Topic', { DisplayName: 'schemaguard database alarms' }) };
      const tickets = { Ref: logicalId(prodT, 'AWS::SNS::Topic', { DisplayName: 'schemaguard database tickets' }) };
      prodT.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'email', Endpoint: 'oncall@example.com', TopicArn: pages });
      prodT.hasResourceProperties('AWS::SNS::Subscription', {
        Protocol: 'https',
        Endpoint: 'https://events.example.com/integration/k/enqueue',
        TopicArn: pages,
      });
      prodT.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'email', Endpoint: 'oncall@example.com', TopicArn: tickets });
    });

    // Regression (on-call review, real synth): with a PagerDuty URL, the ticket classes' and the guard's ticket alarms went to the one topic it subscribes to.
    it("regression: a paging endpoint receives no ticket; prod's email gets the tickets, so nothing warns; a stack with only a paging endpoint warns once that tickets reach no one; dev, configured for nothing, does not", () => {
      const pages = logicalId(prodT, 'AWS::SNS::Topic', { DisplayName: 'schemaguard database alarms' });
      const all = [...Object.values(prodT.findResources('AWS::CloudWatch::Alarm')), ...Object.values(prodT.findResources('AWS::CloudWatch::CompositeAlarm'))];
      const paging = all
        .filter((a) => JSON.stringify([a.Properties.AlarmActions, a.Properties.OKActions]).includes(pages))
        .map((a) => String(a.Properties.AlarmName));
      expect(paging.length).toBe(ERROR_CATALOG.filter((c) => c.severity === 'page').length + 1 + GUARD_ALARMS.filter((g) => g.severity === 'page').length);
      for (const name of paging) expect(name).toContain('-page-');
      const warned = (stack: Stack) =>
        Annotations.fromStack(stack)
          .findWarning('*', Match.stringLikeRegexp('ticket alarm'))
          .map((w) => w.id);
      expect(
        prodT.findResources('AWS::SNS::Subscription', {
          Properties: { Protocol: 'https', TopicArn: { Ref: logicalId(prodT, 'AWS::SNS::Topic', { DisplayName: 'schemaguard database tickets' }) } },
        }),
      ).toEqual({});
      expect(warned(prod)).toEqual([]);
      const paged = new DatabaseStack(new App(), 'Paged', {
        stage: 'prod',
        migrationsDir: tempDir({ '1_a.sql': 'CREATE TABLE a (id int);\n' }),
        alarmHttpsUrl: 'https://events.example.com/integration/k/enqueue',
      });
      expect(warned(paged)).toEqual(['/Paged/Alarms']);
      expect(warned(dev)).toEqual([]);
    });

    it("alarmTicketEmail and alarmTicketHttpsUrl subscribe to the ticket topic, which the error classes' and the guard's ticket alarms use", () => {
      const stack = new DatabaseStack(new App(), 'Tickets', {
        stage: 'dev',
        migrationsDir: tempDir({ '1_a.sql': 'CREATE TABLE a (id int);\n' }),
        alarmHttpsUrl: 'https://events.example.com/integration/pages/enqueue',
        alarmTicketEmail: 'db-tickets@example.com',
        alarmTicketHttpsUrl: 'https://events.example.com/integration/tickets/enqueue',
      });
      const t = Template.fromStack(stack);
      const tickets = { Ref: logicalId(t, 'AWS::SNS::Topic', { DisplayName: 'schemaguard database tickets' }) };
      t.resourceCountIs('AWS::SNS::Subscription', 3);
      t.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'email', Endpoint: 'db-tickets@example.com', TopicArn: tickets });
      t.hasResourceProperties('AWS::SNS::Subscription', {
        Protocol: 'https',
        Endpoint: 'https://events.example.com/integration/tickets/enqueue',
        TopicArn: tickets,
      });
      const ticketAlarms = Object.values(t.findResources('AWS::CloudWatch::Alarm')).filter((a) => String(a.Properties.AlarmName).includes('-ticket-'));
      expect(ticketAlarms).toHaveLength(
        ERROR_CATALOG.filter((c) => c.severity === 'ticket').length + GUARD_ALARMS.filter((g) => g.severity === 'ticket').length,
      );
      for (const a of ticketAlarms)
        expect([a.Properties.AlarmName, a.Properties.AlarmActions, a.Properties.OKActions]).toEqual([a.Properties.AlarmName, [tickets], [tickets]]);
      expect(Annotations.fromStack(stack).findWarning('*', Match.stringLikeRegexp('ticket alarm'))).toEqual([]);
    });
  });

  describe('the scheduled guard', () => {
    it("runs every 15 minutes in the isolated subnets as the read-only role, its alarms named after the instance and sent to the stack's topics (pages, tickets)", () => {
      devT.hasResourceProperties('AWS::Events::Rule', { ScheduleExpression: 'rate(15 minutes)' });
      devT.hasResourceProperties('AWS::Lambda::Function', { Handler: 'index.guard', VpcConfig: Match.objectLike({ SubnetIds: Match.anyValue() }) });
      devT.hasResourceProperties('Custom::SchemaguardGuardRole', { RoleName: 'schemaguard_guard_app' });
      const pages = { Ref: logicalId(devT, 'AWS::SNS::Topic', { DisplayName: 'schemaguard database alarms' }) };
      const tickets = { Ref: logicalId(devT, 'AWS::SNS::Topic', { DisplayName: 'schemaguard database tickets' }) };
      for (const spec of GUARD_ALARMS) {
        const topic = spec.severity === 'page' ? pages : tickets;
        devT.hasResourceProperties('AWS::CloudWatch::Alarm', {
          AlarmName: `schemaguard-dev-app-${spec.severity}-${spec.id}`,
          Namespace: 'Schemaguard/Schema',
          MetricName: spec.metricName,
          Dimensions: [
            { Name: 'DatabaseIdentifier', Value: 'schemaguard-dev-app' },
            { Name: 'DatabaseName', Value: 'app' },
          ],
          AlarmActions: [topic],
          OKActions: [topic],
        });
      }
      expect(dev.guard!.node.path).toBe('Dev/SchemaGuard');
    });

    it('prod: the configured names in its dimensions, its log group kept a year and retained', () => {
      prodT.hasResourceProperties('AWS::CloudWatch::Alarm', {
        AlarmName: 'orders-prod-page-schema-drift',
        Dimensions: [
          { Name: 'DatabaseIdentifier', Value: 'orders-prod' },
          { Name: 'DatabaseName', Value: 'orders' },
        ],
      });
      const logs = prodT.findResources('AWS::Logs::LogGroup')[prod.getLogicalId(prod.guard!.logGroup.node.defaultChild as never)]!;
      expect(logs).toMatchObject({ Properties: { RetentionInDays: 365 }, DeletionPolicy: 'Retain' });
    });

    it('guard: false adds nothing; guardSchedule sets the rate; both together are refused', () => {
      const migrationsDir = tempDir({ '1_a.sql': 'CREATE TABLE a (id int);\n' });
      const off = Template.fromStack(new DatabaseStack(new App(), 'Off', { stage: 'dev', migrationsDir, guard: false }));
      off.resourceCountIs('AWS::Events::Rule', 0);
      off.resourceCountIs('Custom::SchemaguardGuardRole', 0);
      off.resourceCountIs('AWS::CloudWatch::Alarm', ERROR_CATALOG.length + 1);
      const hourly = Template.fromStack(new DatabaseStack(new App(), 'Hourly', { stage: 'dev', migrationsDir, guardSchedule: Duration.hours(1) }));
      hourly.hasResourceProperties('AWS::Events::Rule', { ScheduleExpression: 'rate(1 hour)' });
      expect(() => new DatabaseStack(new App(), 'Both', { stage: 'dev', migrationsDir, guard: false, guardSchedule: Duration.hours(1) })).toThrow(
        /^DatabaseStack: "guardSchedule" is set and "guard" is false; remove guardSchedule, or turn the guard on/,
      );
      expect(() => new DatabaseStack(new App(), 'Reset', { stage: 'dev', migrationsDir, guard: false, guardRoleRevision: 2 })).toThrow(
        /^DatabaseStack: "guardRoleRevision" is set and "guard" is false; remove guardRoleRevision, or turn the guard on/,
      );
    });

    it('guardRoleRevision: the role resource gets a Revision, so raising it makes the next deploy set the role again from its secret', () => {
      devT.hasResourceProperties('Custom::SchemaguardGuardRole', { Revision: Match.absent() });
      const reset = Template.fromStack(
        new DatabaseStack(new App(), 'Reset', { stage: 'dev', migrationsDir: tempDir({ '1_a.sql': 'CREATE TABLE a (id int);\n' }), guardRoleRevision: 2 }),
      );
      reset.hasResourceProperties('Custom::SchemaguardGuardRole', { RoleName: 'schemaguard_guard_app', Revision: '2' });
    });

    it('alarmTicketTopic: ticket alarms (error classes and guard findings) go there, pages stay on the alarm topic', () => {
      const app = new App();
      const tickets = new sns.Topic(new Stack(app, 'Ticketing'), 'Queue');
      const stack = new DatabaseStack(app, 'Routed', {
        stage: 'dev',
        migrationsDir: tempDir({ '1_a.sql': 'CREATE TABLE a (id int);\n' }),
        alarmTicketTopic: tickets,
      });
      const t = Template.fromStack(stack);
      // The composite that pages for a 25P02 in the place of its alarm (which has no actions), and the other pages' suppressor (none either).
      const alarms = [...Object.values(t.findResources('AWS::CloudWatch::Alarm')), ...Object.values(t.findResources('AWS::CloudWatch::CompositeAlarm'))].filter(
        (a) => a.Properties.AlarmActions !== undefined,
      );
      expect(alarms.map((a) => String(a.Properties.AlarmName)).filter((n) => n.includes('transaction-aborted'))).toEqual([
        expect.stringMatching(/-page-transaction-aborted-alone$/),
      ]);
      const routed = (a: (typeof alarms)[number]) => (JSON.stringify(a.Properties.AlarmActions).includes('Ticketing') ? 'tickets' : 'pages');
      for (const a of alarms) {
        const name = String(a.Properties.AlarmName);
        expect(`${name}: ${routed(a)}`).toBe(`${name}: ${name.includes('-ticket-') ? 'tickets' : 'pages'}`);
      }
      expect(alarms.filter((a) => routed(a) === 'tickets')).toHaveLength(
        ERROR_CATALOG.filter((c) => c.severity === 'ticket').length + GUARD_ALARMS.filter((g) => g.severity === 'ticket').length,
      );
    });
  });

  describe('props validation', () => {
    it.each([
      [{ instanceIdentifier: 'Bad_Id' }, /DatabaseStack: "instanceIdentifier" "Bad_Id" is not a literal RDS identifier; use 1 to 63 lowercase/],
      [{ natGateways: 5 }, /DatabaseStack: "natGateways" is 5; use 0 \(isolated subnets only\) to 3/],
      [{ allocatedStorage: 10 }, /DatabaseStack: "allocatedStorage" is 10; use 20 to 65536 GiB/],
      [{ maxAllocatedStorage: 50, allocatedStorage: 60 }, /DatabaseStack: "maxAllocatedStorage" is 50; use an integer at least "allocatedStorage" \(60\)/],
      [{ stage: 'qa' }, /DatabaseStack: "stage" is "qa"; use 'dev' or 'prod'/],
      // Regression (a JavaScript app, a value from context): guardSchedule: 15 failed with "d.toSeconds is not a function" inside SchemaGuard.
      [{ guardSchedule: 15 }, /^DatabaseStack: "guardSchedule" is 15 \(a number\); pass a Duration from aws-cdk-lib/],
      [{ natGateways: '1' }, /^DatabaseStack: "natGateways" is "1" \(a string\); pass a number/],
      [{ guard: 'false' }, /^DatabaseStack: "guard" is "false" \(a string\); pass true or false/],
      // Regression: a revision of -1 or 1.5 was refused by SchemaGuard, naming its "roleRevision", a prop the stack does not have.
      [
        { guardRoleRevision: -1 },
        /^DatabaseStack: "guardRoleRevision" is -1; use a whole number from 0, and raise it to set the guard's role again from its secret$/,
      ],
      [{ guardRoleRevision: 1.5 }, /^DatabaseStack: "guardRoleRevision" is 1.5; use a whole number from 0/],
    ])('refuses %j', (props, message) => {
      expect(() => new DatabaseStack(new App(), 'Bad', { stage: 'dev', ...props } as never)).toThrow(message);
    });
  });
});

describe('Class: DatabaseStack, prop parseAtSynth', () => {
  it("is passed to SchemaMigrations: on by default a file PostgreSQL's parser refuses stops synth; false synthesises it", () => {
    const migrationsDir = tempDir({ '1_a.sql': 'CREATE TABLE a (id int;\n' });
    expect(() => new DatabaseStack(new App(), 'Parsed', { stage: 'dev', migrationsDir, guard: false })).toThrow(
      /^SchemaMigrations: PostgreSQL's parser refuses a migration in .*: 1_a\.sql:1:23: syntax error at or near ";"/,
    );
    const off = Template.fromStack(new DatabaseStack(new App(), 'Unparsed', { stage: 'dev', migrationsDir, guard: false, parseAtSynth: false }));
    off.resourceCountIs('Custom::SchemaMigrations', 1);
  });
});
