/**
 * The connector before it reaches any server: a secret without a host stops
 * with a fix a user of SchemaMigrations can apply (it has no host prop).
 */
import type { GetSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { describe, expect, it } from 'vitest';
import { InputError } from '../../../lambda/engine/errors/errors';
import { Redactor } from '../../../lambda/engine/errors/redact';
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
      const target = {
        kind: 'connection' as const,
        auth: { kind: 'secret' as const, secretArn: 'arn:aws:secretsmanager:eu-west-1:111111111111:secret:db' },
        pooler: false,
        connectAttempts: 1,
        tls: { mode: 'disable' as const },
      };

      // Act
      const e = (await connector
        .connect(
          target,
          createLogger(redactor, () => {}),
          redactor,
        )
        .catch((x: unknown) => x)) as InputError;

      // Assess
      expect(e).toBeInstanceOf(InputError);
      expect(e.message).toBe(
        `no database host: the secret arn:aws:secretsmanager:eu-west-1:111111111111:secret:db has no "host" and neither ${ENV.host} nor ${ENV.endpointHost} is set`,
      );
      expect(e.fix).toBe(
        'put "host" and "port" in the secret: attach it to the instance or cluster (in CDK: pass secret.attach(database); the database.secret ' +
          'of rds.Credentials.fromGeneratedSecret(…) or fromSecret(…) is attached already), or add them to its JSON value; ' +
          "or pass an rds.DatabaseInstance or DatabaseCluster as the construct's database, whose endpoint is used",
      );
      // No prop that SchemaMigrations does not have, and never the password.
      expect(e.fix).not.toMatch(/pass the host to the construct/);
      expect(JSON.stringify(e.toJSON())).not.toContain('p4ss-word');
    });

    // Regression (helper): an RDS-managed master secret (manageMasterUserPassword) holds only username and password: the deploy failed with "no database host".
    it("takes the database's endpoint when the secret has no host, and the secret's host before it; an override before both", async () => {
      const connected: string[] = [];
      const connectTo = async (secret: Record<string, unknown>, target: Record<string, unknown>) => {
        const secrets = {
          send: async (_c: GetSecretValueCommand) => ({ SecretString: JSON.stringify({ username: 'postgres', password: 'p4ss-word', ...secret }) }),
        };
        const redactor = new Redactor();
        const base = {
          kind: 'connection' as const,
          auth: { kind: 'secret' as const, secretArn: 'arn:s' },
          pooler: false,
          connectAttempts: 1,
          tls: { mode: 'disable' as const },
        };
        // Nothing listens on these ports: the error names where the driver went.
        const e = (await createConnector({ secrets })
          .connect(
            { ...base, ...target },
            createLogger(redactor, () => {}),
            redactor,
          )
          .catch((x: unknown) => x)) as Error;
        connected.push(/127\.0\.0\.\d+:\d+/.exec(e.message)?.[0] ?? e.message);
      };
      await connectTo({}, { endpoint: { host: '127.0.0.2', port: 1 } });
      await connectTo({ host: '127.0.0.3', port: 2 }, { endpoint: { host: '127.0.0.2', port: 1 } });
      await connectTo({ host: '127.0.0.3', port: 2 }, { host: '127.0.0.4', port: 3, endpoint: { host: '127.0.0.2', port: 1 } });
      expect(connected).toEqual(['127.0.0.2:1', '127.0.0.3:2', '127.0.0.4:3']);
    });
  });
});
