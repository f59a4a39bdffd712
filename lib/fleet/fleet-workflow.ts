/**
 * The fleet's rollout as a Step Functions workflow, in the order the CLI
 * runs it (lambda/engine/fleet/rollout.ts): the canary tenant alone (a Task
 * invoking the migration function), then the waves one after another (a
 * Choice that loops while waves are left), each wave a Map state over its
 * tenants with MaxConcurrency, each item one invocation of the function with
 * `{ "fleetTenant": NAME }`. A tenant that fails fails its Task; a Map state
 * fails when an iteration fails, and the execution then fails at once: no
 * later wave starts, and the waiter reports the failure.
 *
 * The loop is explicit (Choice, Pass with States.ArrayGetItem and
 * States.MathAdd) rather than a Map over the waves, so that a wave's failure
 * is the last thing the execution does on every engine that runs it.
 */
import { wavesOf } from '../../lambda/engine/fleet/rollout';
import type { Fleet } from '../../lambda/engine/fleet/fleet-spec';
import type { Tenant } from '../../lambda/engine/fleet/tenants';

export interface FleetWorkflowOptions {
  /** The migration function's ARN (or a token for it). */
  functionArn: string;
  /** A wave's MaxConcurrency: tenants at work at once. */
  concurrency: number;
}

/** The execution's input: the canary, then the waves (`wavesOf`). */
export interface FleetInput {
  canary: string;
  waves: string[][];
  next: 0;
}

export function fleetInput(tenants: readonly Tenant[], fleet: Pick<Fleet, 'waveSize'>): FleetInput {
  const [canary, ...waves] = wavesOf(
    tenants.map((t) => t.name),
    fleet.waveSize,
  );
  return { canary: canary?.[0] ?? '', waves, next: 0 };
}

/** One invocation of the function for the tenant at `path`, its answer the state's output. */
function invoke(functionArn: string, path: string): Record<string, unknown> {
  return {
    Type: 'Task',
    Resource: 'arn:aws:states:::lambda:invoke',
    Parameters: { FunctionName: functionArn, Payload: { 'fleetTenant.$': path } },
    OutputPath: '$.Payload',
    // Lambda's own transient errors, as the Step Functions guide recommends for every Lambda task; a tenant's failure is not one of them.
    Retry: [
      {
        ErrorEquals: ['Lambda.ServiceException', 'Lambda.AWSLambdaException', 'Lambda.SdkClientException', 'Lambda.TooManyRequestsException'],
        IntervalSeconds: 2,
        MaxAttempts: 6,
        BackoffRate: 2,
      },
    ],
  };
}

/** The Amazon States Language definition. */
export function fleetDefinition(o: FleetWorkflowOptions): Record<string, unknown> {
  return {
    Comment: 'schemaguard fleet rollout: the canary, then waves of at most MaxConcurrency tenants; the first failure ends it',
    StartAt: 'Canary',
    States: {
      Canary: {
        ...invoke(o.functionArn, '$.canary'),
        ResultPath: '$.canaryReport',
        OutputPath: '$',
        ResultSelector: { 'report.$': '$.Payload' },
        Next: 'Count',
      },
      Count: { Type: 'Pass', Parameters: { 'waves.$': '$.waves', 'next.$': '$.next', 'count.$': 'States.ArrayLength($.waves)' }, Next: 'MoreWaves' },
      MoreWaves: { Type: 'Choice', Choices: [{ Variable: '$.next', NumericLessThanPath: '$.count', Next: 'PickWave' }], Default: 'Done' },
      PickWave: { Type: 'Pass', Parameters: { 'tenants.$': 'States.ArrayGetItem($.waves, $.next)' }, ResultPath: '$.wave', Next: 'Wave' },
      Wave: {
        Type: 'Map',
        ItemsPath: '$.wave.tenants',
        MaxConcurrency: o.concurrency,
        ItemProcessor: { ProcessorConfig: { Mode: 'INLINE' }, StartAt: 'Tenant', States: { Tenant: { ...invoke(o.functionArn, '$'), End: true } } },
        ResultPath: null,
        Next: 'NextWave',
      },
      NextWave: { Type: 'Pass', Parameters: { 'waves.$': '$.waves', 'count.$': '$.count', 'next.$': 'States.MathAdd($.next, 1)' }, Next: 'MoreWaves' },
      Done: { Type: 'Succeed' },
    },
  };
}
