/**
 * Step Functions in process, for the handler's StepFunctionsClient: a state
 * machine's definition run by aws-local-stepfunctions, each lambda:invoke
 * Task of it one call of the real function entry (`invoke`), as Lambda's
 * integration calls it: the Payload is the event, a returned value the
 * Payload of the result, a throw the Task's failure with Lambda's error
 * JSON as its Cause. As the service does, a name already used starts
 * nothing: StartExecution gives that execution back (`started` false).
 *
 * - localStepFunctions: the fleet's rollout (its Tenant and Tally Tasks),
 *   described and stopped as the waiter does.
 * - localBackfillWorkflow: a backfill's workflow, its `Slice` Task the
 *   function, its `Continue` Task a start of another execution here, and
 *   its Wait states shortened to `waitMs`.
 */
import { BACKFILL_PAUSE_STATE, BACKFILL_TASKS } from '../../lib/backfill/backfill-definition';
import { executionArnOf, type BackfillStarter, type ExecutionState, type StepFunctionsClient } from '../../lambda/handler/step-functions';

// aws-local-stepfunctions 3 calls Promise.withResolvers (Node.js 22); the package supports Node.js 20.11.
(Promise as unknown as { withResolvers?: unknown }).withResolvers ??= () => {
  let resolve!: (v: unknown) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
};

/** A lambda:invoke Task calling `invoke`, each payload kept in `payloads`. */
function lambdaTask(invoke: (payload: never) => Promise<unknown>, payloads: unknown[]) {
  return async ({ Payload }: { Payload: unknown }) => {
    payloads.push(Payload);
    try {
      return { Payload: await invoke(Payload as never) };
    } catch (e) {
      const err = e instanceof Error ? e : new Error(String(e));
      // Lambda's integration fails the Task with the error's type as Error and the function's error payload as Cause.
      const failure = new Error(JSON.stringify({ errorType: err.name, errorMessage: err.message, trace: (err.stack ?? '').split('\n') }));
      failure.name = err.name;
      throw failure;
    }
  };
}

/** The Tasks of the fleet workflow that invoke the function (lib/fleet/fleet-workflow.ts). */
const LAMBDA_TASKS = ['Tenant', 'Tally'];

interface Run {
  state: ExecutionState;
  settled: Promise<void>;
  abort: () => void;
}

export interface LocalStepFunctions extends StepFunctionsClient {
  /** Every StartExecution, in order (a repeated name included). */
  readonly starts: { name: string; input: unknown }[];
  /** Every Task payload the function received, in order. */
  readonly payloads: unknown[];
}

/** `definition`: the ASL (its function ARN as any string); `invoke`: the function's entry (the handler's onEvent). */
export function localStepFunctions(definition: object, invoke: (payload: never) => Promise<unknown>): LocalStepFunctions {
  const runs = new Map<string, Run>();
  const starts: { name: string; input: unknown }[] = [];
  const payloads: unknown[] = [];
  const task = lambdaTask(invoke, payloads);
  return {
    starts,
    payloads,
    async startExecution({ stateMachineArn, name, input }) {
      starts.push({ name, input: JSON.parse(input) });
      const executionArn = executionArnOf(stateMachineArn, name);
      if (runs.has(executionArn)) return { executionArn, started: false };
      runs.set(executionArn, await startRollout(definition, JSON.parse(input), task));
      return { executionArn, started: true };
    },
    async describeExecution(executionArn) {
      const run = runs.get(executionArn);
      if (!run) throw Object.assign(new Error(`Execution Does Not Exist: '${executionArn}'`), { name: 'ExecutionDoesNotExist' });
      // As the waiter's query interval: a little time for the execution to move on before it is described again.
      await Promise.race([run.settled, new Promise((r) => setTimeout(r, 100))]);
      return run.state;
    },
    async stopExecution(executionArn, stop) {
      const run = runs.get(executionArn);
      if (run?.state.status !== 'RUNNING') return;
      run.abort();
      run.state = { status: 'ABORTED', ...stop };
    },
  };
}

async function startRollout(definition: object, input: unknown, task: (i: { Payload: unknown }) => Promise<unknown>): Promise<Run> {
  const { StateMachine } = await import('aws-local-stepfunctions');
  const machine = new StateMachine(definition as never);
  const handlers = Object.fromEntries(LAMBDA_TASKS.map((t) => [t, task as never]));
  const execution = machine.run(input as never, { overrides: { taskResourceLocalHandlers: handlers } });
  const run: Run = { state: { status: 'RUNNING' }, settled: Promise.resolve(), abort: () => execution.abort() };
  run.settled = execution.result.then(
    (output) => {
      run.state = { status: 'SUCCEEDED', output: JSON.stringify(output) };
    },
    (e: { name?: string; cause?: { name?: string; message?: string } }) => {
      if (run.state.status !== 'RUNNING') return;
      // An execution failed by a Fail state or an uncaught error: its name and message are the execution's error and cause.
      run.state = { status: 'FAILED', error: e.cause?.name ?? e.name, cause: e.cause?.message };
    },
  );
  return run;
}

export interface LocalExecution {
  name: string;
  input: unknown;
  status: 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'ABORTED';
  error?: string;
  cause?: string;
  /** Resolves when the execution ends, whichever way. */
  ended: Promise<void>;
  abort(): void;
}

export interface LocalBackfillWorkflow extends BackfillStarter {
  /** Every execution, by name, in the order started. */
  readonly executions: Map<string, LocalExecution>;
  /** Every slice payload the function received, in order. */
  readonly payloads: unknown[];
  /** Every start asked for (a repeated name included). */
  readonly starts: { name: string; input: unknown }[];
}

export interface LocalWorkflowOptions {
  /** The Wait states' duration, in ms. @default 50 */
  waitMs?: number;
  stateMachineArn?: string;
}

const ARN = 'arn:aws:states:eu-west-1:111111111111:stateMachine:schemaguard-backfill';

/** `definition`: the ASL (its function ARN as any string); `invoke`: the function's entry (the handler's onEvent). */
export function localBackfillWorkflow(definition: object, invoke: (payload: never) => Promise<unknown>, o: LocalWorkflowOptions = {}): LocalBackfillWorkflow {
  const executions = new Map<string, LocalExecution>();
  const payloads: unknown[] = [];
  const starts: { name: string; input: unknown }[] = [];
  const stateMachineArn = o.stateMachineArn ?? ARN;
  const slice = lambdaTask(invoke, payloads);
  const workflow: LocalBackfillWorkflow = {
    executions,
    payloads,
    starts,
    async startExecution({ stateMachineArn: arn, name, input }) {
      starts.push({ name, input: JSON.parse(input) });
      const executionArn = executionArnOf(arn, name);
      const existing = executions.get(name);
      if (existing) return { executionArn, started: false };
      const run = await startBackfill(definition, name, JSON.parse(input), { slice, continuation, waitMs: o.waitMs ?? 50, stateMachineArn: arn });
      executions.set(name, run);
      return { executionArn, started: true };
    },
  };
  // The continuation's Task: StartExecution of this state machine, as its Parameters say.
  const continuation = async (p: { StateMachineArn: string; Name: string; Input: unknown }) =>
    workflow.startExecution({ stateMachineArn: p.StateMachineArn ?? stateMachineArn, name: p.Name, input: JSON.stringify(p.Input) });
  return workflow;
}

interface BackfillHandlers {
  slice: (i: { Payload: unknown }) => Promise<unknown>;
  continuation: (p: never) => Promise<unknown>;
  waitMs: number;
  stateMachineArn: string;
}

async function startBackfill(definition: object, name: string, input: unknown, h: BackfillHandlers): Promise<LocalExecution> {
  const { StateMachine } = await import('aws-local-stepfunctions');
  const machine = new StateMachine(definition as never);
  const execution = machine.run(input as never, {
    overrides: {
      taskResourceLocalHandlers: { [BACKFILL_TASKS.slice]: h.slice as never, [BACKFILL_TASKS.continuation]: h.continuation as never },
      waitTimeOverrides: { [BACKFILL_PAUSE_STATE]: h.waitMs },
      // The Retry intervals (seconds to minutes on AWS) at a few ms: what is retried, not how long, is under test.
      retryIntervalOverrides: { [BACKFILL_TASKS.slice]: 10, [BACKFILL_TASKS.continuation]: 10 },
    },
    context: {
      Execution: { Id: executionArnOf(h.stateMachineArn, name), Name: name, Input: input, StartTime: new Date().toISOString() },
      StateMachine: { Id: h.stateMachineArn, Name: h.stateMachineArn.split(':').pop() },
    } as never,
  });
  const run: LocalExecution = { name, input, status: 'RUNNING', ended: Promise.resolve(), abort: () => execution.abort() };
  run.ended = execution.result.then(
    () => {
      run.status = 'SUCCEEDED';
    },
    (e: { name?: string; message?: string; cause?: { name?: string; message?: string } }) => {
      if (run.status !== 'RUNNING') return;
      // A Fail state or an uncaught error: its name and message are the execution's error and cause.
      run.status = e.name === 'ExecutionAbortedError' ? 'ABORTED' : 'FAILED';
      run.error = e.cause?.name ?? e.name;
      run.cause = e.cause?.message ?? e.message;
    },
  );
  return run;
}
