/**
 * The backfills' workflow as SchemaMigrations makes it: only when a
 * migration has a `-- schemaguard:backfill`; a Standard state machine whose
 * definition asl-validator accepts, invoking the migration function; its
 * role may invoke that function and start its own continuation, nothing
 * more; the handler's role may start it, nothing more; the resource names it
 * and waits for it; the handler reaches Step Functions over HTTPS, or synth
 * says how (DatabaseStack's own endpoint: test/lib/alarms/backfill-alarms.test.ts).
 */
import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as rds from 'aws-cdk-lib/aws-rds';
import { beforeAll, describe, expect, it } from 'vitest';
import { PROP } from '../../../lambda/handler/constants';
import { backfillDefinition } from '../../../lib/backfill/backfill-definition';
import { SchemaMigrations } from '../../../lib/schema-migrations';
import { tempDir } from '../../support/files';

const WITH_BACKFILL = {
  '0001_orders.sql': 'CREATE TABLE orders (id bigint PRIMARY KEY, country text);\n',
  '0002_region.sql': 'ALTER TABLE orders ADD COLUMN region text;\n-- schemaguard:backfill\nUPDATE orders SET region = lower(country) WHERE region IS NULL;\n',
};
const WITHOUT = { '0001_orders.sql': WITH_BACKFILL['0001_orders.sql'] };

/** A stack with SchemaMigrations over a connection to an instance, its props overridden. */
function migrationsStack(files: Record<string, string>, endpoints: 'none' | 'secrets' | 'secrets+states' = 'none'): { stack: Stack; t: () => Template } {
  const stack = new Stack(new App(), 'Backfills');
  const vpc = new ec2.Vpc(stack, 'Vpc', { natGateways: 0, subnetConfiguration: [{ name: 'db', subnetType: ec2.SubnetType.PRIVATE_ISOLATED }] });
  const instance = new rds.DatabaseInstance(stack, 'Db', {
    engine: rds.DatabaseInstanceEngine.postgres({ version: rds.PostgresEngineVersion.VER_17 }),
    vpc,
    vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_ISOLATED },
    credentials: rds.Credentials.fromGeneratedSecret('postgres'),
  });
  const endpoint = (name: string, service: ec2.InterfaceVpcEndpointAwsService) => vpc.addInterfaceEndpoint(name, { service, open: false });
  new SchemaMigrations(stack, 'Migrations', {
    database: instance,
    vpc,
    secret: instance.secret!,
    migrationsDir: tempDir(files),
    contractsDir: tempDir({}),
    parseAtSynth: false,
    ...(endpoints === 'none' ? {} : { secretsManagerEndpoint: endpoint('Secrets', ec2.InterfaceVpcEndpointAwsService.SECRETS_MANAGER) }),
    ...(endpoints === 'secrets+states' ? { stepFunctionsEndpoint: endpoint('States', ec2.InterfaceVpcEndpointAwsService.STEP_FUNCTIONS) } : {}),
  });
  return { stack, t: () => Template.fromStack(stack) };
}

/** The state machines whose definition invokes the function for slices (the Provider framework's waiter is another). */
const backfillStateMachines = (t: Template) =>
  Object.entries(t.findResources('AWS::StepFunctions::StateMachine'))
    .filter(([, r]) => JSON.stringify(r.Properties.DefinitionString).includes('backfillSlice'))
    .map(([id]) => id);

describe('Function: backfillDefinition', () => {
  it('is a definition asl-validator accepts', async () => {
    const { default: validate } = (await import('asl-validator' as string)) as {
      default: (d: unknown) => { isValid: boolean; errorsText: (sep: string) => string };
    };
    const definition = backfillDefinition({
      functionArn: 'arn:aws:lambda:eu-west-1:111111111111:function:schemaguard-onEvent',
      pauseSeconds: 30,
      maxSlices: 1000,
      sliceTimeoutSeconds: 360,
    });
    const result = validate(definition);
    expect(result.isValid, result.errorsText('\n')).toBe(true);
  });
});

describe('Construct: SchemaMigrations with a backfill', () => {
  let t: Template;
  let stateMachine: string;
  let onEvent: string;
  beforeAll(() => {
    t = migrationsStack(WITH_BACKFILL, 'secrets+states').t();
    stateMachine = backfillStateMachines(t)[0]!;
    onEvent = Object.keys(
      t.findResources('AWS::Lambda::Function', { Properties: { Description: 'schemaguard: applies the migrations during cdk deploy' } }),
    ).find((id) => id.includes('OnEvent'))!;
  });

  it('makes a Standard state machine that invokes onEvent, logged without execution data and traced', () => {
    expect(backfillStateMachines(t)).toEqual([stateMachine]);
    t.hasResourceProperties('AWS::StepFunctions::StateMachine', {
      DefinitionString: Match.stringLikeRegexp('"backfillSlice"'),
      StateMachineType: 'STANDARD',
      DefinitionSubstitutions: { MigrationFunctionArn: { 'Fn::GetAtt': [onEvent, 'Arn'] } },
      LoggingConfiguration: { Level: 'ALL', IncludeExecutionData: false },
      TracingConfiguration: { Enabled: true },
    });
  });

  it("its role invokes the migration function and starts its own continuation, nothing else of the stack's", () => {
    const policies = Object.values(t.findResources('AWS::IAM::Policy')).map((p) => p.Properties);
    const role = t.findResources('AWS::StepFunctions::StateMachine')[stateMachine]!.Properties.RoleArn['Fn::GetAtt'][0];
    const statements = policies.filter((p) => JSON.stringify(p.Roles) === JSON.stringify([{ Ref: role }])).flatMap((p) => p.PolicyDocument.Statement);
    const invoke = statements.find((s) => s.Action === 'lambda:InvokeFunction');
    expect(invoke.Resource).toEqual([{ 'Fn::GetAtt': [onEvent, 'Arn'] }, { 'Fn::Join': ['', [{ 'Fn::GetAtt': [onEvent, 'Arn'] }, ':*']] }]);
    expect(statements.find((s) => s.Sid === 'StartItsContinuation')).toMatchObject({ Action: 'states:StartExecution', Resource: { Ref: stateMachine } });
    const others = statements.filter((s) => s !== invoke && s.Sid !== 'StartItsContinuation').flatMap((s) => [s.Action].flat());
    expect(
      others.every((a: string) => a.startsWith('logs:') || a.startsWith('xray:')),
      others.join(', '),
    ).toBe(true);
  });

  it("the handler's role may start it and nothing more of Step Functions; the resource names it and waits for it", () => {
    t.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: { Statement: [{ Sid: 'StartBackfills', Action: 'states:StartExecution', Effect: 'Allow', Resource: { Ref: stateMachine } }] },
    });
    const states = JSON.stringify(t.findResources('AWS::IAM::Policy')).match(/"states:[A-Za-z]+"/g);
    expect(new Set(states)).toEqual(new Set(['"states:StartExecution"']));
    const [resource] = Object.values(t.findResources('Custom::SchemaMigrations'));
    expect(resource!.Properties[PROP.backfillStateMachine]).toEqual({ Ref: stateMachine });
    expect(resource!.DependsOn).toEqual(expect.arrayContaining([stateMachine]));
  });

  it("opens the handler's group to the Step Functions endpoint on 443", () => {
    t.hasResourceProperties('AWS::EC2::SecurityGroupEgress', {
      IpProtocol: 'tcp',
      FromPort: 443,
      ToPort: 443,
      Description: "schemaguard migrations handler to Step Functions (a backfill's workflow)",
    });
  });
});

describe('Construct: SchemaMigrations without a backfill', () => {
  it('makes no backfill workflow and names none', () => {
    const t = migrationsStack(WITHOUT).t();
    expect(backfillStateMachines(t)).toEqual([]);
    t.hasResourceProperties('Custom::SchemaMigrations', { [PROP.backfillStateMachine]: Match.absent() });
  });
});

describe('Construct: SchemaMigrations with a backfill and no way to Step Functions', () => {
  it('refuses at synth, naming the endpoint to pass', () => {
    expect(() => migrationsStack(WITH_BACKFILL, 'secrets')).toThrow(
      /a migration has a -- schemaguard:backfill, whose workflow the deploy starts on Step Functions, and the handler reaches HTTPS only through "secretsManagerEndpoint": add an interface endpoint and pass it: stepFunctionsEndpoint: vpc\.addInterfaceEndpoint\('StepFunctions'/,
    );
  });
});
