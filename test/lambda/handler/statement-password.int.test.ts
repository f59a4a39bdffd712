/**
 * A password written in a failing migration statement, through the real
 * Provider framework runtime against real PostgreSQL: the FAILED reason and
 * every log line the handler writes show it masked.
 */
import { join } from 'node:path';
import type { GetSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { afterAll, describe, expect, it } from 'vitest';
import { ENV, PROP } from '../../../lambda/handler/constants';
import { summariseFiles } from '../../../lambda/handler/files-hash';
import { createHandlers } from '../../../lambda/handler/handler';
import { dropDatabases, freshDatabase, targets } from '../../support/db';
import { tempDir } from '../../support/files';
import { ProviderHarness } from '../../support/provider-framework';

afterAll(dropDatabases);

const SECRET_ARN = 'arn:aws:secretsmanager:eu-west-1:111111111111:secret:schemaguard-pw-AbCdEf';

describe.each(targets)('custom resource: a password in a failing statement on $name', (target) => {
  // Regression (tester): the handler's CloudWatch error line and the FAILED reason carried ALTER ROLE nosuchrole PASSWORD 'S3cretPW' whole.
  it('the FAILED reason and the log lines mask the password of ALTER ROLE … PASSWORD and of an unquoted one the server repeats', async () => {
    // The last: two literals after PASSWORD, a syntax error whose message repeats the second (only the first was masked).
    for (const sql of [
      "ALTER ROLE nosuchrole\n  PASSWORD 'S3cretPW';\n",
      'CREATE ROLE pw_app WITH ENCRYPTED PASSWORD S3cretPW;\n',
      "CREATE ROLE pw_app LOGIN PASSWORD 'S3cretOne' 'S3cretTwo';\n",
    ]) {
      // Prepare
      const url = await freshDatabase(target, 'cfn_pw');
      const dir = tempDir({ 'migrations/1_role.sql': sql, 'contracts/.keep': '' });
      const lines: string[] = [];
      const secrets = {
        send: async (_c: GetSecretValueCommand) => ({
          SecretString: JSON.stringify({
            username: 'postgres',
            password: target.password,
            host: '127.0.0.1',
            port: target.port,
            dbname: new URL(url).pathname.slice(1),
          }),
        }),
      };
      const handlers = createHandlers({
        secrets,
        env: {
          [ENV.secretArn]: SECRET_ARN,
          [ENV.migrationsDir]: join(dir, 'migrations'),
          [ENV.contractsDir]: join(dir, 'contracts'),
          [ENV.snapshotFile]: '',
          [ENV.tls]: 'disable',
          [ENV.reserveMs]: '1000',
          [ENV.connectAttempts]: '2',
        },
        write: (line: string) => void lines.push(line),
      });
      const harness = new ProviderHarness({ onEvent: handlers.onEvent as never, isComplete: handlers.isComplete as never });
      await harness.start();
      try {
        const s = summariseFiles(join(dir, 'migrations'), join(dir, 'contracts'));

        // Act
        const r = await harness.send({
          RequestType: 'Create',
          ResourceProperties: { [PROP.filesHash]: s.hash, [PROP.latestVersion]: String(s.latestVersion), [PROP.migrationCount]: String(s.migrationCount) },
        });

        // Assess
        expect(r.Status).toBe('FAILED');
        expect(r.Reason).toMatch(/1_role\.sql/);
        expect(r.Reason).not.toContain('S3cret');
        const errorLines = lines.filter((l) => /"level":"error"/.test(l));
        expect(errorLines.length, lines.join('\n')).toBeGreaterThan(0);
        expect(lines.join('\n')).not.toContain('S3cret');
        expect(errorLines.join('\n')).toMatch(/PASSWORD\s*(\\n\s*)*('\*\*\*\*'|\*\*\*\*)|near \\"\*\*\*\*\\"/);
      } finally {
        await harness.stop();
      }
    }
  });
});
