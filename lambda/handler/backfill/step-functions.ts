/**
 * The one Step Functions call the custom resource makes for a backfill:
 * start its workflow. The real client is the SDK's, loaded on first use (a
 * deploy without a backfill never pays for it); tests pass one that runs
 * the definition locally.
 */

export interface BackfillStarter {
  /**
   * Starts an execution named `name`. The same name again is no second
   * execution: Step Functions answers an open one's start with the same
   * input as the first, and refuses a closed one's (ExecutionAlreadyExists),
   * which counts as started here.
   */
  startExecution(request: { stateMachineArn: string; name: string; input: string }): Promise<{ executionArn: string; started: boolean }>;
}

/** As the Secrets Manager client's (secret.ts): an endpoint it cannot reach fails in seconds, not at the Lambda timeout. */
const TIMEOUTS = { connectionTimeout: 3_000, requestTimeout: 5_000, throwOnRequestTimeout: true } as const;

export async function stepFunctionsStarter(): Promise<BackfillStarter> {
  const sdk = await import('@aws-sdk/client-sfn');
  const client = new sdk.SFNClient({ requestHandler: TIMEOUTS });
  return {
    async startExecution(request) {
      try {
        const out = await client.send(new sdk.StartExecutionCommand(request));
        return { executionArn: out.executionArn!, started: true };
      } catch (e) {
        // A name is an execution's for 90 days: this backfill's workflow ran, or runs, under it.
        if ((e as { name?: string }).name !== 'ExecutionAlreadyExists') throw e;
        return { executionArn: executionArnOf(request.stateMachineArn, request.name), started: false };
      }
    },
  };
}

/** `arn:…:stateMachine:NAME` and an execution name → `arn:…:execution:NAME:EXECUTION`. */
export function executionArnOf(stateMachineArn: string, name: string): string {
  return `${stateMachineArn.replace(':stateMachine:', ':execution:')}:${name}`;
}
