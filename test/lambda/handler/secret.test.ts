import type { GetSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { describe, expect, it } from 'vitest';
import { InputError, MigrationError } from '../../../lambda/engine/errors/errors';
import { readCredentials } from '../../../lambda/handler/secret';

describe('Function: readCredentials', () => {
  const client = (answer: () => Promise<{ SecretString?: string }>) => ({ send: (_c: GetSecretValueCommand) => answer() });

  it('reads username, password, host, port and dbname', async () => {
    const c = await readCredentials(
      client(async () => ({ SecretString: JSON.stringify({ username: 'u', password: 'p4ss-word', host: 'h', port: '5433', dbname: 'app' }) })),
      'arn',
    );
    expect(c).toEqual({ username: 'u', password: 'p4ss-word', host: 'h', port: 5433, dbname: 'app' });
  });

  it.each([
    [async () => ({}), /has no SecretString/],
    [async () => ({ SecretString: 'not json p4ss-word' }), /is not JSON/],
    [async () => ({ SecretString: JSON.stringify({ username: 'u' }) }), /has no password/],
  ])('refuses a bad secret without quoting it (%#)', async (answer, message) => {
    const e = await readCredentials(client(answer), 'arn:x').catch((x: Error) => x);
    expect(e).toBeInstanceOf(InputError);
    expect((e as Error).message).toMatch(message);
    expect((e as Error).message).not.toContain('p4ss-word');
  });

  it.each([['abc'], [''], [null], [0], [70000], [5432.5], ['54 32'], [true]])(
    'refuses a "port" that is not a port number (%j), naming the field, never the password',
    async (port) => {
      const secret = { username: 'u', password: 'p4ss-word', host: 'h', port };
      const read = readCredentials(
        client(async () => ({ SecretString: JSON.stringify(secret) })),
        'arn:x',
      );
      if (port === '' || port === null) {
        // Empty or null is absent: the default port.
        expect((await read).port).toBeUndefined();
        return;
      }
      const e = (await read.catch((x: Error) => x)) as InputError;
      expect(e).toBeInstanceOf(InputError);
      expect(e.message).toBe(
        'the database secret arn:x has a "port" that is not a port number (an integer from 1 to 65535, as a number or a string of digits)',
      );
      expect(e.fix).toMatch(/^set "port" in the secret's JSON value/);
      expect(JSON.stringify(e.toJSON())).not.toContain('p4ss-word');
    },
  );

  it('names the secret and the fix when Secrets Manager refuses', async () => {
    const denied = Object.assign(new Error('User is not authorized'), { name: 'AccessDeniedException' });
    const e = (await readCredentials(
      client(async () => {
        throw denied;
      }),
      'arn:x',
    ).catch((x: MigrationError) => x)) as MigrationError;
    expect(e).toBeInstanceOf(MigrationError);
    expect(e.message).toBe('cannot read the database secret arn:x: AccessDeniedException');
    expect(e.fix).toMatch(/secretsmanager:GetSecretValue/);
  });
});
