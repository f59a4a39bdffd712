import { describe, expect, it } from 'vitest';
import { IN_MEMORY_BYTES, MAX_FILE_BYTES } from '../../../lambda/engine/files/source';
import { ENV } from '../../../lambda/handler/constants';
import { createHandlers, type OnEventRequest } from '../../../lambda/handler/handler';
import { DEFAULT_MEMORY_MB, maxFileBytesFor, memoryFor } from '../../../lambda/handler/memory';
import { tempDir } from '../../support/files';

describe('Function: maxFileBytesFor', () => {
  it('lets the default memory apply the largest file the engine accepts, and less memory less', () => {
    expect(maxFileBytesFor(DEFAULT_MEMORY_MB)).toBe(MAX_FILE_BYTES);
    expect(maxFileBytesFor(10240)).toBe(MAX_FILE_BYTES);
    expect(maxFileBytesFor(192)).toBe(8 * 2 ** 20);
    expect(maxFileBytesFor(128)).toBe(IN_MEMORY_BYTES);
  });

  it('names the memory that takes a file: enough for its size by the same rule', () => {
    for (const bytes of [1000, IN_MEMORY_BYTES + 1, 5 * 2 ** 20, MAX_FILE_BYTES]) {
      expect(maxFileBytesFor(memoryFor(bytes))).toBeGreaterThanOrEqual(bytes);
    }
    expect(memoryFor(MAX_FILE_BYTES)).toBe(DEFAULT_MEMORY_MB);
  });
});

describe("Function: onEvent, a file over what the function's memory applies", () => {
  it('fails before connecting, naming the file, its size and the memory that would apply it', async () => {
    const dir = tempDir({ '1_big.sql': `-- ${'x'.repeat(3 * 2 ** 20)}\nSELECT 1;\n` });
    const env = {
      [ENV.secretArn]: 'arn:aws:secretsmanager:eu-west-1:111111111111:secret:x-AbCdEf',
      [ENV.migrationsDir]: dir,
      AWS_LAMBDA_FUNCTION_MEMORY_SIZE: '128',
    };
    // A secret that is never read: the files are refused first.
    const secrets = {
      send: async () => {
        throw new Error('the secret must not be read');
      },
    };
    const handlers = createHandlers({ env, secrets: secrets as never, write: () => undefined });
    const event = {
      RequestType: 'Create',
      RequestId: 'r',
      StackId: 'arn:aws:cloudformation:eu-west-1:111111111111:stack/S/1',
      LogicalResourceId: 'M',
      ResourceType: 'Custom::SchemaMigrations',
      ResourceProperties: {},
    } as unknown as OnEventRequest;

    const e = await handlers.onEvent(event, { getRemainingTimeInMillis: () => 60_000 }).then(
      () => undefined,
      (x: unknown) => x as Error,
    );

    expect(e).toBeInstanceOf(Error);
    expect(e!.message).toContain('1_big.sql: 3145742 bytes is over the 1048576-byte limit for a migration');
    expect(e!.message).toContain("raise SchemaMigrations' memorySize from 128 to at least 160 MB");
  });
});
