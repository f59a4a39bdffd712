/**
 * The fleet's rollout as an Amazon States Language definition, in the order
 * the CLI runs it (lambda/engine/fleet/rollout.ts): the waves one after
 * another, the canary alone first; each wave a Distributed Map over its
 * tenants with MaxConcurrency, each item one invocation of the migration
 * function (`{ "fleetTenant": NAME, … }`, lambda/handler/fleet/tenant.ts).
 *
 * A tenant's failure is caught in its item and becomes a result, so every
 * tenant a wave started ends, none interrupted between its files. After the
 * wave the function tallies the failures over the run (`{ "fleetTally": … }`,
 * the CLI's own stop rule) and says whether the rollout stops: when the
 * canary failed or more failed than tolerated, the execution fails with
 * FleetRolloutFailed, its cause the failures as JSON. No later wave starts;
 * the tenants done stay done (each file commits whole in each tenant).
 *
 * Why a loop of waves and not one Map over every tenant with
 * ToleratedFailureCount: a Map Run that passes its threshold fails while the
 * items it started still run, and stops them, where a wave ends whole as on
 * the CLI; the threshold also counts one Map Run, not the run. Why the tally
 * is the function's: counting a wave's failures in the definition needs a
 * JSONPath filter, which gives an empty result when nothing matched — the
 * local runner the tests execute this definition with refuses that, so the
 * rule would run untested. Why Distributed: each child execution keeps its
 * own history, so the parent's stays a few events per wave whatever the
 * number of tenants (an execution's history holds at most 25,000 events).
 */
import { FLEET_ERRORS, FLEET_TALLY_FIELD, FLEET_TENANT_FIELD } from '../../lambda/handler/fleet/protocol';

/** The wave Map's label: its child executions' ARNs are `…:execution:<state machine>/<label>:<id>`. */
export const FLEET_MAP_LABEL = 'Tenants';

/** The placeholder for the function's ARN in the definition (the state machine's DefinitionSubstitutions fill it). */
export const FUNCTION_ARN_PLACEHOLDER = '${MigrationFunctionArn}';

export interface FleetWorkflowOptions {
  /** The migration function's ARN, or FUNCTION_ARN_PLACEHOLDER. */
  functionArn: string;
  /** A wave's MaxConcurrency: tenants at work at once. */
  concurrency: number;
}

/** Lambda's own transient errors, retried as the Step Functions guide recommends for every Lambda task; a tenant's failure is not one of them. */
const LAMBDA_TRANSIENT = ['Lambda.ServiceException', 'Lambda.AWSLambdaException', 'Lambda.SdkClientException', 'Lambda.TooManyRequestsException'];

/** One tenant: the function invoked with its item; a failure caught into `{ name, error, cause }`. */
function tenantProcessor(functionArn: string): Record<string, unknown> {
  return {
    ProcessorConfig: { Mode: 'DISTRIBUTED', ExecutionType: 'STANDARD' },
    StartAt: 'Tenant',
    States: {
      Tenant: {
        Type: 'Task',
        Resource: 'arn:aws:states:::lambda:invoke',
        Parameters: {
          FunctionName: functionArn,
          Payload: { [`${FLEET_TENANT_FIELD}.$`]: '$.name', 'requestType.$': '$.requestType', 'appliedBy.$': '$.appliedBy' },
        },
        ResultSelector: { 'version.$': '$.Payload.version' },
        Retry: [
          { ErrorEquals: LAMBDA_TRANSIENT, IntervalSeconds: 2, MaxAttempts: 6, BackoffRate: 2 },
          // Stopped between files at its deadline, or another runner held the tenant's lock: it goes on where it stopped.
          { ErrorEquals: [FLEET_ERRORS.unfinished, FLEET_ERRORS.busy], IntervalSeconds: 5, MaxAttempts: 20, BackoffRate: 1.5, MaxDelaySeconds: 60 },
        ],
        Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: '$.failure', Next: 'TenantFailed' }],
        End: true,
      },
      TenantFailed: { Type: 'Pass', Parameters: { 'name.$': '$.name', 'error.$': '$.failure.Error', 'cause.$': '$.failure.Cause' }, End: true },
    },
  };
}

/** The fields every step of the loop carries on. */
const CARRIED = {
  'waves.$': '$.waves',
  'tenants.$': '$.tenants',
  'count.$': '$.count',
  'tolerated.$': '$.tolerated',
  'requestType.$': '$.requestType',
  'appliedBy.$': '$.appliedBy',
};

/** The Amazon States Language definition; its input is a FleetExecutionInput (lambda/handler/fleet/protocol.ts). */
export function fleetDefinition(o: FleetWorkflowOptions): Record<string, unknown> {
  return {
    Comment: 'schemaguard fleet rollout: the canary, then waves of at most MaxConcurrency tenants; stopped after a wave with more failures than tolerated',
    StartAt: 'Start',
    States: {
      Start: {
        Type: 'Pass',
        Parameters: { ...CARRIED, 'count.$': 'States.ArrayLength($.waves)', next: 0, failedCount: 0, failures: [], stopped: '', cause: '' },
        Next: 'MoreWaves',
      },
      MoreWaves: { Type: 'Choice', Choices: [{ Variable: '$.next', NumericLessThanPath: '$.count', Next: 'PickWave' }], Default: 'Done' },
      PickWave: { Type: 'Pass', Parameters: { 'tenants.$': 'States.ArrayGetItem($.waves, $.next)' }, ResultPath: '$.wave', Next: 'Wave' },
      Wave: {
        Type: 'Map',
        Label: FLEET_MAP_LABEL,
        ItemsPath: '$.wave.tenants',
        ItemSelector: { 'name.$': '$$.Map.Item.Value', 'requestType.$': '$.requestType', 'appliedBy.$': '$.appliedBy' },
        MaxConcurrency: o.concurrency,
        ItemProcessor: tenantProcessor(o.functionArn),
        ResultPath: '$.wave',
        Next: 'Tally',
      },
      Tally: {
        Type: 'Task',
        Resource: 'arn:aws:states:::lambda:invoke',
        Parameters: {
          FunctionName: o.functionArn,
          Payload: {
            [FLEET_TALLY_FIELD]: {
              'wave.$': '$.next',
              'results.$': '$.wave',
              'failedCount.$': '$.failedCount',
              'failures.$': '$.failures',
              'tolerated.$': '$.tolerated',
            },
          },
        },
        ResultSelector: { 'tally.$': '$.Payload' },
        ResultPath: '$.wave',
        Retry: [{ ErrorEquals: LAMBDA_TRANSIENT, IntervalSeconds: 2, MaxAttempts: 6, BackoffRate: 2 }],
        Next: 'Count',
      },
      Count: {
        Type: 'Pass',
        Parameters: {
          ...CARRIED,
          'next.$': 'States.MathAdd($.next, 1)',
          'failedCount.$': '$.wave.tally.failedCount',
          'failures.$': '$.wave.tally.failures',
          'stopped.$': '$.wave.tally.stopped',
          'cause.$': '$.wave.tally.cause',
        },
        Next: 'Halt',
      },
      Halt: { Type: 'Choice', Choices: [{ Not: { Variable: '$.stopped', StringEquals: '' }, Next: 'Failed' }], Default: 'MoreWaves' },
      Failed: { Type: 'Fail', Error: FLEET_ERRORS.rollout, CausePath: '$.cause' },
      Done: {
        Type: 'Pass',
        Parameters: { 'tenants.$': '$.tenants', 'count.$': '$.count', 'failedCount.$': '$.failedCount', 'failures.$': '$.failures' },
        End: true,
      },
    },
  };
}
