/**
 * The Step Functions calls the custom resource makes: start a workflow (a
 * backfill's, a fleet's rollout), describe it, stop it. The real client is
 * the SDK's, loaded on first use (a deploy without a backfill or a fleet
 * never pays for it); tests pass one that runs the definition locally.
 */
import { present } from '../engine/errors/present';

/** An execution as DescribeExecution says it. */
export interface ExecutionState {
  status: 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'ABORTED' | 'PENDING_REDRIVE';
  /** A succeeded execution's output (JSON). */
  output?: string;
  /** A failed execution's error name and cause. */
  error?: string;
  cause?: string;
}

export interface StepFunctionsClient {
  /**
   * Starts an execution named `name`. The same name again is no second
   * execution: Step Functions answers an open one's start with the same
   * input as the first, and refuses a closed one's (ExecutionAlreadyExists);
   * either way the execution that has the name is given back, `started`
   * false.
   */
  startExecution(request: { stateMachineArn: string; name: string; input: string }): Promise<{ executionArn: string; started: boolean }>;
  describeExecution(executionArn: string): Promise<ExecutionState>;
  stopExecution(executionArn: string, stop: { error: string; cause: string }): Promise<void>;
}

/** What a backfill's workflow needs of the client: its start. */
export type BackfillStarter = Pick<StepFunctionsClient, 'startExecution'>;

/** As the Secrets Manager client's (secret.ts): an endpoint it cannot reach fails in seconds, not at the Lambda timeout. */
const TIMEOUTS = { connectionTimeout: 3_000, requestTimeout: 5_000, throwOnRequestTimeout: true } as const;

export async function stepFunctionsClient(): Promise<StepFunctionsClient> {
  const sdk = await import('@aws-sdk/client-sfn');
  const client = new sdk.SFNClient({ requestHandler: TIMEOUTS });
  return {
    async startExecution(request) {
      try {
        const out = await client.send(new sdk.StartExecutionCommand(request));
        return { executionArn: present(out.executionArn, "StartExecution's executionArn"), started: true };
      } catch (e) {
        // A name is an execution's for 90 days: a request delivered again, or a later deploy, finds its own execution, open or closed.
        if ((e as { name?: string }).name !== 'ExecutionAlreadyExists') throw e;
        return { executionArn: executionArnOf(request.stateMachineArn, request.name), started: false };
      }
    },
    async describeExecution(executionArn) {
      const out = await client.send(new sdk.DescribeExecutionCommand({ executionArn }));
      return { status: out.status as ExecutionState['status'], output: out.output, error: out.error, cause: out.cause };
    },
    async stopExecution(executionArn, stop) {
      await client.send(new sdk.StopExecutionCommand({ executionArn, ...stop }));
    },
  };
}

/** `arn:…:stateMachine:NAME` and an execution name → `arn:…:execution:NAME:EXECUTION`. */
export function executionArnOf(stateMachineArn: string, name: string): string {
  return `${stateMachineArn.replace(':stateMachine:', ':execution:')}:${name}`;
}
