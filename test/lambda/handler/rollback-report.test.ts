/** Is a failing Update a rollback? The stack status, asked of CloudFormation (stood in for), and what is written when it is. */
import type { DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { describe, expect, it } from 'vitest';
import { Redactor } from '../../../lambda/engine/errors/redact';
import { ROLLBACK_METRIC } from '../../../lambda/handler/constants';
import { createLogger } from '../../../lambda/handler/log';
import type { OnEventRequest } from '../../../lambda/handler/request';
import { isRollingBack, reportIfRollingBack, rollbackMetricLine, ROLLBACK_STATUSES, type StackStatusClient } from '../../../lambda/handler/rollback-report';

const STACK_ID = 'arn:aws:cloudformation:eu-west-1:111111111111:stack/App/0c1d2e3f-0000-4000-8000-000000000001';

function answering(status: string | undefined): { client: () => Promise<StackStatusClient>; asked: string[] } {
  const asked: string[] = [];
  const client: StackStatusClient = {
    send: async (command: DescribeStacksCommand) => {
      asked.push(command.input.StackName!);
      return { Stacks: status === undefined ? [] : [{ StackStatus: status }] };
    },
  };
  return { client: async () => client, asked };
}

function capture(): { lines: string[]; log: ReturnType<typeof createLogger> } {
  const lines: string[] = [];
  return { lines, log: createLogger(new Redactor(), (l) => lines.push(l)) };
}

const update = {
  RequestType: 'Update',
  StackId: STACK_ID,
  RequestId: 'r',
  LogicalResourceId: 'M',
  ResourceType: 'Custom::SchemaMigrations',
  ResourceProperties: {},
} as OnEventRequest;

describe('Function: isRollingBack', () => {
  it.each([
    ['UPDATE_ROLLBACK_IN_PROGRESS', true],
    ['IMPORT_ROLLBACK_IN_PROGRESS', true],
    ['UPDATE_IN_PROGRESS', false],
    ['UPDATE_COMPLETE_CLEANUP_IN_PROGRESS', false],
    ['ROLLBACK_IN_PROGRESS', false],
    [undefined, false],
  ] as const)("asks for the request's own stack: %s is %s", async (status, expected) => {
    const { client, asked } = answering(status);
    expect(await isRollingBack(client, STACK_ID, capture().log)).toBe(expected);
    expect(asked).toEqual([STACK_ID]);
  });

  it('is false, with a warning naming the fix, when CloudFormation cannot be reached', async () => {
    const { lines, log } = capture();
    const unreachable = async (): Promise<StackStatusClient> => ({
      send: async () => {
        throw Object.assign(new Error('connect ETIMEDOUT 10.0.0.1:443'), { name: 'TimeoutError' });
      },
    });
    expect(await isRollingBack(unreachable, STACK_ID, log)).toBe(false);
    const warning = JSON.parse(lines[0]!) as { level: string; error: string; fix: string };
    expect(warning).toMatchObject({ level: 'warn', error: 'TimeoutError: connect ETIMEDOUT 10.0.0.1:443' });
    expect(warning.fix).toContain('cloudFormationEndpoint');
  });

  it("lists only the statuses of a rollback's Updates", () => {
    expect(ROLLBACK_STATUSES).toEqual(['UPDATE_ROLLBACK_IN_PROGRESS', 'IMPORT_ROLLBACK_IN_PROGRESS']);
  });
});

describe('Function: reportIfRollingBack', () => {
  it("asks nothing for a Create or a Delete: neither is a rollback's Update", async () => {
    for (const RequestType of ['Create', 'Delete'] as const) {
      const { client, asked } = answering('UPDATE_ROLLBACK_IN_PROGRESS');
      const { lines, log } = capture();
      expect(await reportIfRollingBack({ ...update, RequestType }, 'boom', { client, log, write: (l) => lines.push(l) })).toBeUndefined();
      expect(asked).toEqual([]);
      expect(lines).toEqual([]);
    }
  });

  it('during a rollback: returns the problem, logs it as an error and writes one metric line', async () => {
    const { client } = answering('UPDATE_ROLLBACK_IN_PROGRESS');
    const { lines, log } = capture();
    expect(await reportIfRollingBack(update, 'cannot connect', { client, log, write: (l) => lines.push(l), functionName: 'fn-1' })).toBe('cannot connect');
    const parsed = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(parsed.filter((p) => p.level === 'error')).toEqual([expect.objectContaining({ problem: 'cannot connect' })]);
    expect(parsed.filter((p) => '_aws' in p)).toEqual([expect.objectContaining({ [ROLLBACK_METRIC.dimension]: 'fn-1', [ROLLBACK_METRIC.name]: 1 })]);
  });
});

describe('Function: rollbackMetricLine', () => {
  it('is an embedded-metric-format document: one Count metric in the namespace, keyed by the function', () => {
    expect(JSON.parse(rollbackMetricLine('fn-1', 1700000000000))).toEqual({
      _aws: {
        Timestamp: 1700000000000,
        CloudWatchMetrics: [{ Namespace: 'Schemaguard/Migrations', Dimensions: [['FunctionName']], Metrics: [{ Name: 'RollbackProblems', Unit: 'Count' }] }],
      },
      FunctionName: 'fn-1',
      RollbackProblems: 1,
    });
  });
});
