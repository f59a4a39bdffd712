/**
 * Step Functions for a backfill's workflow, in process: the state machine's
 * definition run by aws-local-stepfunctions, its `Slice` Task one call of
 * the real function entry (`invoke`), as Lambda's integration calls it (the
 * Payload is the event, a returned value the Payload of the result, a throw
 * the Task's failure named after the error), its `Continue` Task a start of
 * another execution here, and its Wait states shortened to `waitMs`. As the
 * service does, a name already used starts nothing: an open execution's
 * start answers the same, a closed one's is refused (ExecutionAlreadyExists,
 * which BackfillStarter counts as started).
 */
import { BACKFILL_PAUSE_STATE, BACKFILL_TASKS } from '../../lib/backfill/backfill-definition';
import type { BackfillStarter } from '../../lambda/handler/backfill/step-functions';

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
  const slice = async ({ Payload }: { Payload: unknown }) => {
    payloads.push(Payload);
    try {
      return { Payload: await invoke(Payload as never) };
    } catch (e) {
      // Lambda's integration fails the Task with the error's type as Error and the function's error payload as Cause.
      const err = e instanceof Error ? e : new Error(String(e));
      const failure = new Error(JSON.stringify({ errorType: err.name, errorMessage: err.message }));
      failure.name = err.name;
      throw failure;
    }
  };
  const workflow: LocalBackfillWorkflow = {
    executions,
    payloads,
    starts,
    async startExecution({ stateMachineArn: arn, name, input }) {
      starts.push({ name, input: JSON.parse(input) });
      const executionArn = `${arn.replace(':stateMachine:', ':execution:')}:${name}`;
      const existing = executions.get(name);
      if (existing) return { executionArn, started: false };
      const run = await start(definition, name, JSON.parse(input), { slice, continuation, waitMs: o.waitMs ?? 50, stateMachineArn: arn });
      executions.set(name, run);
      return { executionArn, started: true };
    },
  };
  // The continuation's Task: StartExecution of this state machine, as its Parameters say.
  const continuation = async (p: { StateMachineArn: string; Name: string; Input: unknown }) =>
    workflow.startExecution({ stateMachineArn: p.StateMachineArn ?? stateMachineArn, name: p.Name, input: JSON.stringify(p.Input) });
  return workflow;
}

interface Handlers {
  slice: (i: { Payload: unknown }) => Promise<unknown>;
  continuation: (p: never) => Promise<unknown>;
  waitMs: number;
  stateMachineArn: string;
}

async function start(definition: object, name: string, input: unknown, h: Handlers): Promise<LocalExecution> {
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
      Execution: { Id: `${h.stateMachineArn.replace(':stateMachine:', ':execution:')}:${name}`, Name: name, Input: input, StartTime: new Date().toISOString() },
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
