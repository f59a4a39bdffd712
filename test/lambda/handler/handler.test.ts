/**
 * The handler's steps that need no database: the request is checked, the
 * environment is parsed before anything is read or connected, and a Delete
 * needs neither the database nor a valid environment.
 */
import { describe, expect, it } from 'vitest';
import { ENV } from '../../../lambda/handler/constants';
import { CREATE_FAILED_MARKER, createHandlers, type OnEventRequest } from '../../../lambda/handler/handler';

const event = (requestType: OnEventRequest['RequestType'], extra: Partial<OnEventRequest> = {}): OnEventRequest => ({
  RequestType: requestType,
  StackId: 'arn:aws:cloudformation:eu-west-1:111111111111:stack/Unit/x',
  RequestId: 'unit-1',
  LogicalResourceId: 'Migrations',
  ResourceType: 'Custom::SchemaMigrations',
  ResourceProperties: {},
  ResponseURL: 'https://cloudformation-custom-resource-response.example/presigned?X-Amz-Signature=abc',
  ...extra,
});
const ctx = { getRemainingTimeInMillis: () => 60_000 };

function rig(env: NodeJS.ProcessEnv) {
  const secretReads: unknown[] = [];
  const lines: string[] = [];
  const handlers = createHandlers({
    env,
    write: (l) => lines.push(l),
    secrets: {
      send: async (c) => {
        secretReads.push(c);
        throw new Error('no secret in this test');
      },
    },
  });
  return { handlers, secretReads, lines };
}

describe('Function: createHandlers', () => {
  describe('Method: onEvent', () => {
    it('answers a Delete without reading the environment, the secret or the database (a broken configuration must not block a stack delete)', async () => {
      const r = rig({ [ENV.tls]: 'broken', [ENV.reserveMs]: 'never' });

      const deleted = await r.handlers.onEvent(event('Delete', { PhysicalResourceId: 'schemaguard-migrations-Migrations' }), ctx);
      const afterFailedCreate = await r.handlers.onEvent(event('Delete', { PhysicalResourceId: CREATE_FAILED_MARKER }), ctx);
      const done = await r.handlers.isComplete({ ...event('Delete'), PhysicalResourceId: CREATE_FAILED_MARKER }, ctx);

      expect(deleted).toEqual({ PhysicalResourceId: 'schemaguard-migrations-Migrations' });
      expect(afterFailedCreate).toEqual({ PhysicalResourceId: CREATE_FAILED_MARKER });
      expect(done).toEqual({ IsComplete: true });
      expect(r.secretReads).toEqual([]);
      expect(r.lines.map((l) => JSON.parse(l).message)).toContain('delete after a failed create: nothing to do');
    });

    it('refuses a bad environment on Create before the secret is read, naming the variable and the value', async () => {
      const r = rig({ [ENV.secretArn]: 'arn:s', [ENV.failOnDrift]: 'yes' });

      const e = await r.handlers.onEvent(event('Create'), ctx).then(
        () => undefined,
        (x: Error) => x,
      );

      expect(e?.name).toBe('SchemaMigrationFailedError');
      expect(e?.message).toContain(`${ENV.failOnDrift}="yes" is not true or false`);
      expect(r.secretReads).toEqual([]);
      expect(r.lines.some((l) => JSON.parse(l).level === 'error')).toBe(true);
    });

    it('checks the request before the environment: a malformed event is named even when the configuration is bad too', async () => {
      const r = rig({});

      const e = await r.handlers.onEvent(event('Replace' as 'Create'), ctx).then(
        () => undefined,
        (x: Error) => x,
      );

      expect(e?.message).toContain('RequestType "Replace" is not Create, Update or Delete');
      expect(e?.message).toContain('fix: invoke this function through the Provider framework only');
    });

    it('never logs the presigned ResponseURL', async () => {
      const r = rig({});

      await r.handlers.onEvent(event('Delete', { PhysicalResourceId: 'p' }), ctx);

      expect(r.lines.join('\n')).not.toContain('X-Amz-Signature');
      expect(r.lines.map((l) => JSON.parse(l).message)).toEqual(['request', 'delete: the database and its schema are left as they are', 'response']);
    });
  });
});
