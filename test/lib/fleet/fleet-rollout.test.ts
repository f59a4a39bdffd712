/**
 * SchemaMigrations with a fleet, as synthesised: the rollout's state machine
 * (its definition valid Amazon States Language, the one the handler tests
 * execute), its role (the migration function and its own child executions,
 * nothing else), the custom resource's right to start, describe and stop it
 * and nothing more, the fleet in the functions' environment and the
 * resource's properties; the one alarm for a failed rollout; the fleets
 * synth refuses; a fleet named in SSM (its read grant and its endpoint);
 * cdk-nag.
 */
import { App, Duration, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as rds from 'aws-cdk-lib/aws-rds';
import { AwsSolutionsChecks } from 'cdk-nag';
import { beforeAll, describe, expect, it } from 'vitest';
import { ENV, PROP } from '../../../lambda/handler/constants';
import { DatabaseAlarms } from '../../../lib/alarms/database-alarms';
import { deployAlarmDescription, FLEET_ROLLOUT_ALARM } from '../../../lib/alarms/deploy-catalog';
import { MAX_ALARM_DESCRIPTION_LENGTH } from '../../../lib/alarms/error-catalog';
import { FUNCTION_ARN_PLACEHOLDER, fleetDefinition } from '../../../lib/fleet/fleet-workflow';
import { SchemaGuard } from '../../../lib/schema-guard';
import { SchemaMigrations, type SchemaMigrationsProps } from '../../../lib/schema-migrations';
import { tempDir } from '../../support/files';

const migrationsDir = tempDir({ '1_items.sql': 'CREATE TABLE items (id int);\n' });
const FLEET = { schemas: 'tenant\\_%', concurrency: 4, waveSize: 20, toleratedFailures: 1 };

/** A stack with an instance in a VPC and SchemaMigrations with `props`. */
function stackWith(props: Partial<SchemaMigrationsProps>): { stack: Stack; migrations: SchemaMigrations; instance: rds.DatabaseInstance; vpc: ec2.Vpc } {
  const stack = new Stack(new App(), 'Fleet');
  const vpc = new ec2.Vpc(stack, 'Vpc', { natGateways: 0, subnetConfiguration: [{ name: 'db', subnetType: ec2.SubnetType.PRIVATE_ISOLATED }] });
  const instance = new rds.DatabaseInstance(stack, 'Db', {
    engine: rds.DatabaseInstanceEngine.postgres({ version: rds.PostgresEngineVersion.VER_17 }),
    vpc,
    vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_ISOLATED },
  });
  const migrations = new SchemaMigrations(stack, 'Migrations', {
    database: instance,
    secret: instance.secret!,
    vpc,
    migrationsDir,
    ...props,
  } as SchemaMigrationsProps);
  return { stack, migrations, instance, vpc };
}

let stack: Stack;
let migrations: SchemaMigrations;
let t: Template;

beforeAll(() => {
  ({ stack, migrations } = stackWith({ fleet: FLEET }));
  const logGroup = new logs.LogGroup(stack, 'PostgresLog', { logGroupName: '/aws/rds/instance/fleet-db/postgresql' });
  new DatabaseAlarms(stack, 'Alarms', { logGroup, fleetRollout: migrations.fleetRollout, alarmNamePrefix: 'fleet-db' });
  t = Template.fromStack(stack);
});

/** The logical id of a construct's CloudFormation resource. */
const idOf = (c: { node: { defaultChild?: unknown } }) => stack.getLogicalId(c.node.defaultChild as never);

describe('SchemaMigrations: a fleet', () => {
  it('makes the rollout state machine with the workflow as its definition, the function its substitution, and a valid one', async () => {
    const rollout = migrations.fleetRollout!;
    const [machine] = Object.values(t.findResources('AWS::StepFunctions::StateMachine', { Properties: { DefinitionSubstitutions: Match.anyValue() } }));
    const definition = machine!.Properties.DefinitionString as string;
    expect(JSON.parse(definition)).toEqual(fleetDefinition({ functionArn: FUNCTION_ARN_PLACEHOLDER, concurrency: 4 }));
    expect(machine!.Properties.DefinitionSubstitutions).toEqual({ MigrationFunctionArn: { 'Fn::GetAtt': [idOf(migrations.onEventHandler), 'Arn'] } });
    expect(machine!.Properties.StateMachineType).toBe('STANDARD');
    // No types of its own: its one function, as its README describes it.
    const { default: validate } = (await import('asl-validator' as string)) as { default: (d: unknown) => { isValid: boolean; errors: unknown[] } };
    const substituted = JSON.parse(definition.replaceAll(FUNCTION_ARN_PLACEHOLDER, 'arn:aws:lambda:eu-west-1:111111111111:function:f'));
    expect(validate(substituted).errors).toEqual([]);
    expect(rollout.stateMachine).toBeDefined();
  });

  it("gives the state machine's role the migration function and its own child executions, nothing else", () => {
    const role = idOf(migrations.fleetRollout!.stateMachine.role);
    const actions = Object.values(t.findResources('AWS::IAM::Policy', { Properties: { Roles: [{ Ref: role }] } })).flatMap((p) =>
      (p.Properties.PolicyDocument.Statement as { Action: string | string[] }[]).flatMap((s) => s.Action),
    );
    const ownActions = actions.filter((a) => !a.startsWith('logs:') && !a.startsWith('xray:'));
    expect(new Set(ownActions)).toEqual(new Set(['lambda:InvokeFunction', 'states:StartExecution', 'states:DescribeExecution', 'states:StopExecution']));
    const machine = idOf(migrations.fleetRollout!.stateMachine);
    t.hasResourceProperties('AWS::IAM::Policy', {
      Roles: [{ Ref: role }],
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Action: 'states:StartExecution', Resource: { Ref: machine } }),
          Match.objectLike({
            Action: ['states:DescribeExecution', 'states:StopExecution'],
            Resource: { 'Fn::Join': ['', Match.arrayWith([{ 'Fn::GetAtt': [machine, 'Name'] }, '/Tenants:*'])] },
          }),
        ]),
      },
    });
  });

  it("lets the custom resource's function start the state machine, describe and stop its executions, and run after that right exists", () => {
    const machine = idOf(migrations.fleetRollout!.stateMachine);
    const handlerRole = stack.getLogicalId(migrations.node.findChild('HandlerRole').node.defaultChild as never);
    const start = Object.entries(t.findResources('AWS::IAM::Policy', { Properties: { Roles: [{ Ref: handlerRole }] } })).find(([, p]) =>
      JSON.stringify(p).includes('states:'),
    );
    const [startStatement, describeStatement] = start![1].Properties.PolicyDocument.Statement;
    expect(start![1].Properties.PolicyDocument.Statement).toHaveLength(2);
    expect(startStatement).toEqual({ Sid: 'StartTheFleetRollout', Effect: 'Allow', Action: 'states:StartExecution', Resource: { Ref: machine } });
    expect(describeStatement.Action).toEqual(['states:DescribeExecution', 'states:StopExecution']);
    // arn:<partition>:states:<region>:<account>:execution:<the state machine's name>:*
    expect(describeStatement.Resource['Fn::Join'][1].slice(-3)).toEqual([':execution:', { 'Fn::GetAtt': [machine, 'Name'] }, ':*']);
    const [resource] = Object.values(t.findResources('Custom::SchemaMigrations'));
    expect(resource!.DependsOn).toEqual(expect.arrayContaining([start![0], machine]));
    expect(resource!.Properties[PROP.fleetStateMachine]).toEqual(stack.resolve(migrations.fleetRollout!.knownArn));
    expect(JSON.parse(resource!.Properties[PROP.fleet])).toEqual(FLEET);
  });

  it("fixes the state machine's ARN in the functions' configuration (a deciding property) without depending on the state machine", () => {
    // Prepare
    const machine = idOf(migrations.fleetRollout!.stateMachine);
    const arn = stack.resolve(migrations.fleetRollout!.knownArn);
    const name = t.toJSON().Resources[machine].Properties.StateMachineName as { 'Fn::Join': [string, unknown[]] };
    // Assess: the ARN is the state machine's own name under the stack's partition, region and account, the name unique to the stack instance.
    const [prefix, unique] = name['Fn::Join'][1] as [string, unknown];
    expect(unique).toEqual({ 'Fn::Select': [2, { 'Fn::Split': ['/', { Ref: 'AWS::StackId' }] }] });
    expect(arn).toEqual({
      'Fn::Join': [
        '',
        ['arn:', { Ref: 'AWS::Partition' }, ':states:', { Ref: 'AWS::Region' }, ':', { Ref: 'AWS::AccountId' }, `:stateMachine:${prefix}`, unique],
      ],
    });
    for (const fn of [migrations.onEventHandler, migrations.isCompleteHandler]) {
      const [props] = Object.values(
        t.findResources('AWS::Lambda::Function', {
          Properties: { Handler: Match.stringLikeRegexp(fn === migrations.onEventHandler ? 'onEvent' : 'isComplete') },
        }),
      );
      const serves = JSON.stringify(props!.Properties.Environment.Variables.SCHEMAGUARD_SERVES);
      expect(serves).toContain(`${PROP.fleetStateMachine}\\":\\"arn:`);
      expect(serves).toContain('AWS::StackId');
      // No Ref or GetAtt of the state machine: it invokes the function, so the function may not depend on it.
      expect(JSON.stringify(props)).not.toContain(machine);
    }
  });

  it('tells both functions the fleet, and makes no state machine without one', () => {
    for (const fn of [migrations.onEventHandler, migrations.isCompleteHandler])
      t.hasResourceProperties('AWS::Lambda::Function', {
        Handler: Match.stringLikeRegexp(fn === migrations.onEventHandler ? 'onEvent' : 'isComplete'),
        Environment: { Variables: Match.objectLike({ [ENV.fleet]: JSON.stringify(FLEET) }) },
      });
    const plain = Template.fromStack(stackWith({}).stack);
    // The Provider framework's waiter is the one state machine left.
    plain.resourceCountIs('AWS::StepFunctions::StateMachine', 1);
    expect(JSON.stringify(plain.findResources('AWS::Lambda::Function'))).not.toContain(ENV.fleet);
  });

  it('refuses a fleet through the Data API, a schema fleet through a proxy, a wave too large for Step Functions, a fleet spec that names no tenants, and a queryInterval that could miss the late stop', () => {
    const refused = (props: Partial<SchemaMigrationsProps>, build?: (s: ReturnType<typeof stackWith>) => void) => {
      try {
        const s = stackWith(props);
        build?.(s);
      } catch (e) {
        return (e as Error).message;
      }
      return 'built';
    };
    expect(refused({ fleet: { ...FLEET, waveSize: 5000 } })).toContain('"waveSize" is 5000; on Step Functions a wave holds at most 1000 tenants');
    expect(refused({ fleet: { concurrency: 3 } as never })).toContain('"fleet" names no tenants');
    expect(refused({ fleet: FLEET, queryInterval: Duration.seconds(60) })).toContain('"queryInterval" is 60 s with a fleet; use less than 60 s');
    expect(refused({ fleet: FLEET, queryInterval: Duration.seconds(45) })).toBe('built');
    expect(
      refused({}, ({ stack, instance, vpc }) => {
        const proxy = instance.addProxy('Proxy', { secrets: [instance.secret!], vpc });
        new SchemaMigrations(stack, 'ThroughProxy', {
          database: proxy,
          secret: instance.secret!,
          vpc,
          migrationsDir,
          fleet: FLEET,
          stateSchema: 'through_proxy',
        });
      }),
    ).toContain('names tenant schemas, and "database" is a pooler (an RDS Proxy)');
    expect(
      refused({}, ({ stack, vpc }) => {
        const cluster = new rds.DatabaseCluster(stack, 'Aurora', {
          engine: rds.DatabaseClusterEngine.auroraPostgres({ version: rds.AuroraPostgresEngineVersion.VER_17_9 }),
          writer: rds.ClusterInstance.serverlessV2('writer'),
          vpc,
          vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_ISOLATED },
          enableDataApi: true,
        });
        new SchemaMigrations(stack, 'DataApi', { dataApiCluster: cluster, secret: cluster.secret!, migrationsDir, fleet: FLEET });
      }),
    ).toContain("a fleet's tenants are reached over a connection");
  });

  it("reads a fleet named under an SSM path with ssm:GetParametersByPath on that path alone, in the migrations' functions and the guard's", () => {
    // Prepare: a fleet named in Parameter Store, and the guard over it.
    const s = stackWith({ fleet: { parameterPath: '/myapp/tenants/', concurrency: 2 } });
    new SchemaGuard(s.stack, 'Guard', { migrations: s.migrations, databaseName: 'app' });
    const template = Template.fromStack(s.stack);
    // Act: every statement that names an SSM action, with the role it is in.
    const statements = Object.entries(template.findResources('AWS::IAM::Policy')).flatMap(([id, policy]) =>
      (policy.Properties.PolicyDocument.Statement as { Action: string | string[]; Resource: unknown }[])
        .filter((st) => [st.Action].flat().some((a) => a.startsWith('ssm:') || a.startsWith('kms:')))
        .map((st) => ({ id, roles: JSON.stringify(policy.Properties.Roles), action: st.Action, resource: s.stack.resolve(st.Resource) })),
    );
    // Assess: the handler's role (onEvent, isComplete and the tenant items) and the guard's, each on exactly the path; no kms:Decrypt.
    const path = {
      'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':ssm:', { Ref: 'AWS::Region' }, ':', { Ref: 'AWS::AccountId' }, ':parameter/myapp/tenants']],
    };
    expect(statements.map((st) => [st.action, st.resource])).toEqual([
      ['ssm:GetParametersByPath', path],
      ['ssm:GetParametersByPath', path],
    ]);
    const roleOf = (c: { node: { defaultChild?: unknown } }) => s.stack.getLogicalId(c.node.defaultChild as never);
    const roles = statements.map((st) => st.roles);
    expect(roles).toHaveLength(2);
    expect(roles).toEqual(
      expect.arrayContaining([JSON.stringify([{ Ref: roleOf(s.migrations.onEventHandler.role as never) }]), expect.stringContaining('GuardFunctionRole')]),
    );
    // The schemas fleet of the other tests reads no SSM.
    expect(JSON.stringify(t.findResources('AWS::IAM::Policy'))).not.toContain('ssm:GetParametersByPath');
  });

  it('opens 443 to ssmEndpoint for a fleet named in SSM, and refuses one whose handler reaches HTTPS only through other endpoints', () => {
    const endpoints = (vpc: ec2.Vpc) => ({
      secretsManagerEndpoint: vpc.addInterfaceEndpoint('Sm', { service: ec2.InterfaceVpcEndpointAwsService.SECRETS_MANAGER }),
      stepFunctionsEndpoint: vpc.addInterfaceEndpoint('Sfn', { service: ec2.InterfaceVpcEndpointAwsService.STEP_FUNCTIONS }),
    });
    const build = (withSsm: boolean) => {
      const stack = new Stack(new App(), 'FleetSsm');
      const vpc = new ec2.Vpc(stack, 'Vpc', { natGateways: 0, subnetConfiguration: [{ name: 'db', subnetType: ec2.SubnetType.PRIVATE_ISOLATED }] });
      const instance = new rds.DatabaseInstance(stack, 'Db', {
        engine: rds.DatabaseInstanceEngine.postgres({ version: rds.PostgresEngineVersion.VER_17 }),
        vpc,
        vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_ISOLATED },
      });
      const ssmEndpoint = withSsm ? vpc.addInterfaceEndpoint('Ssm', { service: ec2.InterfaceVpcEndpointAwsService.SSM }) : undefined;
      new SchemaMigrations(stack, 'Migrations', {
        database: instance,
        secret: instance.secret!,
        vpc,
        migrationsDir,
        fleet: { parameterPath: '/myapp/tenants' },
        ...endpoints(vpc),
        ...(ssmEndpoint ? { ssmEndpoint } : {}),
      });
      return { template: Template.fromStack(stack), stack, ssmEndpoint };
    };
    // Refused without the SSM endpoint, naming the prop and the fix.
    expect(() => build(false)).toThrow(
      /the fleet names its tenants under an SSM parameter path \("parameterPath"\).*only through "secretsManagerEndpoint": add an interface endpoint and pass it: ssmEndpoint: vpc\.addInterfaceEndpoint\('Ssm'/,
    );
    // With it: the handler's group reaches the endpoint's on 443, described as SSM.
    const { template, stack, ssmEndpoint } = build(true);
    template.hasResourceProperties('AWS::EC2::SecurityGroupEgress', {
      IpProtocol: 'tcp',
      FromPort: 443,
      ToPort: 443,
      Description: Match.stringLikeRegexp("to SSM \\(the fleet's tenants\\)"),
      DestinationSecurityGroupId: stack.resolve(ssmEndpoint!.connections.securityGroups[0]!.securityGroupId),
    });
  });

  it("pages once when a rollout fails, times out or is aborted, the runbook in the alarm's description", () => {
    const machine = idOf(migrations.fleetRollout!.stateMachine);
    const perMinute = (name: string, id: string) =>
      Match.objectLike({
        Id: id,
        MetricStat: {
          Metric: { Namespace: 'AWS/States', MetricName: name, Dimensions: [{ Name: 'StateMachineArn', Value: { Ref: machine } }] },
          Period: 60,
          Stat: 'Sum',
        },
      });
    const description = deployAlarmDescription(FLEET_ROLLOUT_ALARM);
    expect(description.length).toBeLessThanOrEqual(MAX_ALARM_DESCRIPTION_LENGTH);
    t.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: 'fleet-db-page-fleet-rollout',
      AlarmDescription: description,
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      TreatMissingData: 'notBreaching',
      AlarmActions: [{ Ref: Match.stringLikeRegexp('^AlarmsTopic') }],
      Metrics: Match.arrayWith([
        Match.objectLike({ Expression: 'FILL(f, 0) + FILL(t, 0) + FILL(a, 0)', ReturnData: true }),
        perMinute('ExecutionsFailed', 'f'),
        perMinute('ExecutionsTimedOut', 't'),
        perMinute('ExecutionsAborted', 'a'),
      ]),
    });
  });

  it('leaves no cdk-nag finding of the rollout unacknowledged', () => {
    const report = new AwsSolutionsChecks().validateScope(migrations.fleetRollout!);
    expect(report.violations.map((v) => `${v.ruleName}: ${v.violatingResources.map((r) => r.resourceLogicalId).join(', ')}`)).toEqual([]);
  });
});
