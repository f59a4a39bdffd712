/**
 * A rollback never fails on a check. When a deploy fails, CloudFormation
 * rolls the stack back by sending each resource it had updated another
 * Update, with its old properties; one that fails leaves the stack in
 * UPDATE_ROLLBACK_FAILED, from which only "continue update rollback" (skipping
 * the resource) gets it out. The request itself carries no sign that it is a
 * rollback, and a database whose files are older than its state
 * (rollback.ts) is only one kind. So an Update that fails — the database
 * unreachable, a contract broken by hand since, drift with failOnDrift, a
 * migration — asks CloudFormation for the stack's status (DescribeStacks on
 * the request's own stack, the one call the handler's role allows); while it
 * is rolling back, the Update succeeds and the failure is reported: in the
 * response (Outcome `rollback-problem`, RollbackProblem), as an error record
 * in the log, and as the RollbackProblems metric, which the migration alarm
 * watches beside the functions' Errors.
 */
import type { DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { ROLLBACK_METRIC } from './constants';
import type { LineWriter, Logger } from './log';
import type { OnEventRequest } from './request';

/** The one call made; the real CloudFormationClient satisfies it. */
export interface StackStatusClient {
  send(command: DescribeStacksCommand): Promise<{ Stacks?: { StackStatus?: string }[] }>;
}

/**
 * How long the question may take: in subnets with no route to CloudFormation
 * (no NAT, no interface endpoint) the SDK would wait for ever; this way an
 * unanswered question costs a few seconds, and the Update fails as before.
 */
export const CLOUDFORMATION_TIMEOUTS = { connectionTimeoutMs: 3_000, requestTimeoutMs: 5_000, maxAttempts: 2 } as const;

/** The stack statuses during which CloudFormation sends a rollback's Updates. */
export const ROLLBACK_STATUSES: readonly string[] = ['UPDATE_ROLLBACK_IN_PROGRESS', 'IMPORT_ROLLBACK_IN_PROGRESS'];

/** The real client, loaded on first use: a request that never fails never pays for it. */
export async function cloudFormationClient(): Promise<StackStatusClient> {
  const { CloudFormationClient } = await import('@aws-sdk/client-cloudformation');
  return new CloudFormationClient({
    maxAttempts: CLOUDFORMATION_TIMEOUTS.maxAttempts,
    requestHandler: {
      connectionTimeout: CLOUDFORMATION_TIMEOUTS.connectionTimeoutMs,
      requestTimeout: CLOUDFORMATION_TIMEOUTS.requestTimeoutMs,
      throwOnRequestTimeout: true,
    },
  });
}

/** Whether the request's stack is rolling back; false (logged) when CloudFormation does not say. */
export async function isRollingBack(client: () => Promise<StackStatusClient>, stackId: string, log: Logger): Promise<boolean> {
  try {
    const { DescribeStacksCommand: Command } = await import('@aws-sdk/client-cloudformation');
    const out = await (await client()).send(new Command({ StackName: stackId }));
    const status = out.Stacks?.[0]?.StackStatus;
    log.info('stack status, asked because the Update failed', { stackStatus: status });
    return status !== undefined && ROLLBACK_STATUSES.includes(status);
  } catch (e) {
    log.warn('could not ask CloudFormation whether the stack is rolling back, so the failure stands', {
      error: `${(e as Error)?.name ?? 'Error'}: ${(e as Error)?.message ?? String(e)}`,
      fix: 'let the handler reach CloudFormation on 443 (an interface endpoint, SchemaMigrations "cloudFormationEndpoint", or a NAT route) and allow it cloudformation:DescribeStacks on its stack',
    });
    return false;
  }
}

/**
 * The failure of an Update, reported when the stack is rolling back: the
 * error record and the metric line are written, and the problem returned for
 * the response. `undefined` (nothing written) for any other request.
 */
export async function reportIfRollingBack(
  event: OnEventRequest,
  problem: string,
  deps: { client: () => Promise<StackStatusClient>; log: Logger; write: LineWriter; functionName?: string },
): Promise<string | undefined> {
  if (event.RequestType !== 'Update') return undefined;
  if (!(await isRollingBack(deps.client, event.StackId, deps.log))) return undefined;
  deps.log.error(
    'the stack is rolling back: this Update succeeds so the rollback can finish, and its failure is reported here, in the response (RollbackProblem) and in the RollbackProblems metric',
    { problem },
  );
  deps.write(rollbackMetricLine(deps.functionName ?? 'unknown', Date.now()));
  return problem;
}

/** The RollbackProblems metric (embedded metric format): 1, keyed by the function that met the problem. */
export function rollbackMetricLine(functionName: string, timestamp: number): string {
  return JSON.stringify({
    _aws: {
      Timestamp: timestamp,
      CloudWatchMetrics: [
        { Namespace: ROLLBACK_METRIC.namespace, Dimensions: [[ROLLBACK_METRIC.dimension]], Metrics: [{ Name: ROLLBACK_METRIC.name, Unit: 'Count' }] },
      ],
    },
    [ROLLBACK_METRIC.dimension]: functionName,
    [ROLLBACK_METRIC.name]: 1,
  });
}
