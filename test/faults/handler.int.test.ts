/**
 * Fault matrix for the custom resource, driven by the real Provider framework
 * runtime (test/support/provider-framework.ts) against real PostgreSQL.
 * Secrets Manager is stood in for by a client that answers GetSecretValue.
 *
 * Covered in test/lambda/handler/provider-lifecycle.int.test.ts and not
 * repeated here: the same Create delivered twice; two concurrent deliveries;
 * onEvent stopping before its time runs out with isComplete continuing.
 */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { GetSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { afterAll, describe, expect, it } from 'vitest';
import { ATTR, ENV, OUTCOME, PROP, RESPONSE_LIMIT_BYTES } from '../../lambda/handler/constants';
import { summariseFiles } from '../../lambda/handler/files-hash';
import { createHandlers, type Handlers, type OnEventRequest } from '../../lambda/handler/handler';
import { dropDatabases, freshDatabase, rows, targets, withClient } from '../support/db';
import { addFile, tempDir } from '../support/files';
import { ProviderHarness, STACK_ID, type CfnResponse, type LambdaLikeContext } from '../support/provider-framework';
import type { Target } from '../support/targets';
import { expectConsistent, leaks, lockHolderPid, sleep, steps, Transcript, waitForMarker } from './support';

afterAll(dropDatabases);

const SECRET_ARN = 'arn:aws:secretsmanager:eu-west-1:111111111111:secret:schemaguard-faults-AbCdEf';
const transcript = new Transcript();
const passwords: string[] = [];

export interface HandlerRig {
  url: string;
  dir: string;
  password: string;
  handlers: Handlers;
  harness: ProviderHarness;
  lines: string[];
  props(): Record<string, unknown>;
  /** A raw event as the framework passes it to the user handler. */
  event(requestType: 'Create' | 'Update' | 'Delete', extra?: Partial<OnEventRequest>): OnEventRequest;
  done(): Promise<void>;
}

export async function handlerRig(target: Target, label: string, files: Record<string, string>, options: {
  env?: Record<string, string>;
  remainingTimeMs?: (fn: 'onEvent' | 'isComplete', n: number) => number;
  maxIsCompleteAttempts?: number;
} = {}): Promise<HandlerRig> {
  const url = await freshDatabase(target, label);
  const database = new URL(url).pathname.slice(1);
  const role = `sg_fault_${randomBytes(3).toString('hex')}`;
  const password = `Fault@:/%#?${randomBytes(10).toString('hex')}`;
  passwords.push(password);
  await withClient(target.adminUrl, async (c) => {
    await c.query(`CREATE ROLE ${role} LOGIN PASSWORD '${password.replace(/'/g, "''")}'`);
    await c.query(`ALTER DATABASE ${c.escapeIdentifier(database)} OWNER TO ${role}`);
  });
  await withClient(url, (c) => c.query(`ALTER SCHEMA public OWNER TO ${role}`));
  const dir = tempDir(files);
  const secrets = {
    send: async (command: GetSecretValueCommand) => {
      expect(command.input.SecretId).toBe(SECRET_ARN);
      return { SecretString: JSON.stringify({ engine: 'postgres', username: role, password, host: '127.0.0.1', port: target.port, dbname: database }) };
    },
  };
  const lines: string[] = [];
  const env = {
    [ENV.secretArn]: SECRET_ARN,
    [ENV.migrationsDir]: dir,
    [ENV.contractsDir]: join(dir, 'no-contracts'),
    [ENV.tls]: 'disable',
    [ENV.reserveMs]: '1000',
    [ENV.connectAttempts]: '2',
    [ENV.lockWaitMs]: '20000',
    AWS_LAMBDA_LOG_GROUP_NAME: '/aws/lambda/SchemaguardFaults-Handler',
    ...options.env,
  };
  const handlers = createHandlers({ secrets, env, write: (line) => lines.push(line) });
  const harness = new ProviderHarness({
    onEvent: handlers.onEvent as never, isComplete: handlers.isComplete as never,
    remainingTimeMs: options.remainingTimeMs, maxIsCompleteAttempts: options.maxIsCompleteAttempts,
  });
  await harness.start();
  const props = () => { const s = summariseFiles(dir); return { [PROP.filesHash]: s.hash, [PROP.latestVersion]: String(s.latestVersion), [PROP.migrationCount]: String(s.migrationCount) }; };
  return {
    url, dir, password, handlers, harness, lines, props,
    event: (requestType, extra = {}) => ({
      RequestType: requestType, StackId: STACK_ID, RequestId: `req-${randomBytes(4).toString('hex')}`,
      LogicalResourceId: 'SchemaMigrationsResource', ResourceType: 'Custom::SchemaMigrations', ResourceProperties: props(),
      ...(requestType === 'Create' ? {} : { PhysicalResourceId: 'schemaguard-migrations-SchemaMigrationsResource' }),
      ...extra,
    }),
    done: async () => {
      transcript.add(...harness.logs, ...lines, ...harness.rawResponses);
      await harness.stop();
    },
  };
}

const context = (ms: number): LambdaLikeContext => {
  const started = Date.now();
  return { getRemainingTimeInMillis: () => ms - (Date.now() - started), awsRequestId: randomBytes(8).toString('hex') };
};

function expectFits(response: CfnResponse): void {
  transcript.add(JSON.stringify(response));
  expect(Buffer.byteLength(JSON.stringify(response))).toBeLessThan(RESPONSE_LIMIT_BYTES);
}

describe.each(targets)('Faults: the custom resource, on $name', (target) => {
  it('each invocation runs out of time between two migrations: every isComplete continues where the last stopped, each migration applied once', async () => {
    // Reserve 1 s; every invocation gets 1.3 s: a 0.4 s migration can start, a second one cannot.
    const slow = 'SELECT pg_sleep(0.4);';
    const r = await handlerRig(target, 'cfn_slices', steps(4, { 1: slow, 2: slow, 3: slow, 4: slow }), { remainingTimeMs: () => 1300 });
    try {
      const created = await r.harness.send({ RequestType: 'Create', ResourceProperties: r.props() });
      expectFits(created);
      expect(created.Status, created.Reason).toBe('SUCCESS');
      expect(created.Data).toMatchObject({ [ATTR.appliedVersions]: '1,2,3,4', [ATTR.appliedThisRun]: '4' });
      const finished = r.lines.map((l) => JSON.parse(l) as { message: string; phase: string; applied?: string[] }).filter((l) => l.message === 'run finished');
      expect(finished.length).toBeGreaterThanOrEqual(4);
      expect(finished.every((l) => (l.applied ?? []).length <= 1)).toBe(true);
      expect(finished.flatMap((l) => l.applied ?? [])).toEqual(['1_step1.sql', '2_step2.sql', '3_step3.sql', '4_step4.sql']);
      await expectConsistent(r.url, [1, 2, 3, 4]);
    } finally {
      await r.done();
    }
  });

  it('an invocation killed by the Lambda timeout mid-migration (its connections dropped): the next invocation rolls nothing forward twice and completes', async () => {
    const r = await handlerRig(target, 'cfn_hard_timeout', steps(3, {
      1: 'CREATE SEQUENCE executions_of_2;',
      2: "SELECT 'marker_fault_lambda' AS m, pg_sleep(CASE WHEN nextval('executions_of_2') = 1 THEN 30 ELSE 0 END);",
    }));
    try {
      // Act 1: onEvent is frozen and killed by the runtime while migration 2 runs; its sockets die with the sandbox.
      const first = r.handlers.onEvent(r.event('Create'), context(60_000)).then(() => undefined, (e: unknown) => e);
      await waitForMarker(r.url, 'marker_fault_lambda');
      await rows(target.adminUrl, `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
        WHERE datname = $1 AND application_name = 'schemaguard-cfn'`, [new URL(r.url).pathname.slice(1)]);
      const e = await first;
      expect(e).toBeInstanceOf(Error);
      await expectConsistent(r.url, [1]);
      // Act 2: the retried invocation (CloudFormation's next request, or the waiter's isComplete)
      const again = await r.harness.send({ RequestType: 'Create', ResourceProperties: r.props() });
      expectFits(again);
      expect(again.Status, again.Reason).toBe('SUCCESS');
      expect(again.Data).toMatchObject({ [ATTR.appliedVersions]: '2,3', [ATTR.currentVersion]: '3' });
      await expectConsistent(r.url, [1, 2, 3]);
    } finally {
      await r.done();
    }
  });

  it('out of order: a rollback Update arriving while the update being rolled back still holds the lock waits, then succeeds without changing anything (it failed with DatabaseAheadError)', async () => {
    // Deployed: 1, 2. The update adds a slow 3 and 4; the rollback Update carries the old files (1, 2).
    const r = await handlerRig(target, 'cfn_rollback_race', steps(2));
    try {
      const created = await r.harness.send({ RequestType: 'Create', ResourceProperties: r.props() });
      expect(created.Status, created.Reason).toBe('SUCCESS');
      const oldProps = r.props();
      const oldDir = tempDir(steps(2));
      const newFiles = steps(4, { 3: "SELECT 'marker_fault_rollback' AS m, pg_sleep(1.5);" });
      addFile(r.dir, '3_step3.sql', newFiles['3_step3.sql']!);
      addFile(r.dir, '4_step4.sql', newFiles['4_step4.sql']!);

      // The update's onEvent is running migration 3 (holding the lock) ...
      const update = r.handlers.onEvent(r.event('Update', { OldResourceProperties: oldProps }), context(60_000));
      await waitForMarker(r.url, 'marker_fault_rollback');
      await lockHolderPid(r.url);
      // ... when the rollback Update, from the old code with the old files, arrives.
      const rollbackRig = createHandlers({
        secrets: { send: async () => ({ SecretString: JSON.stringify(await secretOf(r)) }) },
        env: { ...envOf(r), [ENV.migrationsDir]: oldDir },
        write: (line) => r.lines.push(line),
      });
      const rollbackEvent = { ...r.event('Update', { OldResourceProperties: r.props() }), ResourceProperties: oldProps };
      const [u, rb] = await Promise.all([
        update.then((x) => x, (e: unknown) => e),
        (async () => {
          const ev = await rollbackRig.onEvent(rollbackEvent, context(60_000));
          return rollbackRig.isComplete({ ...rollbackEvent, PhysicalResourceId: ev.PhysicalResourceId }, context(60_000));
        })().then((x) => x, (e: unknown) => e),
      ]);

      expect(u).toEqual({ PhysicalResourceId: 'schemaguard-migrations-SchemaMigrationsResource' });
      expect(rb, String((rb as Error)?.message)).toMatchObject({ IsComplete: true, Data: { [ATTR.outcome]: OUTCOME.databaseAhead, [ATTR.aheadVersions]: '3,4' } });
      await expectConsistent(r.url, [1, 2, 3, 4]);
    } finally {
      await r.done();
    }
  });
});

// The rig keeps its secret and environment inside the handler; the rollback
// handler (old code) is built from the same values.
async function secretOf(r: HandlerRig): Promise<Record<string, unknown>> {
  const u = new URL(r.url);
  const owner = (await rows<{ o: string }>(r.url, 'SELECT pg_get_userbyid(datdba) AS o FROM pg_database WHERE datname = current_database()'))[0]!.o;
  return { username: owner, password: r.password, host: '127.0.0.1', port: Number(u.port), dbname: u.pathname.slice(1) };
}
function envOf(r: HandlerRig): Record<string, string> {
  return {
    [ENV.secretArn]: SECRET_ARN, [ENV.migrationsDir]: r.dir, [ENV.contractsDir]: join(r.dir, 'no-contracts'),
    [ENV.tls]: 'disable', [ENV.reserveMs]: '1000', [ENV.connectAttempts]: '2', [ENV.lockWaitMs]: '20000',
  };
}

describe('Security: the handler logs and responses of these runs', () => {
  it('hold no password and no connection string with a password', async () => {
    await sleep(0);
    expect(transcript.texts.length).toBeGreaterThan(20);
    expect(leaks(transcript.texts, [...passwords, ...targets.map((t) => t.password)])).toEqual([]);
  });
});
