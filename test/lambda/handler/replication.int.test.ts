/**
 * The custom-resource handler under the real Provider framework, on a primary
 * with `wal_level = logical`, a subscription to a publication of one table
 * and a streaming standby: a deploy whose migration changes the published
 * table fails before anything runs (the stack rolls back, nothing applied);
 * with the construct's `replicationPlanned` it applies; after applying, the
 * response says how the standby did (`Standbys`), and a paused standby with
 * the strict setting fails the deploy.
 */
import type { GetSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENV, PROP } from '../../../lambda/handler/constants';
import { summariseFiles } from '../../../lambda/handler/files-hash';
import { asDeployed } from '../../support/as-deployed';
import { targets, withClient } from '../../support/db';
import { tempDir } from '../../support/files';
import { ProviderHarness } from '../../support/provider-framework';
import { adminUrl, removeServer, startPrimary, startStandby, subscribe } from '../../support/replication';
import type { StartedServer } from '../../support/system-postgres';

const SECRET_ARN = 'arn:aws:secretsmanager:eu-west-1:111111111111:secret:schemaguard-replication-AbCdEf';
const TABLES = 'CREATE TABLE orders (id bigint PRIMARY KEY, total numeric);';
// The embedded server: one major is enough for the handler's wiring (the CLI tests cover both).
const target = targets.find((t) => t.binDir !== undefined);

/** The handler as SchemaMigrations deploys it (`env` as its props set it), behind the framework. */
async function deploy(primary: StartedServer, files: Record<string, string>, env: Record<string, string> = {}) {
  const dir = tempDir(files);
  const secrets = {
    send: async (_c: GetSecretValueCommand) => ({
      SecretString: JSON.stringify({ username: 'postgres', password: primary.password, host: '127.0.0.1', port: primary.port, dbname: 'app' }),
    }),
  };
  const handlers = asDeployed({
    secrets,
    write: () => undefined,
    env: {
      [ENV.secretArn]: SECRET_ARN,
      [ENV.migrationsDir]: dir,
      [ENV.contractsDir]: `${dir}/none`,
      [ENV.tls]: 'disable',
      [ENV.reserveMs]: '1000',
      [ENV.connectAttempts]: '2',
      ...env,
    },
  });
  const harness = new ProviderHarness({ onEvent: handlers.onEvent as never, isComplete: handlers.isComplete as never });
  await harness.start();
  try {
    const s = summariseFiles(dir);
    // The files alter a table that is there already, not made by them: the baseline says so (every file runs).
    const baseline = { [PROP.baselineVersion]: 'none', [PROP.baselineReason]: 'orders predates the files' };
    return await harness.send({
      RequestType: 'Create',
      ResourceProperties: {
        [PROP.filesHash]: s.hash,
        [PROP.latestVersion]: String(s.latestVersion),
        [PROP.migrationCount]: String(s.migrationCount),
        ...baseline,
      },
    });
  } finally {
    await harness.stop();
  }
}

describe.runIf(target)(`Handler: replication, on ${target?.name}`, () => {
  let primary: StartedServer;
  let standby: Awaited<ReturnType<typeof startStandby>>;
  beforeAll(async () => {
    primary = await startPrimary(target!.binDir!);
    await withClient(adminUrl(primary), (c) => c.query('CREATE DATABASE app'));
    await withClient(adminUrl(primary, 'app'), async (c) => {
      await c.query(TABLES);
      await c.query('CREATE PUBLICATION orders_pub FOR TABLE orders');
    });
    await subscribe(primary, 'app', 'orders_pub', TABLES);
    standby = await startStandby(primary);
  });
  afterAll(async () => {
    if (standby) await standby.remove();
    if (primary) await removeServer(primary);
  });

  const columns = async () =>
    (
      await withClient(adminUrl(primary, 'app'), (c) =>
        c.query("SELECT attname FROM pg_attribute WHERE attrelid = 'orders'::regclass AND attnum > 0 AND NOT attisdropped ORDER BY attnum"),
      )
    ).rows.map((r) => r.attname);

  it('a migration that changes the published table fails the deploy before anything runs, naming the prop to set', async () => {
    const r = await deploy(primary, { '1_note.sql': 'ALTER TABLE orders ADD COLUMN note text;' }, { [ENV.stateSchema]: 'sg_refused' });
    expect(r.Status).toBe('FAILED');
    expect(r.Reason).toContain('changes tables that logical replication carries');
    expect(r.Reason).toContain('the replicationPlanned prop of SchemaMigrations');
    expect(await columns()).toEqual(['id', 'total']);
  });

  it('with replicationPlanned it applies, and the response says the standby caught up', async () => {
    await withClient(adminUrl(primary, 'subscriber'), (c) => c.query('ALTER TABLE orders ADD COLUMN note text'));
    const r = await deploy(
      primary,
      { '1_note.sql': 'ALTER TABLE orders ADD COLUMN note text;' },
      { [ENV.stateSchema]: 'sg_planned', [ENV.replicationPlanned]: 'the subscriber has the column' },
    );
    expect(r.Status, r.Reason).toBe('SUCCESS');
    expect(r.Data?.Standbys).toMatch(/^standbys: 1 caught up \(standby1 \(127\.0\.0\.1\)/);
    expect(await columns()).toEqual(['id', 'total', 'note']);
  });

  it('a paused standby with the strict setting fails the deploy naming it; without, a warning in Standbys', async () => {
    await withClient(adminUrl(standby), (c) => c.query('SELECT pg_wal_replay_pause()'));
    try {
      const warned = await deploy(primary, { '1_a.sql': 'CREATE TABLE a (id int);' }, { [ENV.stateSchema]: 'sg_paused_warn', [ENV.standbyWaitMs]: '1000' });
      expect(warned.Status, warned.Reason).toBe('SUCCESS');
      expect(warned.Data?.Standbys).toMatch(/^standbys: 1 still behind after \d+ ms: standby1/);
      const strict = await deploy(
        primary,
        { '1_b.sql': 'CREATE TABLE b (id int);' },
        { [ENV.stateSchema]: 'sg_paused_strict', [ENV.standbyWaitMs]: '1000', [ENV.standbyStrict]: 'true' },
      );
      expect(strict.Status).toBe('FAILED');
      expect(strict.Reason).toContain('standby1');
      expect(strict.Reason).toContain('the standbys.strict prop');
    } finally {
      await withClient(adminUrl(standby), (c) => c.query('SELECT pg_wal_replay_resume()'));
    }
  });
});
