/**
 * FleetRollout: the state machine that rolls the migrations out to a
 * fleet's tenants (its definition: fleet-workflow.ts), made by
 * SchemaMigrations when a fleet is named. Its role may invoke the migration
 * function and run its own Distributed Map's child executions, nothing
 * else; `startStatements` are what the custom resource's function needs to
 * start, describe and stop its executions.
 */
import { ArnFormat, Aws, Duration, Fn, Names, type RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import type { Fleet, FleetSpec } from '../../lambda/engine/fleet/fleet-spec';
import { ENV } from '../../lambda/handler/constants';
import { acknowledge, arnToken } from '../nag';
import { FLEET_MAP_LABEL, FUNCTION_ARN_PLACEHOLDER, fleetDefinition } from './fleet-workflow';

export interface FleetRolloutProps {
  readonly fleet: Fleet;
  /** The migration function: each tenant item and each wave's tally is one invocation of it. */
  readonly migrationFunction: lambda.IFunction;
  readonly logRetention: logs.RetentionDays;
  readonly logRemovalPolicy: RemovalPolicy;
}

/** The most tenants a wave may hold on Step Functions: a wave's results are state data, which is at most 256 KiB. */
export const MAX_AWS_WAVE_SIZE = 1000;

/**
 * The fleet's rollout on Step Functions: a standard state machine that runs
 * the canary, then the waves, each tenant one invocation of the migration
 * function (lib/fleet/fleet-workflow.ts). SchemaMigrations makes it when it
 * has a fleet, and its custom resource starts one execution per deploy.
 */
export class FleetRollout extends Construct {
  readonly stateMachine: sfn.StateMachine;
  /** Its execution log (vended logs, as the waiter's). */
  readonly logGroup: logs.LogGroup;
  /**
   * The state machine's ARN, built from its name and the stack's pseudo
   * parameters: it names no resource, so the migration function (which the
   * state machine invokes) can have it fixed in its configuration without a
   * circular dependency. The custom resource passes this same value.
   */
  readonly knownArn: string;

  constructor(scope: Construct, id: string, props: FleetRolloutProps) {
    super(scope, id);
    refuseLargeWaves(props.fleet);
    this.logGroup = new logs.LogGroup(this, 'Logs', {
      // Step Functions delivers vended logs; a group under this prefix stays out of the account's Logs resource policy (see SchemaMigrations' waiter).
      logGroupName: `/aws/vendedlogs/states/schemaguard-fleet-${props.migrationFunction.functionName}`,
      retention: props.logRetention,
      removalPolicy: props.logRemovalPolicy,
    });
    // Unique per stack instance (the stack id's UUID): a stack deleted and deployed again names a new one.
    const name = `${Names.uniqueResourceName(this, { maxLength: 43, separator: '-' })}-${Fn.select(2, Fn.split('/', Aws.STACK_ID))}`;
    this.knownArn = Stack.of(this).formatArn({ service: 'states', resource: 'stateMachine', resourceName: name, arnFormat: ArnFormat.COLON_RESOURCE_NAME });
    this.stateMachine = new sfn.StateMachine(this, 'StateMachine', {
      stateMachineName: name,
      definitionBody: sfn.DefinitionBody.fromString(
        JSON.stringify(fleetDefinition({ functionArn: FUNCTION_ARN_PLACEHOLDER, concurrency: props.fleet.concurrency })),
      ),
      definitionSubstitutions: { MigrationFunctionArn: props.migrationFunction.functionArn },
      stateMachineType: sfn.StateMachineType.STANDARD,
      logs: { destination: this.logGroup, level: sfn.LogLevel.ALL, includeExecutionData: false },
      tracingEnabled: true,
      comment: 'schemaguard: rolls the migrations out to the fleet, a canary then waves',
    });
    props.migrationFunction.grantInvoke(this.stateMachine);
    this.childExecutionPolicy();
    acknowledgeNagFindings(this, props.migrationFunction);
  }

  /**
   * The Distributed Map's own calls: start child executions of this state
   * machine, describe and stop them (the policy Step Functions documents for
   * a Distributed Map). A policy of its own, as CDK's DistributedMap makes
   * it: in the role's default policy, naming the state machine would make it
   * depend on itself.
   */
  private childExecutionPolicy(): void {
    const policy = new iam.Policy(this, 'DistributedMapPolicy');
    this.stateMachine.role.attachInlinePolicy(policy);
    policy.addStatements(
      new iam.PolicyStatement({ sid: 'StartChildExecutions', actions: ['states:StartExecution'], resources: [this.stateMachine.stateMachineArn] }),
      new iam.PolicyStatement({
        sid: 'DescribeAndStopChildExecutions',
        actions: ['states:DescribeExecution', 'states:StopExecution'],
        resources: [this.executionArn(`${FLEET_MAP_LABEL}:*`, '/')],
      }),
    );
  }

  /** `arn:…:execution:<state machine name><separator><name>`. */
  executionArn(name: string, separator: ':' | '/' = ':'): string {
    return Stack.of(this).formatArn({
      service: 'states',
      resource: 'execution',
      arnFormat: ArnFormat.COLON_RESOURCE_NAME,
      resourceName: `${this.stateMachine.stateMachineName}${separator}${name}`,
    });
  }

  /** What the custom resource's function may do: start this state machine, describe and stop its executions. */
  startStatements(): iam.PolicyStatement[] {
    return [
      new iam.PolicyStatement({ sid: 'StartTheFleetRollout', actions: ['states:StartExecution'], resources: [this.stateMachine.stateMachineArn] }),
      new iam.PolicyStatement({
        sid: 'DescribeAndStopTheFleetRollout',
        actions: ['states:DescribeExecution', 'states:StopExecution'],
        resources: [this.executionArn('*')],
      }),
    ];
  }

  /** Executions that failed, timed out or were aborted, Sum per minute, added up: a rollout that did not finish. */
  metricFailedRollouts(period = Duration.minutes(1)): cloudwatch.IMetric {
    const metric = (name: 'ExecutionsFailed' | 'ExecutionsTimedOut' | 'ExecutionsAborted') =>
      this.stateMachine.metric(name, { statistic: cloudwatch.Stats.SUM, period });
    return new cloudwatch.MathExpression({
      expression: 'FILL(f, 0) + FILL(t, 0) + FILL(a, 0)',
      usingMetrics: { f: metric('ExecutionsFailed'), t: metric('ExecutionsTimedOut'), a: metric('ExecutionsAborted') },
      label: 'Fleet rollouts failed, timed out or aborted',
      period,
    });
  }
}

/** SCHEMAGUARD_FLEET: the spec as the handler reads it (the project file's shape, its defaults filled); none without a fleet. */
export function fleetEnvironment(fleet: Fleet | undefined): Record<string, string> {
  if (!fleet) return {};
  const spec: FleetSpec = {
    [fleet.source]: fleet.value,
    ...(fleet.canary !== undefined ? { canary: fleet.canary } : {}),
    concurrency: fleet.concurrency,
    waveSize: fleet.waveSize,
    toleratedFailures: fleet.toleratedFailures,
  };
  return { [ENV.fleet]: JSON.stringify(spec) };
}

/** A wave's results are the Map state's output, state data of at most 256 KiB: past MAX_AWS_WAVE_SIZE tenants it may not fit. */
function refuseLargeWaves(fleet: Fleet): void {
  if (fleet.waveSize <= MAX_AWS_WAVE_SIZE) return;
  throw new Error(
    `SchemaMigrations: the fleet's "waveSize" is ${fleet.waveSize}; on Step Functions a wave holds at most ${MAX_AWS_WAVE_SIZE} tenants (its results are state data, at most 256 KiB); write a smaller waveSize (concurrency, not the wave, sets how many run at once)`,
  );
}

function acknowledgeNagFindings(self: FleetRollout, fn: lambda.IFunction): void {
  const role = self.stateMachine.role;
  acknowledge(
    role,
    `AwsSolutions-IAM5[Resource::${arnToken(fn)}:*]`,
    'The rollout invokes the migration function and its versions (ARN:*); the wildcard is the version qualifier of this one function only.',
  );
  acknowledge(
    role,
    'AwsSolutions-IAM5[Resource::*]',
    'X-Ray tracing and the CloudWatch Logs delivery actions of the execution log (logs:CreateLogDelivery, GetLogDelivery, …) do not support resource-level permissions.',
  );
  const executions = `arn:<AWS::Partition>:states:<AWS::Region>:<AWS::AccountId>:execution:<${Stack.of(self).getLogicalId(self.stateMachine.node.defaultChild as sfn.CfnStateMachine)}.Name>`;
  acknowledge(
    self,
    `AwsSolutions-IAM5[Resource::${executions}/${FLEET_MAP_LABEL}:*]`,
    "The Distributed Map describes and stops its own child executions, whose ids Step Functions makes: the wildcard is the id, under this state machine's Map label only.",
  );
  acknowledge(
    self,
    `AwsSolutions-IAM5[Resource::${executions}:*]`,
    "The custom resource's function describes and stops the rollout it started, an execution named at deploy time: the wildcard is the execution's name, under this state machine only.",
  );
}
