/**
 * The custom-resource handler on Aurora: with SCHEMAGUARD_CLUSTER_ARN set it
 * migrates through the RDS Data API (here the stand-in on a real PostgreSQL)
 * and never reads the secret itself — the service does.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { ATTR, ENV } from '../../../lambda/handler/constants';
import { createHandlers } from '../../../lambda/handler/handler';
import { dropDatabases, freshDatabase, rows, targets } from '../../support/db';
import { DataApiStandin } from '../../support/data-api-standin';
import { TEST_CLUSTER_ARN, TEST_SECRET_ARN } from '../../support/drivers';
import { tempDir } from '../../support/files';

afterAll(dropDatabases);

const standins: DataApiStandin[] = [];
afterAll(async () => {
  for (const s of standins.splice(0)) await s.close();
});

const event = {
  RequestType: 'Create' as const,
  StackId: 'arn:aws:cloudformation:eu-west-1:111111111111:stack/Aurora/x',
  RequestId: 'aurora-1',
  LogicalResourceId: 'Migrations',
  ResourceType: 'Custom::SchemaMigrations',
  ResourceProperties: {},
};
const ctx = { getRemainingTimeInMillis: () => 120_000 };

describe.each(targets)('$name', (target) => {
  it('applies the migrations through the Data API without reading the secret', async () => {
    const url = await freshDatabase(target, 'handler_dapi');
    const standin = new DataApiStandin(url);
    standins.push(standin);
    const secretReads: unknown[] = [];
    const lines: string[] = [];
    const h = createHandlers({
      dataApi: standin,
      secrets: {
        send: async (c: unknown) => {
          secretReads.push(c);
          throw new Error('the handler must not read the secret in Data API mode');
        },
      },
      write: (l) => lines.push(l),
      env: {
        [ENV.secretArn]: TEST_SECRET_ARN,
        [ENV.clusterArn]: TEST_CLUSTER_ARN,
        [ENV.databaseName]: new URL(url).pathname.slice(1),
        [ENV.contractsDir]: '/nonexistent/contracts',
        [ENV.migrationsDir]: tempDir({ '1_a.sql': 'CREATE TABLE a (id int);\n', '2_b.sql': 'ALTER TABLE a ADD COLUMN note text;\n' }),
      },
    });

    const r = await h.onEvent(event, ctx);
    const done = await h.isComplete({ ...event, PhysicalResourceId: r.PhysicalResourceId }, ctx);

    expect(done).toMatchObject({ IsComplete: true, Data: { [ATTR.appliedVersions]: '1,2', [ATTR.currentVersion]: '2' } });
    expect(secretReads).toEqual([]);
    expect(await rows(url, 'SELECT version, applied_by FROM schemaguard.applied_migrations ORDER BY version')).toEqual([
      { version: '1', applied_by: 'cloudformation:Aurora/Migrations/aurora-1' },
      { version: '2', applied_by: 'cloudformation:Aurora/Migrations/aurora-1' },
    ]);
    expect(standin.calls.some((c) => c.command === 'BeginTransaction')).toBe(true);
    expect(standin.openTransactions).toBe(0);
    expect(lines.join('\n')).not.toContain(target.password);
  });
});
