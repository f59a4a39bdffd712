/**
 * The outline both database stacks share (DatabaseStackBase), proved through
 * the two stacks: every stateful resource keeps the logical ID it was deployed
 * with, the shared parts are exposed under the same names, and the props are
 * checked in one order with the concrete stack named.
 */
import { ENV } from '../../lambda/handler/constants';
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as sns from 'aws-cdk-lib/aws-sns';
import { beforeAll, describe, expect, it } from 'vitest';
import { STACK_NAME } from '../../lib/app';
import { AuroraDatabaseStack } from '../../lib/aurora-database-stack';
import { DatabaseStack } from '../../lib/database-stack';
import { dashboardWidgets, layout } from '../support/dashboard';
import { inDirectory, tempDir } from '../support/files';

let rds: DatabaseStack;
let aurora: AuroraDatabaseStack;
let rdsT: Template;
let auroraT: Template;

beforeAll(() => {
  const migrationsDir = tempDir({ '1_a.sql': 'CREATE TABLE a (id int);\n' });
  // One app per stack: both carry the deployed stack name, which the secrets' logical IDs include.
  rds = new DatabaseStack(new App(), STACK_NAME, { stage: 'dev', migrationsDir });
  aurora = new AuroraDatabaseStack(new App(), STACK_NAME, { stage: 'dev', migrationsDir });
  rdsT = Template.fromStack(rds);
  auroraT = Template.fromStack(aurora);
});

const ids = (t: Template, type: string) => Object.keys(t.findResources(type)).sort();

/** The same stack deployed without the guard (synthesised once per kind). */
const offTemplates = new Map<string, Template>();
function withoutGuard(kind: 'rds' | 'aurora'): Template {
  let t = offTemplates.get(kind);
  if (!t) {
    const migrationsDir = tempDir({ '1_a.sql': 'CREATE TABLE a (id int);\n' });
    const props = { stage: 'dev' as const, migrationsDir, guard: false };
    t = Template.fromStack(kind === 'rds' ? new DatabaseStack(new App(), STACK_NAME, props) : new AuroraDatabaseStack(new App(), STACK_NAME, props));
    offTemplates.set(kind, t);
  }
  return t;
}

describe('Class: DatabaseStackBase', () => {
  describe('logical IDs (a changed one makes CloudFormation replace the resource)', () => {
    it('shared by both stacks: flow logs, VPC, endpoint, parameter group, PostgreSQL log, rotation group, migrations, alarm topic (and the newer ticket topic)', () => {
      // The handler in the VPC (RDS) asks CloudFormation, through its own endpoint, whether a failing Update is a rollback's.
      expect(ids(rdsT, 'AWS::EC2::VPCEndpoint')).toEqual(['VpcCloudFormation96D031AC', 'VpcSecretsManagerC91B0406']);
      expect(ids(auroraT, 'AWS::EC2::VPCEndpoint')).toEqual(['VpcSecretsManagerC91B0406']);
      for (const t of [rdsT, auroraT]) {
        expect(ids(t, 'AWS::EC2::VPC')).toEqual(['Vpc8378EB38']);
        expect(ids(t, 'AWS::Logs::LogGroup')).toEqual(
          expect.arrayContaining(['FlowLogs16C1943A', 'SchemaMigrationsHandlerLogs38E59D8A', 'SchemaMigrationsProviderLogs53C3EDAA']),
        );
        // The PostgreSQL log group is made by a create-or-update resource, under a new logical ID (a type cannot change under one).
        expect(ids(t, 'Custom::LogRetention')).toEqual(['PostgresLogRetention2EA76B36']);
        expect(ids(t, 'AWS::EC2::SecurityGroup')).toEqual(expect.arrayContaining(['RotationSecurityGroup8276CF62', 'VpcSecretsManagerSecurityGroup3DBAE5C3']));
        expect(ids(t, 'Custom::SchemaMigrations')).toEqual(['SchemaMigrationsA6E9AE51']);
        expect(ids(t, 'AWS::SNS::Topic')).toEqual(['AlarmsTicketTopic3C81C432', 'AlarmsTopic3A2DFEBA']);
      }
    });

    it('RDS: the instance, its parameter group and its secret', () => {
      expect(ids(rdsT, 'AWS::RDS::DBInstance')).toEqual(['DatabaseB269D8BB']);
      expect(ids(rdsT, 'AWS::RDS::DBParameterGroup')).toEqual(['Parameters6795E5B4']);
      expect(ids(rdsT, 'AWS::SecretsManager::Secret')).toEqual([
        'SchemaGuardRoleSecretAA309610',
        'SchemaMigrationsRolesMigratorSecret5C68EE6B',
        'SchemaguardDatabaseSecretE197C9513fdaad7efa858a3daf9490cf0a702aeb',
      ]);
    });

    it('Aurora: the cluster, its writer, its cluster parameter group and its secret', () => {
      expect(ids(auroraT, 'AWS::RDS::DBCluster')).toEqual(['ClusterEB0386A7']);
      expect(ids(auroraT, 'AWS::RDS::DBInstance')).toEqual(['ClusterWriterA91BB273']);
      expect(ids(auroraT, 'AWS::RDS::DBClusterParameterGroup')).toEqual(['Parameters6795E5B4']);
      expect(ids(auroraT, 'AWS::SecretsManager::Secret')).toEqual([
        'SchemaGuardRoleSecretAA309610',
        'SchemaMigrationsRolesMigratorSecret5C68EE6B',
        'SchemaguardDatabaseClusterSecretDA2401083fdaad7efa858a3daf9490cf0a702aeb',
      ]);
    });

    it("the guard's resources (both stacks): the function, its role and log group, the schedule, the role secret and resource, the alarms", () => {
      for (const t of [rdsT, auroraT]) {
        expect(ids(t, 'AWS::Lambda::Function')).toEqual(expect.arrayContaining(['SchemaGuardFunctionF270FBC7']));
        expect(ids(t, 'AWS::IAM::Role')).toEqual(expect.arrayContaining(['SchemaGuardFunctionRole89CF29E0']));
        expect(ids(t, 'AWS::Logs::LogGroup')).toEqual(expect.arrayContaining(['SchemaGuardLogsD94A52D4']));
        expect(ids(t, 'AWS::Events::Rule')).toEqual(['SchemaGuardScheduleD999437C']);
        // Served by the role provisioner: a custom resource's ServiceToken cannot change, so it has an id of its own (SchemaGuardRole1CD37BBD was the migration handler's).
        expect(ids(t, 'Custom::SchemaguardGuardRole')).toEqual(['SchemaGuardRoleAsMasterAC2DD58B']);
        expect(ids(t, 'AWS::CloudWatch::Alarm')).toEqual(
          expect.arrayContaining(['SchemaGuardSchemaDriftAlarm89C8CE8A', 'SchemaGuardGuardHealthAlarm8A579ACA']),
        );
      }
      expect(ids(rdsT, 'AWS::EC2::SecurityGroup')).toEqual(expect.arrayContaining(['SchemaGuardSecurityGroup950E3382']));
    });
  });

  describe('what the guard changes in a stack deployed without it', () => {
    it.each(['rds', 'aurora'] as const)(
      "%s: only new resources, plus the role provisioner's policy (one statement) and the resources its function serves (the guard's role, in its environment), the Secrets Manager endpoint's policy (the guard's secret), the dashboard (its rows) and, on RDS, the DependsOn of the migrations and the migrator role (the guard's ingress rule is a child of the database)",
      (kind) => {
        const before = withoutGuard(kind).toJSON().Resources as Record<string, { Properties?: unknown; DependsOn?: string[] }>;
        const after = (kind === 'rds' ? rdsT : auroraT).toJSON().Resources as typeof before;

        const changed = Object.keys(before)
          .filter((k) => JSON.stringify(before[k]) !== JSON.stringify(after[k]))
          .sort();

        expect(Object.keys(before).filter((k) => !(k in after))).toEqual([]);
        expect(changed).toEqual(
          kind === 'rds'
            ? [
                'AlarmsDashboard690E1A42',
                'SchemaMigrationsA6E9AE51',
                'SchemaMigrationsRolesBA8C95B5',
                'SchemaMigrationsRolesFunction3E005760',
                'SchemaMigrationsRolesFunctionRoleDefaultPolicyA9BBA65F',
                'VpcSecretsManagerC91B0406',
              ]
            : [
                'AlarmsDashboard690E1A42',
                'SchemaMigrationsRolesFunction3E005760',
                'SchemaMigrationsRolesFunctionRoleDefaultPolicyA9BBA65F',
                'VpcSecretsManagerC91B0406',
              ],
        );
        // The provisioner's function: only what it serves (the guard's role resource now) differs.
        const variables = (r: (typeof before)[string]) => (r.Properties as { Environment: { Variables: Record<string, unknown> } }).Environment.Variables;
        const [fnBefore, fnAfter] = [before.SchemaMigrationsRolesFunction3E005760!, after.SchemaMigrationsRolesFunction3E005760!];
        const differing = Object.keys(variables(fnAfter)).filter((k) => JSON.stringify(variables(fnBefore)[k]) !== JSON.stringify(variables(fnAfter)[k]));
        expect(differing).toEqual([ENV.serves]);
        expect({ ...(fnAfter.Properties as object), Environment: null }).toEqual({ ...(fnBefore.Properties as object), Environment: null });
        if (kind === 'rds')
          for (const id of ['SchemaMigrationsA6E9AE51', 'SchemaMigrationsRolesBA8C95B5'])
            expect(JSON.stringify(before[id]!.Properties)).toBe(JSON.stringify(after[id]!.Properties));
        const sids = (r: (typeof before)[string]) =>
          (r.Properties as { PolicyDocument: { Statement: { Sid: string }[] } }).PolicyDocument.Statement.map((s) => s.Sid);
        expect(sids(after.SchemaMigrationsRolesFunctionRoleDefaultPolicyA9BBA65F!)).toEqual([
          ...sids(before.SchemaMigrationsRolesFunctionRoleDefaultPolicyA9BBA65F!),
          'ReadTheGuardRoleSecret',
        ]);
      },
    );

    it.each(['rds', 'aurora'] as const)(
      "%s: on the dashboard, the guard's graphs sit under the error-class graphs and its alarm states under theirs, above the log row",
      (kind) => {
        const errorGraphs = ['Errors that page (count per minute) @0,0 12x6', 'Errors that open a ticket (count per minute) @12,0 12x6'];
        expect(layout(dashboardWidgets(withoutGuard(kind)))).toEqual([
          ...errorGraphs,
          'Database alarms @0,6 24x4',
          'Latest PostgreSQL ERROR lines @0,10 16x8',
          'Migration Lambda errors @16,10 8x8',
        ]);
        expect(layout(dashboardWidgets(kind === 'rds' ? rdsT : auroraT))).toEqual([
          ...errorGraphs,
          'Schema guard: findings that page (per run) @0,6 8x6',
          'Schema guard: findings that open a ticket (per run) @8,6 8x6',
          'Schema guard: failed runs @16,6 8x6',
          'Database alarms @0,12 24x4',
          'Schema guard alarms @0,16 24x3',
          'Latest PostgreSQL ERROR lines @0,19 16x8',
          'Migration Lambda errors @16,19 8x8',
        ]);
      },
    );
  });

  describe('the shared parts', () => {
    it('are exposed under the same names by both stacks, the database also under its own', () => {
      for (const stack of [rds, aurora]) {
        expect(stack.identifier).toBe('schemaguard-dev-app');
        expect(stack.vpc).toBe(stack.network.vpc);
        expect(stack.secretsManagerEndpoint).toBe(stack.network.secretsManagerEndpoint);
        expect(stack.settings.stage).toBe('dev');
        expect(stack.migrations.node.path).toBe(`${STACK_NAME}/SchemaMigrations`);
        expect(stack.alarms.node.path).toBe(`${STACK_NAME}/Alarms`);
      }
      expect(rds.instanceIdentifier).toBe(rds.identifier);
      expect(rds.secret).toBe(rds.instance.secret);
      expect(aurora.clusterIdentifier).toBe(aurora.identifier);
      expect(aurora.secret).toBe(aurora.cluster.secret);
    });

    it('the parameter group describes the engine', () => {
      rdsT.hasResourceProperties('AWS::RDS::DBParameterGroup', { Description: 'schemaguard dev: TLS forced, failing statements and lock waits logged' });
      auroraT.hasResourceProperties('AWS::RDS::DBClusterParameterGroup', {
        Description: 'schemaguard dev (Aurora): TLS forced, failing statements and lock waits logged',
      });
    });

    it('the rotation group names what it reaches', () => {
      rdsT.hasResourceProperties('AWS::EC2::SecurityGroup', { GroupDescription: 'secret rotation function: reaches the database and Secrets Manager' });
      auroraT.hasResourceProperties('AWS::EC2::SecurityGroup', { GroupDescription: 'secret rotation function: reaches the cluster and Secrets Manager' });
    });
  });

  describe('the files and the topic of the app that uses them', () => {
    it("take the app folder's ./migrations, ./contracts and snapshot by default, and its own paths when given", () => {
      const app = tempDir(
        {
          'migrations/0001_widgets.sql': 'CREATE TABLE widgets (id int);\n',
          'contracts/w.sql': 'SELECT id FROM widgets;\n',
          'migrations/schema.snapshot.json': '{}\n',
        },
        'app',
      );
      const byDefault = inDirectory(app, () => new DatabaseStack(new App(), 'Widgets', { stage: 'dev' }));
      expect(byDefault.migrations.files.latestVersion).toBe(1);
      Template.fromStack(byDefault).hasResourceProperties('AWS::Lambda::Function', {
        Environment: { Variables: { SCHEMAGUARD_SNAPSHOT_FILE: 'schema.snapshot.json' } },
      });
      const elsewhere = tempDir({ '7_gadgets.sql': 'CREATE TABLE gadgets (id int);\n' });
      const given = inDirectory(
        app,
        () => new AuroraDatabaseStack(new App(), 'Gadgets', { stage: 'dev', migrationsDir: elsewhere, snapshotFile: 'migrations/schema.snapshot.json' }),
      );
      expect(given.migrations.files.latestVersion).toBe(7);
    });

    it('send the pages to the topic given (alarmTopic) and the tickets to the topic given (alarmTicketTopic), creating none', () => {
      const app = new App();
      const topic = new sns.Topic(new Stack(app, 'Paging'), 'OnCall');
      const tickets = new sns.Topic(new Stack(app, 'Ticketing'), 'Queue');
      const stack = new DatabaseStack(app, 'Widgets', { stage: 'dev', migrationsDir: tempDir(), alarmTopic: topic, alarmTicketTopic: tickets });
      const t = Template.fromStack(stack);
      t.resourceCountIs('AWS::SNS::Topic', 0);
      t.resourceCountIs('AWS::KMS::Key', 0);
      expect(stack.alarms.topic).toBe(topic);
      expect(stack.alarms.ticketTopic).toBe(tickets);
      // Every alarm but the 25P02's, which pages through its composite (held back while another page is raised).
      const target = (a: { Properties?: { AlarmActions?: unknown } }) => {
        const json = JSON.stringify(a.Properties?.AlarmActions ?? 'none');
        return json.includes('OnCall') ? 'OnCall' : json.includes('Queue') ? 'Queue' : 'none';
      };
      const actions = (type: string) => Object.entries(t.findResources(type)).map(([id, a]) => `${id.replace(/[0-9A-F]{8}$/, '')}: ${target(a)}`);
      expect(actions('AWS::CloudWatch::Alarm').filter((a) => !a.endsWith(': OnCall') && !a.endsWith(': Queue'))).toEqual([
        'AlarmsTransactionAbortedAlarm: none',
      ]);
      for (const [, a] of Object.entries(t.findResources('AWS::CloudWatch::Alarm')).filter(([id]) => !id.startsWith('AlarmsTransactionAbortedAlarm'))) {
        expect(`${a.Properties.AlarmName}: ${target(a)}`).toBe(
          `${a.Properties.AlarmName}: ${String(a.Properties.AlarmName).includes('-ticket-') ? 'Queue' : 'OnCall'}`,
        );
      }
      expect(actions('AWS::CloudWatch::CompositeAlarm').sort()).toEqual(['AlarmsOtherPagesAlarm: none', 'AlarmsTransactionAbortedPage: OnCall']);
    });
  });

  describe('props checks', () => {
    it("the stage first, then the identifier, then the stack's own props", () => {
      expect(() => new DatabaseStack(new App(), 'X', { stage: 'qa' as never, instanceIdentifier: 'Bad_Id', natGateways: 9 })).toThrow(
        /^DatabaseStack: "stage" is "qa"/,
      );
      expect(() => new DatabaseStack(new App(), 'X', { stage: 'dev', instanceIdentifier: 'Bad_Id', natGateways: 9 })).toThrow(
        /^DatabaseStack: "instanceIdentifier" "Bad_Id"/,
      );
      expect(() => new AuroraDatabaseStack(new App(), 'X', { stage: 'dev', clusterIdentifier: 'Bad_Id', minCapacity: 0.3 })).toThrow(
        /^AuroraDatabaseStack: "clusterIdentifier" "Bad_Id"/,
      );
    });

    it("name the concrete stack class, also a user's subclass", () => {
      class OrdersDatabase extends AuroraDatabaseStack {}
      expect(() => new OrdersDatabase(new App(), 'X', { stage: 'prod', clusterIdentifier: 'orders_db' })).toThrow(
        /^OrdersDatabase: "clusterIdentifier" "orders_db" is not a literal RDS identifier/,
      );
    });
  });
});
