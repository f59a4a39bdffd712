/**
 * BackfillWorkflow: the Step Functions Standard state machine that runs a
 * backfill's batches after the deploy that started it (its definition:
 * backfill-definition.ts), made by SchemaMigrations when a migration has a
 * `-- schemaguard:backfill`. Its role may invoke the migration function and
 * start its own continuation, nothing else; `startStatement` is what the
 * custom resource's function needs to start it.
 *
 * Why Step Functions, not a Lambda durable function: the progress is the
 * database's already (each batch commits its upper key), so the workflow
 * needs no checkpoint of its own — only a loop, a wait that costs no
 * function time while the database is unhealthy, retries, and an execution
 * a user can see, stop and start again by hand. The migration function stays
 * as it is (a durable function is one made with DurableConfig, invoked by a
 * qualified ARN), and the definition runs locally in the tests.
 */
import type { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { BACKFILL_DIMENSION, BACKFILL_NAMESPACE, type BackfillMetricName } from '../../lambda/handler/constants';
import { acknowledge, arnToken } from '../nag';
import { backfillDefinition, DEFAULT_MAX_SLICES, DEFAULT_PAUSE_SECONDS, FUNCTION_ARN_PLACEHOLDER } from './backfill-definition';

export interface BackfillWorkflowProps {
  /** The migration function: each slice is one invocation of it. */
  readonly migrationFunction: lambda.IFunction;
  /** The function's timeout: a slice's Task times out a minute after it. */
  readonly functionTimeout: Duration;
  readonly logRetention: logs.RetentionDays;
  readonly logRemovalPolicy: RemovalPolicy;
}

/** A slice's Task outlasts the function's own timeout by this, so the function's timeout is what ends a slice. */
const SLICE_TIMEOUT_MARGIN_SECONDS = 60;

export class BackfillWorkflow extends Construct {
  readonly stateMachine: sfn.StateMachine;
  /** The function each slice invokes: its name is the backfill metrics' dimension. */
  readonly migrationFunction: lambda.IFunction;
  /** Its execution log (vended logs, as the waiter's). */
  readonly logGroup: logs.LogGroup;

  constructor(scope: Construct, id: string, props: BackfillWorkflowProps) {
    super(scope, id);
    this.migrationFunction = props.migrationFunction;
    this.logGroup = new logs.LogGroup(this, 'Logs', {
      // Step Functions delivers vended logs; a group under this prefix stays out of the account's Logs resource policy (see SchemaMigrations' waiter).
      logGroupName: `/aws/vendedlogs/states/schemaguard-backfill-${props.migrationFunction.functionName}`,
      retention: props.logRetention,
      removalPolicy: props.logRemovalPolicy,
    });
    const definition = backfillDefinition({
      functionArn: FUNCTION_ARN_PLACEHOLDER,
      pauseSeconds: DEFAULT_PAUSE_SECONDS,
      maxSlices: DEFAULT_MAX_SLICES,
      sliceTimeoutSeconds: props.functionTimeout.toSeconds() + SLICE_TIMEOUT_MARGIN_SECONDS,
    });
    this.stateMachine = new sfn.StateMachine(this, 'StateMachine', {
      definitionBody: sfn.DefinitionBody.fromString(JSON.stringify(definition)),
      definitionSubstitutions: { MigrationFunctionArn: props.migrationFunction.functionArn },
      stateMachineType: sfn.StateMachineType.STANDARD,
      logs: { destination: this.logGroup, level: sfn.LogLevel.ALL, includeExecutionData: false },
      tracingEnabled: true,
    });
    props.migrationFunction.grantInvoke(this.stateMachine);
    this.continuationPolicy();
    acknowledgeNagFindings(this, props.migrationFunction);
  }

  /**
   * The continuation: StartExecution of this state machine, nothing else. A
   * policy of its own: in the role's default policy, naming the state machine
   * would make it depend on itself.
   */
  private continuationPolicy(): void {
    const policy = new iam.Policy(this, 'ContinuationPolicy');
    this.stateMachine.role.attachInlinePolicy(policy);
    policy.addStatements(
      new iam.PolicyStatement({ sid: 'StartItsContinuation', actions: ['states:StartExecution'], resources: [this.stateMachine.stateMachineArn] }),
    );
  }

  /** What the custom resource's function may do: start this state machine. */
  startStatement(): iam.PolicyStatement {
    return new iam.PolicyStatement({ sid: 'StartBackfills', actions: ['states:StartExecution'], resources: [this.stateMachine.stateMachineArn] });
  }

  /** Executions that failed, timed out or were aborted, Sum per `period`, added up: a backfill that stopped before done. */
  metricStoppedBackfills(period: Duration): cloudwatch.IMetric {
    const metric = (name: 'ExecutionsFailed' | 'ExecutionsTimedOut' | 'ExecutionsAborted') =>
      this.stateMachine.metric(name, { statistic: cloudwatch.Stats.SUM, period });
    return new cloudwatch.MathExpression({
      expression: 'FILL(f, 0) + FILL(t, 0) + FILL(a, 0)',
      usingMetrics: { f: metric('ExecutionsFailed'), t: metric('ExecutionsTimedOut'), a: metric('ExecutionsAborted') },
      label: 'Backfills failed, timed out or aborted',
      period,
    });
  }

  /** One of the slices' own metrics (lambda/handler/backfill/metrics.ts), for this function's backfills. */
  metric(name: BackfillMetricName, statistic: string, period: Duration): cloudwatch.Metric {
    return new cloudwatch.Metric({
      namespace: BACKFILL_NAMESPACE,
      metricName: name,
      dimensionsMap: { [BACKFILL_DIMENSION.migrationFunction]: this.migrationFunction.functionName },
      statistic,
      period,
    });
  }
}

function acknowledgeNagFindings(self: BackfillWorkflow, fn: lambda.IFunction): void {
  acknowledge(
    self.stateMachine.role,
    `AwsSolutions-IAM5[Resource::${arnToken(fn)}:*]`,
    'The workflow invokes the migration function and its versions (ARN:*); the wildcard is the version qualifier of this one function only.',
  );
  acknowledge(
    self.stateMachine.role,
    'AwsSolutions-IAM5[Resource::*]',
    'X-Ray tracing and the CloudWatch Logs delivery actions of the execution log (logs:CreateLogDelivery, GetLogDelivery, …) do not support resource-level permissions.',
  );
}
