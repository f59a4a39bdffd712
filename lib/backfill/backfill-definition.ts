/**
 * A backfill's workflow as an Amazon States Language definition: a loop
 * that invokes the migration function for one slice of batches
 * (`{ "backfillSlice": … }`, lambda/handler/backfill/slice.ts), then
 * chooses on the state the slice answers:
 *
 * - `done`: the execution succeeds;
 * - `failed`: it fails with BackfillFailed, the backfill's reason its cause;
 * - `paused`: a Wait (no function runs while the database is unhealthy),
 *   then the next slice;
 * - `running` (the slice's time ran out): the next slice at once.
 *
 * A slice that lost its connection, or could not connect, is retried with
 * back-off (a failover, a reboot), as are Lambda's own transient errors and,
 * a few times, a slice the function's timeout cut.
 *
 * An execution's history holds at most 25,000 events, about eleven per
 * slice here: after `maxSlices` slices the execution starts its
 * continuation — the same input, the generation counted, named after the
 * first — and ends (Step Functions' "continue as new" pattern). A paused
 * backfill therefore waits as long as it needs to, up to the one year an
 * execution of each generation may last.
 */
import { BACKFILL_ERRORS, BACKFILL_SLICE_FIELD } from '../../lambda/handler/backfill/protocol';

/** The placeholder for the function's ARN in the definition (the state machine's DefinitionSubstitutions fill it). */
export const FUNCTION_ARN_PLACEHOLDER = '${MigrationFunctionArn}';

/** The states that call out: the slice (the function) and the continuation (StartExecution). */
export const BACKFILL_TASKS = { slice: 'Slice', continuation: 'Continue' } as const;
/** The Wait while paused. */
export const BACKFILL_PAUSE_STATE = 'Paused';

export interface BackfillDefinitionOptions {
  /** The migration function's ARN, or FUNCTION_ARN_PLACEHOLDER. */
  functionArn: string;
  /** Seconds between slices while the backfill is paused. */
  pauseSeconds: number;
  /** Slices after which an execution hands on to its continuation. */
  maxSlices: number;
  /** How long one slice may take: the function's timeout and a margin (a Task's own default is 99,999,999 s). */
  sliceTimeoutSeconds: number;
}

export const DEFAULT_PAUSE_SECONDS = 30;
/** About 11,000 events of history, under the 25,000 an execution may hold, with room for retries. */
export const DEFAULT_MAX_SLICES = 1000;

/** Lambda's own transient errors, retried as the Step Functions guide recommends for every Lambda task. */
const LAMBDA_TRANSIENT = ['Lambda.ServiceException', 'Lambda.AWSLambdaException', 'Lambda.SdkClientException', 'Lambda.TooManyRequestsException'];

/** The execution's input (BackfillExecutionInput), carried from state to state. */
const CARRIED = { 'version.$': '$.version', 'file.$': '$.file', 'name.$': '$.name', 'generation.$': '$.generation' };

function sliceTask(o: BackfillDefinitionOptions): Record<string, unknown> {
  return {
    Type: 'Task',
    Resource: 'arn:aws:states:::lambda:invoke',
    TimeoutSeconds: o.sliceTimeoutSeconds,
    Parameters: { FunctionName: o.functionArn, Payload: { [BACKFILL_SLICE_FIELD]: { 'version.$': '$.version', 'file.$': '$.file' } } },
    ResultSelector: { 'state.$': '$.Payload.state', 'reason.$': '$.Payload.reason', 'rowsDone.$': '$.Payload.rowsDone' },
    ResultPath: '$.slice',
    Retry: [
      { ErrorEquals: LAMBDA_TRANSIENT, IntervalSeconds: 2, MaxAttempts: 6, BackoffRate: 2 },
      { ErrorEquals: [BACKFILL_ERRORS.interrupted], IntervalSeconds: 10, MaxAttempts: 12, BackoffRate: 2, MaxDelaySeconds: 300 },
      // A function timeout (or out of memory) is Lambda.Unknown: the batch it cut rolled back with its connection; a few tries more.
      { ErrorEquals: ['Lambda.Unknown'], IntervalSeconds: 10, MaxAttempts: 3, BackoffRate: 2 },
    ],
    Next: 'Count',
  };
}

/** The continuation: a new execution of this state machine with the same backfill, the generation counted; this one ends. */
const continuation = () => ({
  HandOn: { Type: 'Pass', Parameters: { ...CARRIED, 'generation.$': 'States.MathAdd($.generation, 1)' }, Next: BACKFILL_TASKS.continuation },
  [BACKFILL_TASKS.continuation]: {
    Type: 'Task',
    Resource: 'arn:aws:states:::states:startExecution',
    Parameters: {
      'StateMachineArn.$': '$$.StateMachine.Id',
      'Name.$': "States.Format('{}-{}', $.name, $.generation)",
      Input: { ...CARRIED, 'AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID.$': '$$.Execution.Id' },
    },
    Retry: [{ ErrorEquals: ['States.TaskFailed'], IntervalSeconds: 5, MaxAttempts: 5, BackoffRate: 2 }],
    End: true,
  },
});

/** The definition, new objects each call (a validator may annotate what it reads); its input is a BackfillExecutionInput (lambda/handler/backfill/protocol.ts). */
export function backfillDefinition(o: BackfillDefinitionOptions): Record<string, unknown> {
  return {
    Comment: 'schemaguard backfill: slices of batches until done; waits while paused; fails when the backfill fails',
    StartAt: 'Start',
    States: {
      Start: { Type: 'Pass', Parameters: { ...CARRIED, slices: 0 }, Next: BACKFILL_TASKS.slice },
      [BACKFILL_TASKS.slice]: sliceTask(o),
      Count: { Type: 'Pass', Parameters: { ...CARRIED, 'slices.$': 'States.MathAdd($.slices, 1)', 'slice.$': '$.slice' }, Next: 'Where' },
      Where: {
        Type: 'Choice',
        Choices: [
          { Variable: '$.slice.state', StringEquals: 'done', Next: 'Done' },
          { Variable: '$.slice.state', StringEquals: 'failed', Next: 'Failed' },
          { Variable: '$.slices', NumericGreaterThanEquals: o.maxSlices, Next: 'HandOn' },
          { Variable: '$.slice.state', StringEquals: 'paused', Next: BACKFILL_PAUSE_STATE },
        ],
        Default: BACKFILL_TASKS.slice,
      },
      [BACKFILL_PAUSE_STATE]: { Type: 'Wait', Seconds: o.pauseSeconds, Next: BACKFILL_TASKS.slice },
      Done: { Type: 'Succeed' },
      Failed: { Type: 'Fail', Error: BACKFILL_ERRORS.failed, CausePath: '$.slice.reason' },
      ...continuation(),
    },
  };
}
