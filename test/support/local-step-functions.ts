/**
 * Step Functions, for the handler's StepFunctionsClient: the state machine's
 * definition run in process by aws-local-stepfunctions, each lambda:invoke
 * Task of it one call of the real function entry (`invoke`), as Lambda's
 * integration calls it: the Payload is the event, a returned value the
 * Payload of the result, a throw the Task's failure with Lambda's error
 * JSON as its Cause. StartExecution with a name already used gives that
 * execution back, as the service does.
 */
import type { ExecutionState, StepFunctionsClient } from '../../lambda/handler/fleet/step-functions';

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
  const task = async ({ Payload }: { Payload: unknown }) => {
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
  return {
    starts,
    payloads,
    async startExecution({ stateMachineArn, name, input }) {
      starts.push({ name, input: JSON.parse(input) });
      const executionArn = `${stateMachineArn.replace(':stateMachine:', ':execution:')}:${name}`;
      if (!runs.has(executionArn)) runs.set(executionArn, await start(definition, JSON.parse(input), task));
      return { executionArn };
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

async function start(definition: object, input: unknown, task: (i: { Payload: unknown }) => Promise<unknown>): Promise<Run> {
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
