/**
 * The connector before it reaches any server: a secret without a host stops
 * with a fix a user of SchemaMigrations can apply (it has no host prop).
 */
import { GetSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { describe, expect, it } from 'vitest';
import { InputError } from '../../../lambda/engine/errors';
import { Redactor } from '../../../lambda/engine/redact';
import { createConnector } from '../../../lambda/handler/connection';
import { ENV } from '../../../lambda/handler/constants';
import { createLogger } from '../../../lambda/handler/log';

describe('Function: createConnector', () => {
  describe('Method: connect', () => {
    it('throws when neither the secret nor the environment has a host, naming the secret and how to put the host in it', async () => {
      // Prepare
      const secrets = { send: async (_c: GetSecretValueCommand) => ({ SecretString: JSON.stringify({ username: 'postgres', password: 'p4ss-word' }) }) };
      const redactor = new Redactor();
      const connector = createConnector({ secrets });
      const target = { kind: 'connection' as const, secretArn: 'arn:aws:secretsmanager:eu-west-1:111111111111:secret:db', connectAttempts: 1, tls: { mode: 'disable' as const } };

      // Act
      const e = (await connector.connect(target, createLogger(redactor, () => {}), redactor).catch((x: unknown) => x)) as InputError;

      // Assess
      expect(e).toBeInstanceOf(InputError);
      expect(e.message).toBe(`no database host: the secret arn:aws:secretsmanager:eu-west-1:111111111111:secret:db has no "host" and ${ENV.host} is not set`);
      expect(e.fix).toBe('put "host" and "port" in the secret: attach it to the instance or cluster (in CDK: pass secret.attach(database); the database.secret '
        + 'of rds.Credentials.fromGeneratedSecret(…) or fromSecret(…) is attached already), or add them to its JSON value');
      // No prop that SchemaMigrations does not have, and never the password.
      expect(e.fix).not.toMatch(/pass the host to the construct/);
      expect(JSON.stringify(e.toJSON())).not.toContain('p4ss-word');
    });
  });
});
