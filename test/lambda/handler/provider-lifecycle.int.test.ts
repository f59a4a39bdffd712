/**
 * The custom-resource handler driven by the real Provider framework runtime
 * (aws-cdk-lib/custom-resources), against real PostgreSQL. Secrets Manager is
 * the one AWS service stood in for: a client that answers GetSecretValue with
 * the credentials of a role created on the test server.
 */
import { randomBytes } from 'node:crypto';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { GetSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { advisoryLockKey } from '../../../lambda/engine/state/runner-lock-names';
import { ATTR, VERIFY_ATTR, ENV, OUTCOME, PROP, RESPONSE_LIMIT_BYTES } from '../../../lambda/handler/constants';
import { summariseFiles } from '../../../lambda/handler/files-hash';
import { CREATE_FAILED_MARKER, createHandlers, type Handlers } from '../../../lambda/handler/handler';
import { dropDatabases, freshDatabase, rows, targets, withClient } from '../../support/db';
import { tempDir } from '../../support/files';
import { killAtMarker, lockHolderPid, waitForMarker } from '../../faults/support';
import { ProviderHarness, type CfnResponse } from '../../support/provider-framework';
import { ROOT } from '../../support/cli';
import type { Target } from '../../support/targets';

/** The repository's own migrations/ (what bin/app.ts deploys). */
const REPO_MIGRATIONS_DIR = join(ROOT, 'migrations');

afterAll(dropDatabases);

const SECRET_ARN = 'arn:aws:secretsmanager:eu-west-1:111111111111:secret:schemaguard-test-AbCdEf';
const HANDLER_LOG_GROUP = '/aws/lambda/SchemaguardTest-SchemaMigrationsHandler';
const DB_LOG_GROUP = '/aws/rds/instance/schemaguard-test/postgresql';

interface Rig {
  harness: ProviderHarness;
  handlers: Handlers;
  dir: string;
  url: string;
  password: string;
  handlerLines: string[];
  secretReads: () => number;
  /** Point the handler (and the properties) at another migrations directory. */
  useMigrationsDir: (dir: string) => void;
  props: () => Record<string, unknown>;
  /** Every text that left the handler or the framework: logs and responses. */
  everything: () => string[];
}

async function rig(
  target: Target,
  label: string,
  files: Record<string, string>,
  remainingTimeMs?: (fn: 'onEvent' | 'isComplete', n: number) => number,
  extraEnv: Record<string, string> = {},
): Promise<Rig> {
  const url = await freshDatabase(target, label);
  const database = new URL(url).pathname.slice(1);
  // A role of its own with a password full of URL-special characters: it must work and must never be shown.
  const role = `sg_cfn_${randomBytes(3).toString('hex')}`;
  const password = `Pw@:/%#?${randomBytes(12).toString('hex')}`;
  await withClient(target.adminUrl, async (c) => {
    await c.query(`CREATE ROLE ${role} LOGIN PASSWORD '${password.replace(/'/g, "''")}'`);
    await c.query(`ALTER DATABASE ${c.escapeIdentifier(database)} OWNER TO ${role}`);
  });
  await withClient(url, (c) => c.query(`ALTER SCHEMA public OWNER TO ${role}`));
  let dir = tempDir(files);
  let reads = 0;
  const secrets = {
    send: async (command: GetSecretValueCommand) => {
      reads++;
      expect(command).toBeInstanceOf(GetSecretValueCommand);
      expect(command.input.SecretId).toBe(SECRET_ARN);
      return { SecretString: JSON.stringify({ engine: 'postgres', username: role, password, host: '127.0.0.1', port: target.port, dbname: database }) };
    },
  };
  const handlerLines: string[] = [];
  const env: Record<string, string> = {
    [ENV.secretArn]: SECRET_ARN,
    [ENV.migrationsDir]: dir,
    [ENV.contractsDir]: join(dir, 'no-contracts'),
    [ENV.tls]: 'disable',
    [ENV.reserveMs]: '1000',
    [ENV.connectAttempts]: '2',
    [ENV.databaseLogGroup]: DB_LOG_GROUP,
    AWS_LAMBDA_LOG_GROUP_NAME: HANDLER_LOG_GROUP,
    ...extraEnv,
  };
  const handlers = createHandlers({ secrets, env, write: (line) => handlerLines.push(line) });
  const harness = new ProviderHarness({ onEvent: handlers.onEvent as never, isComplete: handlers.isComplete as never, remainingTimeMs });
  await harness.start();
  return {
    harness,
    handlers,
    get dir() {
      return dir;
    },
    url,
    password,
    handlerLines,
    secretReads: () => reads,
    useMigrationsDir: (d: string) => {
      dir = d;
      env[ENV.migrationsDir] = d;
    },
    props: () => {
      const s = summariseFiles(dir);
      return { [PROP.filesHash]: s.hash, [PROP.latestVersion]: String(s.latestVersion), [PROP.migrationCount]: String(s.migrationCount) };
    },
    everything: () => [...harness.logs, ...handlerLines, ...harness.rawResponses],
  };
}

function expectNoSecret(r: Rig): void {
  const leaks = r.everything().filter((line) => line.includes(r.password) || line.includes(encodeURIComponent(r.password)));
  expect(leaks).toEqual([]);
}

function expectFits(response: CfnResponse): void {
  expect(Buffer.byteLength(JSON.stringify(response))).toBeLessThan(RESPONSE_LIMIT_BYTES);
}

async function state(url: string): Promise<{ version: string; applied_by: string; applied_at: Date }[]> {
  // The engine creates its state table with the first migration it applies.
  const [{ t }] = await rows<{ t: string | null }>(url, "SELECT to_regclass('schemaguard.applied_migrations')::text AS t");
  if (t === null) return [];
  return rows(url, 'SELECT version, applied_by, applied_at FROM schemaguard.applied_migrations ORDER BY version');
}

async function tables(url: string): Promise<string[]> {
  return (await rows<{ t: string }>(url, "SELECT table_name AS t FROM information_schema.tables WHERE table_schema = 'public' ORDER BY 1")).map((r) => r.t);
}

const M1 = 'CREATE TABLE lead_purchases (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), amount int NOT NULL);\n';
const M2 =
  "CREATE TABLE web_sessions (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, lead_id uuid);\n\n-- schemaguard:check lead_id is nullable\nSELECT 1 FROM information_schema.columns WHERE table_name = 'web_sessions' AND column_name = 'lead_id' AND is_nullable = 'NO';\n";
const M3 = 'ALTER TABLE web_sessions ADD COLUMN channel text;\n';
const BAD = 'CREATE TABLE half_done (id int);\n-- the next statement fails\nINSERT INTO no_such_table VALUES (1);\n';

describe.each(targets)('$name', (target) => {
  describe('Provider framework: lifecycle', () => {
    it('Create applies the migrations; a no-op Update changes nothing; an Update applies only the new migration', async () => {
      // Prepare
      const r = await rig(target, 'cfn_lifecycle', { '1_purchases.sql': M1, '2_sessions.sql': M2 });
      try {
        // Act: Create
        const created = await r.harness.send({ RequestType: 'Create', ResourceProperties: r.props() });
        // Assess
        expect(created.Status, created.Reason).toBe('SUCCESS');
        expect(created.PhysicalResourceId).toBe('schemaguard-migrations-SchemaMigrationsResource');
        expect(created.Data).toEqual({
          [ATTR.outcome]: OUTCOME.applied,
          [ATTR.currentVersion]: '2',
          [ATTR.appliedCount]: '2',
          [ATTR.appliedThisRun]: '2',
          [ATTR.appliedVersions]: '1,2',
          [ATTR.aheadVersions]: '',
          [ATTR.message]: 'applied 2 migrations; the database is at version 2',
          [ATTR.rollbackProblem]: '',
          [ATTR.tenants]: '',
          [VERIFY_ATTR.contracts]: 'none',
          [VERIFY_ATTR.drift]: 'not checked (no snapshot)',
          [ATTR.baseline]: 'not set',
        });
        expectFits(created);
        const afterCreate = await state(r.url);
        expect(afterCreate.map((s) => s.version)).toEqual(['1', '2']);
        expect(afterCreate[0]!.applied_by).toBe(`cloudformation:SchemaguardTest/SchemaMigrationsResource/${created.RequestId}`);
        expect(await tables(r.url)).toEqual(['lead_purchases', 'web_sessions']);

        // Act: the same files again (CloudFormation only sends this when another property changed)
        const noop = await r.harness.send({
          RequestType: 'Update',
          PhysicalResourceId: created.PhysicalResourceId,
          ResourceProperties: r.props(),
          OldResourceProperties: r.props(),
        });
        expect(noop.Status, noop.Reason).toBe('SUCCESS');
        expect(noop.PhysicalResourceId).toBe(created.PhysicalResourceId);
        expect(noop.Data).toMatchObject({
          [ATTR.outcome]: OUTCOME.upToDate,
          [ATTR.appliedThisRun]: '0',
          [ATTR.appliedVersions]: '',
          [ATTR.currentVersion]: '2',
          [ATTR.appliedCount]: '2',
        });
        expect(await state(r.url)).toEqual(afterCreate);

        // Act: a new migration
        const old = r.props();
        writeFileSync(join(r.dir, '3_channel.sql'), M3);
        const updated = await r.harness.send({
          RequestType: 'Update',
          PhysicalResourceId: created.PhysicalResourceId,
          ResourceProperties: r.props(),
          OldResourceProperties: old,
        });
        expect(updated.Status, updated.Reason).toBe('SUCCESS');
        expect(updated.PhysicalResourceId).toBe(created.PhysicalResourceId);
        expect(updated.Data).toMatchObject({
          [ATTR.outcome]: OUTCOME.applied,
          [ATTR.appliedVersions]: '3',
          [ATTR.appliedThisRun]: '1',
          [ATTR.currentVersion]: '3',
          [ATTR.appliedCount]: '3',
        });
        const afterUpdate = await state(r.url);
        expect(afterUpdate.slice(0, 2)).toEqual(afterCreate);
        expect(afterUpdate[2]!.applied_by).toContain(updated.RequestId);
        expect(r.props()[PROP.filesHash]).not.toBe(old[PROP.filesHash]);
        expectNoSecret(r);
      } finally {
        await r.harness.stop();
      }
    });

    it('an Update with a failing migration is FAILED and leaves the database as it was; the rollback Update that follows succeeds and changes nothing', async () => {
      const r = await rig(target, 'cfn_failing', { '1_purchases.sql': M1, '2_sessions.sql': M2 });
      try {
        const created = await r.harness.send({ RequestType: 'Create', ResourceProperties: r.props() });
        expect(created.Status, created.Reason).toBe('SUCCESS');
        const good = r.props();
        const before = await state(r.url);

        // Act: the deploy with a broken migration
        writeFileSync(join(r.dir, '3_half_done.sql'), BAD);
        const bad = r.props();
        const failed = await r.harness.send({
          RequestType: 'Update',
          PhysicalResourceId: created.PhysicalResourceId,
          ResourceProperties: bad,
          OldResourceProperties: good,
        });

        // Assess: FAILED, naming the migration, the line, the SQLSTATE and the log groups
        expect(failed.Status).toBe('FAILED');
        expect(failed.PhysicalResourceId).toBe(created.PhysicalResourceId);
        expect(failed.Reason).toContain('migration 3_half_done.sql');
        expect(failed.Reason).toContain('line 3');
        expect(failed.Reason).toContain('SQLSTATE 42P01');
        expect(failed.Reason).toContain(HANDLER_LOG_GROUP);
        expect(failed.Reason).toContain(DB_LOG_GROUP);
        expectFits(failed);
        expect(await state(r.url)).toEqual(before);
        expect(await tables(r.url)).toEqual(['lead_purchases', 'web_sessions']);

        // Act: CloudFormation rolls back: the old properties, and the old code without the file
        rmSync(join(r.dir, '3_half_done.sql'));
        const rollback = await r.harness.send({
          RequestType: 'Update',
          PhysicalResourceId: created.PhysicalResourceId,
          ResourceProperties: good,
          OldResourceProperties: bad,
        });
        expect(rollback.Status, rollback.Reason).toBe('SUCCESS');
        expect(rollback.Data).toMatchObject({ [ATTR.outcome]: OUTCOME.upToDate, [ATTR.appliedThisRun]: '0', [ATTR.currentVersion]: '2' });
        expect(await state(r.url)).toEqual(before);
        expectNoSecret(r);
      } finally {
        await r.harness.stop();
      }
    });

    it('a rollback Update after a successful one (the database is ahead of the old files) succeeds, changes nothing and says so', async () => {
      const r = await rig(target, 'cfn_ahead', { '1_purchases.sql': M1, '2_sessions.sql': M2 });
      try {
        const created = await r.harness.send({ RequestType: 'Create', ResourceProperties: r.props() });
        const old = r.props();
        writeFileSync(join(r.dir, '3_channel.sql'), M3);
        const updated = await r.harness.send({
          RequestType: 'Update',
          PhysicalResourceId: created.PhysicalResourceId,
          ResourceProperties: r.props(),
          OldResourceProperties: old,
        });
        expect(updated.Status, updated.Reason).toBe('SUCCESS');
        const newer = r.props();
        const before = await state(r.url);

        // Act: a later resource failed; CloudFormation sends the old properties to the old code
        rmSync(join(r.dir, '3_channel.sql'));
        const rollback = await r.harness.send({
          RequestType: 'Update',
          PhysicalResourceId: created.PhysicalResourceId,
          ResourceProperties: old,
          OldResourceProperties: newer,
        });

        // Assess
        expect(rollback.Status, rollback.Reason).toBe('SUCCESS');
        expect(rollback.PhysicalResourceId).toBe(created.PhysicalResourceId);
        expect(rollback.Data).toMatchObject({
          [ATTR.outcome]: OUTCOME.databaseAhead,
          [ATTR.aheadVersions]: '3',
          [ATTR.appliedThisRun]: '0',
          [ATTR.currentVersion]: '3',
        });
        expect(rollback.Data![ATTR.message]).toContain('nothing was changed');
        expect(await state(r.url)).toEqual(before);
        expect(
          (await rows(r.url, "SELECT column_name FROM information_schema.columns WHERE table_name = 'web_sessions' AND column_name = 'channel'")).length,
        ).toBe(1);
        expectNoSecret(r);
      } finally {
        await r.harness.stop();
      }
    });

    it('Delete never touches the database (nor reads the secret)', async () => {
      const r = await rig(target, 'cfn_delete', { '1_purchases.sql': M1 });
      try {
        const created = await r.harness.send({ RequestType: 'Create', ResourceProperties: r.props() });
        const before = await state(r.url);
        const reads = r.secretReads();

        const deleted = await r.harness.send({ RequestType: 'Delete', PhysicalResourceId: created.PhysicalResourceId, ResourceProperties: r.props() });

        expect(deleted.Status, deleted.Reason).toBe('SUCCESS');
        expect(deleted.PhysicalResourceId).toBe(created.PhysicalResourceId);
        expect(r.secretReads()).toBe(reads);
        expect(await state(r.url)).toEqual(before);
        expect(await tables(r.url)).toEqual(['lead_purchases']);
        expect(r.harness.invocations.filter((i) => i.requestType === 'Delete').map((i) => i.fn)).toEqual(['onEvent', 'isComplete']);
      } finally {
        await r.harness.stop();
      }
    });

    it('a Create that fails leaves nothing, and the Delete that follows is a no-op', async () => {
      const r = await rig(target, 'cfn_create_failed', { '1_purchases.sql': M1, '2_half_done.sql': BAD });
      try {
        const failed = await r.harness.send({ RequestType: 'Create', ResourceProperties: r.props() });
        expect(failed.Status).toBe('FAILED');
        expect(failed.Reason).toContain('migration 2_half_done.sql');
        // 1 was committed before 2 failed: each migration is its own transaction.
        expect((await state(r.url)).map((s) => s.version)).toEqual(['1']);
        const before = await state(r.url);
        const invocationsBefore = r.harness.invocations.length;
        const reads = r.secretReads();

        const deleted = await r.harness.send({ RequestType: 'Delete', PhysicalResourceId: failed.PhysicalResourceId, ResourceProperties: r.props() });

        expect(deleted.Status, deleted.Reason).toBe('SUCCESS');
        expect(r.secretReads()).toBe(reads);
        expect(await state(r.url)).toEqual(before);
        // onEvent failed, so the framework's marker answers the Delete itself: the handler is not even invoked.
        expect(failed.PhysicalResourceId).toBe(CREATE_FAILED_MARKER);
        expect(r.harness.invocations.length).toBe(invocationsBefore);
        expectNoSecret(r);
      } finally {
        await r.harness.stop();
      }
    });

    it('a Create that fails on bad input (before the database is touched) answers the Delete that follows without the handler', async () => {
      const r = await rig(target, 'cfn_marker', { '1_purchases.sql': M1, 'not-a-migration.sql': 'SELECT 1;' });
      try {
        const broken = await r.harness.send({ RequestType: 'Create', ResourceProperties: r.props() });
        expect(broken.Status).toBe('FAILED');
        expect(broken.PhysicalResourceId).toBe(CREATE_FAILED_MARKER);
        expect(broken.Reason).toContain('not-a-migration.sql');
        expect(r.secretReads()).toBe(0);
        expect(await tables(r.url)).toEqual([]);
        const n = r.harness.invocations.length;

        const deleted = await r.harness.send({ RequestType: 'Delete', PhysicalResourceId: CREATE_FAILED_MARKER, ResourceProperties: r.props() });

        expect(deleted.Status).toBe('SUCCESS');
        expect(r.harness.invocations.length).toBe(n);
        expect(r.secretReads()).toBe(0);
      } finally {
        await r.harness.stop();
      }
    });
  });

  describe("the repository's own migrations/", () => {
    it('Create applies every file in migrations/ through the framework; the same Create again changes nothing', async () => {
      const count = summariseFiles(REPO_MIGRATIONS_DIR).migrationCount;
      if (count === 0) console.log('[schemaguard tests] migrations/ is empty here: this test only proves that an empty set deploys as up-to-date');
      const r = await rig(target, 'cfn_repo', {});
      r.useMigrationsDir(REPO_MIGRATIONS_DIR);
      try {
        const requestId = 'repo-create';
        const created = await r.harness.send({ RequestType: 'Create', RequestId: requestId, ResourceProperties: r.props() });
        expect(created.Status, created.Reason).toBe('SUCCESS');
        expect(created.Data).toMatchObject({
          [ATTR.appliedThisRun]: String(count),
          [ATTR.appliedCount]: String(count),
          [ATTR.outcome]: count ? OUTCOME.applied : OUTCOME.upToDate,
        });
        expectFits(created);
        expect((await state(r.url)).length).toBe(count);
        const again = await r.harness.send({ RequestType: 'Create', RequestId: requestId, ResourceProperties: r.props() });
        expect(again.Data).toEqual(created.Data);
        expectNoSecret(r);
      } finally {
        await r.harness.stop();
      }
    });
  });

  describe('response size', () => {
    it('a failure with a huge PostgreSQL message still fits in the 4 KB response, naming the migration and SQLSTATE', async () => {
      const huge =
        "DO $$ BEGIN RAISE EXCEPTION 'broken: %', repeat('x', 6000) USING ERRCODE = '23514', DETAIL = repeat('d', 3000), HINT = repeat('h', 3000); END $$;\n";
      const r = await rig(target, 'cfn_huge', { '1_purchases.sql': M1, '2_huge.sql': huge });
      try {
        const failed = await r.harness.send({ RequestType: 'Create', ResourceProperties: r.props() });
        expect(failed.Status).toBe('FAILED');
        expectFits(failed);
        expect(failed.Reason).toContain('migration 2_huge.sql');
        expect(failed.Reason).toContain('SQLSTATE 23514');
        expect(failed.Reason).toContain(DB_LOG_GROUP);
        expect(failed.Reason).toMatch(/…\[cut \d+ bytes\]/);
      } finally {
        await r.harness.stop();
      }
    });
  });

  // Regression (security review): PostgreSQL's DETAIL values (row data) reached CloudFormation's Reason.
  describe('row data', () => {
    it("a unique violation's DETAIL (an e-mail address) is in the function's log, and the Reason names its log stream instead", async () => {
      const dupes =
        "CREATE TABLE people (email text);\nINSERT INTO people VALUES ('ann@example.com'), ('ann@example.com');\nCREATE UNIQUE INDEX people_email ON people (email);\n";
      const r = await rig(target, 'cfn_detail', { '1_purchases.sql': M1, '2_people.sql': dupes });
      try {
        const failed = await r.harness.send({ RequestType: 'Create', ResourceProperties: r.props() });
        expect(failed.Status).toBe('FAILED');
        expect(failed.Reason).toContain('[migration 2_people.sql, line 3, SQLSTATE 23505]');
        expect(failed.Reason).toMatch(
          /detail: PostgreSQL's detail \(row data\) is not shown here: it is in the log stream \d{4}\/\d{2}\/\d{2}\/\[\$LATEST\][0-9a-f]{32} of /,
        );
        expect(r.harness.rawResponses.join('\n')).not.toContain('ann@example.com');
        expect(r.handlerLines.join('\n')).toContain('Key (email)=(ann@example.com) is duplicated.');
      } finally {
        await r.harness.stop();
      }
    });
  });

  describe('response size in bytes', () => {
    it('a failure whose message, detail and hint are CJK and emoji fits in 4096 bytes of valid UTF-8, naming the file, line and SQLSTATE', async () => {
      // 3 bytes a CJK character, 4 an emoji (a surrogate pair in JavaScript): cut by characters, this made 4,632 bytes.
      const raise =
        "CREATE TABLE before_it (id int);\nDO $$ BEGIN RAISE EXCEPTION '在庫の確認に失敗しました: %', repeat('漢字', 3000) USING ERRCODE = '23514', DETAIL = repeat('東京😀', 1000), HINT = repeat('🙂ヒント', 1000); END $$;\n";
      const r = await rig(target, 'cfn_cjk', { '1_purchases.sql': M1, '2_cjk.sql': raise });
      try {
        const failed = await r.harness.send({ RequestType: 'Create', ResourceProperties: r.props() });
        expect(failed.Status).toBe('FAILED');
        const body = r.harness.rawResponses.at(-1)!;
        expect(Buffer.byteLength(body)).toBeLessThanOrEqual(RESPONSE_LIMIT_BYTES);
        // Valid UTF-8 with no lone surrogate: it survives a strict decode of its bytes unchanged.
        expect(new TextDecoder('utf-8', { fatal: true }).decode(Buffer.from(body, 'utf8'))).toBe(body);
        expect(body).not.toMatch(/\\ud[89a-f][0-9a-f]{2}/i);
        expect(failed.Reason).toContain('[migration 2_cjk.sql, line 2, SQLSTATE 23514]');
        expect(failed.Reason).toContain('在庫の確認に失敗しました');
        expect(failed.Reason).toMatch(/…\[cut \d+ bytes\]/);
        expect(failed.Reason).toContain(DB_LOG_GROUP);
        expect((await state(r.url)).map((s) => s.version)).toEqual(['1']);
      } finally {
        await r.harness.stop();
      }
    });
  });

  describe('duplicate delivery', () => {
    it('the same Create delivered twice applies each migration once and answers the same', async () => {
      const r = await rig(target, 'cfn_duplicate', { '1_purchases.sql': M1, '2_sessions.sql': M2 });
      try {
        const requestId = 'dup-0000-1111';
        const first = await r.harness.send({ RequestType: 'Create', RequestId: requestId, ResourceProperties: r.props() });
        const second = await r.harness.send({ RequestType: 'Create', RequestId: requestId, ResourceProperties: r.props() });
        expect(first.Status, first.Reason).toBe('SUCCESS');
        expect(second.Status, second.Reason).toBe('SUCCESS');
        expect(second.PhysicalResourceId).toBe(first.PhysicalResourceId);
        expect(second.Data).toEqual(first.Data);
        expect((await state(r.url)).map((s) => s.version)).toEqual(['1', '2']);
        expectNoSecret(r);
      } finally {
        await r.harness.stop();
      }
    });

    it('two concurrent deliveries of one event: the lock serialises them and each migration is applied once', async () => {
      const r = await rig(target, 'cfn_concurrent', { '1_slow.sql': 'CREATE TABLE slow (id int);\nSELECT pg_sleep(0.5);\n', '2_sessions.sql': M2 });
      try {
        const event = {
          RequestType: 'Create' as const,
          StackId: 'arn:aws:cloudformation:eu-west-1:111111111111:stack/SchemaguardTest/x',
          RequestId: 'same-request',
          LogicalResourceId: 'SchemaMigrationsResource',
          ResourceType: 'Custom::SchemaMigrations',
          ResourceProperties: r.props(),
        };
        const ctx = { getRemainingTimeInMillis: () => 60_000 };
        const [a, b] = await Promise.all([r.handlers.onEvent(event, ctx), r.handlers.onEvent(event, ctx)]);
        expect(a.PhysicalResourceId).toBe(b.PhysicalResourceId);
        const done = await r.handlers.isComplete({ ...event, PhysicalResourceId: a.PhysicalResourceId }, ctx);
        expect(done).toMatchObject({ IsComplete: true, Data: { [ATTR.appliedVersions]: '1,2', [ATTR.appliedCount]: '2' } });
        expect((await state(r.url)).map((s) => s.version)).toEqual(['1', '2']);
        expect(r.handlerLines.some((l) => JSON.parse(l).message === 'plan' && JSON.parse(l).pending === 0)).toBe(true);
        expectNoSecret(r);
      } finally {
        await r.harness.stop();
      }
    });
  });

  describe('another runner holds the lock', () => {
    /** A session of another runner holding the migration lock until `release()`. */
    async function holdLock(url: string): Promise<{ pid: number; release: () => Promise<void> }> {
      const c = new pg.Client({ connectionString: url, application_name: 'other-runner' });
      await c.connect();
      await c.query('SELECT pg_advisory_lock($1::bigint)', [advisoryLockKey('schemaguard')]);
      const pid = (await c.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;
      return { pid, release: () => c.end() };
    }

    it('each invocation answers not complete, having applied nothing, while it is held; SUCCESS once it is released', async () => {
      // Each invocation waits 300 ms for the lock; the harness calls isComplete again at once (no query interval).
      const r = await rig(target, 'cfn_lock_busy', { '1_purchases.sql': M1, '2_sessions.sql': M2 }, undefined, {
        [ENV.lockWaitMs]: '300',
        [ENV.totalTimeoutMs]: '60000',
      });
      const holder = await holdLock(r.url);
      try {
        const sending = r.harness.send({ RequestType: 'Create', ResourceProperties: r.props() });
        const busyLines = () =>
          r.handlerLines
            .map((l) => JSON.parse(l) as { phase: string; message: string; holders?: number[]; response?: { IsComplete?: boolean } })
            .filter((l) => l.message === 'another runner holds the migration lock; nothing was applied; isComplete tries again');
        // Three invocations found it held (not a fixed time: on a loaded machine an invocation takes longer than its 300 ms wait).
        for (let k = 0; k < 300 && busyLines().length < 3; k++) await new Promise((done) => setTimeout(done, 100));
        expect(await state(r.url)).toEqual([]);
        await holder.release();
        const created = await sending;

        expect(created.Status, created.Reason).toBe('SUCCESS');
        expect(created.Data).toMatchObject({ [ATTR.appliedVersions]: '1,2', [ATTR.appliedThisRun]: '2' });
        expect((await state(r.url)).map((s) => s.version)).toEqual(['1', '2']);
        const logged = r.handlerLines.map((l) => JSON.parse(l) as { phase: string; message: string; holders?: number[]; response?: { IsComplete?: boolean } });
        const busy = busyLines();
        expect(busy.length).toBeGreaterThanOrEqual(3);
        expect(busy[0]).toMatchObject({ phase: 'onEvent', holders: [holder.pid] });
        const answers = logged.filter((l) => l.phase === 'isComplete' && l.message === 'response').map((l) => l.response!.IsComplete);
        expect(answers.slice(0, -1).every((a) => a === false)).toBe(true);
        expect(answers.at(-1)).toBe(true);
        expect(r.harness.invocations.every((i) => i.error === undefined)).toBe(true);
        expect(r.everything().join('\n')).not.toContain('--lock-wait');
        expectNoSecret(r);
      } finally {
        await holder.release().catch(() => undefined);
        await r.harness.stop();
      }
    });

    it('held past what the total timeout leaves: FAILED naming the holder and totalTimeout, not a CLI flag; nothing applied', async () => {
      const r = await rig(target, 'cfn_lock_total', { '1_purchases.sql': M1 }, undefined, { [ENV.lockWaitMs]: '300', [ENV.totalTimeoutMs]: '1500' });
      const holder = await holdLock(r.url);
      try {
        const failed = await r.harness.send({ RequestType: 'Create', ResourceProperties: r.props() });
        expect(failed.Status).toBe('FAILED');
        expect(failed.Reason).toContain(
          `LockWaitTimeoutError: another migration runner holds the lock: pid ${holder.pid} (other-runner); this request tried for`,
        );
        expect(failed.Reason).toMatch(/of its 2 s \(SchemaMigrations totalTimeout\) and applied nothing/);
        expect(failed.Reason).toContain('raise the SchemaMigrations totalTimeout');
        expect(failed.Reason).not.toContain('--lock-wait');
        expectFits(failed);
        expect(await state(r.url)).toEqual([]);
        expect(await tables(r.url)).toEqual([]);
      } finally {
        await holder.release();
        await r.harness.stop();
      }
    });
  });

  describe('the connection lost while a migration runs (a failover, a reboot, a session ended)', () => {
    const SLOW = "CREATE TABLE slow_one (id int);\nSELECT 'marker_cfn_lost' AS m, pg_sleep(3);\n";

    it('a transactional migration: rolled back, isComplete tries again and applies it once; SUCCESS', async () => {
      // Regression (handler helper): a lost connection failed the deploy (and rolled the stack back) though the fix said "run again".
      const r = await rig(target, 'cfn_conn_lost', { '1_purchases.sql': M1, '2_slow.sql': SLOW }, undefined, { [ENV.totalTimeoutMs]: '60000' });
      try {
        const killer = killAtMarker(r.url, 'marker_cfn_lost', 20_000, { inSleep: true });
        const sending = r.harness.send({ RequestType: 'Create', ResourceProperties: r.props() });
        expect((await killer).length).toBe(1);
        const created = await sending;

        expect(created.Status, created.Reason).toBe('SUCCESS');
        expect((await state(r.url)).map((x) => x.version)).toEqual(['1', '2']);
        expect(await tables(r.url)).toEqual(['lead_purchases', 'slow_one']);
        const logged = r.handlerLines.map((l) => JSON.parse(l) as { message: string; file?: string });
        expect(logged.filter((l) => l.message.startsWith('the connection was lost while a migration ran')).map((l) => l.file)).toEqual(['2_slow.sql']);
        expectNoSecret(r);
      } finally {
        await r.harness.stop();
      }
    });

    it("the runner lock's own connection lost: the migration in flight rolls back at once, isComplete goes on and applies both once; SUCCESS", async () => {
      const slow = "CREATE TABLE slow_one (id int);\nSELECT 'marker_cfn_lock' AS m, pg_sleep(1.5);\n";
      const r = await rig(target, 'cfn_lock_lost', { '1_slow.sql': slow, '2_sessions.sql': M2 }, undefined, { [ENV.totalTimeoutMs]: '60000' });
      try {
        const sending = r.harness.send({ RequestType: 'Create', ResourceProperties: r.props() });
        await waitForMarker(r.url, 'marker_cfn_lock', 20_000, { inSleep: true });
        const holder = await lockHolderPid(r.url);
        await rows(r.url, 'SELECT pg_terminate_backend($1)', [holder]);
        const created = await sending;

        expect(created.Status, created.Reason).toBe('SUCCESS');
        expect((await state(r.url)).map((x) => x.version)).toEqual(['1', '2']);
        const logged = r.handlerLines.map((l) => JSON.parse(l) as { message: string; error?: string });
        expect(logged.filter((l) => l.message.startsWith('the connection was lost while a migration ran')).map((l) => l.error)).toEqual([
          "lost the runner lock while 1_slow.sql ran: its connection closed; this runner dropped the migration's connection at once, so 1_slow.sql rolled back and is not recorded; no further migration starts",
        ]);
      } finally {
        await r.harness.stop();
      }
    });

    it('an error that only says "connection lost" (a RAISE) is no lost connection: FAILED at once, not retried', async () => {
      const raise = "DO $$ BEGIN RAISE EXCEPTION 'upstream: connection lost: try later'; END $$;\n";
      const r = await rig(target, 'cfn_conn_raise', { '1_raise.sql': raise }, undefined, { [ENV.totalTimeoutMs]: '60000' });
      try {
        const failed = await r.harness.send({ RequestType: 'Create', ResourceProperties: r.props() });
        expect(failed.Status).toBe('FAILED');
        expect(failed.Reason).toContain('upstream: connection lost: try later');
        expect(r.harness.invocations.map((i) => i.fn)).toEqual(['onEvent']);
      } finally {
        await r.harness.stop();
      }
    });

    it('a no-transaction file: FAILED (its statements before the cut stay; running it again is not known to be safe)', async () => {
      const noTx = `-- schemaguard:no-transaction\n${SLOW}`;
      const r = await rig(target, 'cfn_conn_lost_notx', { '1_slow.sql': noTx }, undefined, { [ENV.totalTimeoutMs]: '60000' });
      try {
        const killer = killAtMarker(r.url, 'marker_cfn_lost', 20_000, { inSleep: true });
        const failed = await r.harness.send({ RequestType: 'Create', ResourceProperties: r.props() });
        expect((await killer).length).toBe(1);
        expect(failed.Status).toBe('FAILED');
        expect(failed.Reason).toContain('connection lost');
        expect(await state(r.url)).toEqual([]);
      } finally {
        await r.harness.stop();
      }
    });
  });

  describe('work that does not fit in one invocation', () => {
    it('onEvent stops before its time runs out and isComplete continues', async () => {
      // Reserve 1000 ms; onEvent starts with 4000 ms: migration 1 starts (the handler's setup took over 500 ms on a
      // loaded machine, so it is given 3000), and its ten 300 ms statements use that up: 2 does not start.
      const slow = `CREATE TABLE step_one (id int);\n${'SELECT pg_sleep(0.3);\n'.repeat(10)}`;
      const r = await rig(target, 'cfn_continue', { '1_slow.sql': slow, '2_sessions.sql': M2, '3_channel.sql': M3 }, (fn) =>
        fn === 'onEvent' ? 4000 : 60_000,
      );
      try {
        const created = await r.harness.send({ RequestType: 'Create', ResourceProperties: r.props() });
        expect(created.Status, created.Reason).toBe('SUCCESS');
        expect(created.Data).toMatchObject({
          [ATTR.outcome]: OUTCOME.applied,
          [ATTR.appliedVersions]: '1,2,3',
          [ATTR.appliedThisRun]: '3',
          [ATTR.currentVersion]: '3',
        });
        const finished = r.handlerLines
          .map((l) => JSON.parse(l) as { phase: string; message: string; outcome?: string; applied?: string[] })
          .filter((l) => l.message === 'run finished');
        expect(finished.map((l) => [l.phase, l.outcome, l.applied])).toEqual([
          ['onEvent', 'partial', ['1_slow.sql']],
          ['isComplete', 'applied', ['2_sessions.sql', '3_channel.sql']],
        ]);
        expect(r.harness.invocations.map((i) => i.fn)).toEqual(['onEvent', 'isComplete']);
      } finally {
        await r.harness.stop();
      }
    });

    it('a migration started late and cut by the deadline is rolled back and applied by the next isComplete, each migration once', async () => {
      // Each invocation has 5 s, reserve 1 s. 1 takes 3 s; 2 takes 2.5 s: it starts at about 3 s with a statement timeout
      // of about 1.5 s (the deadline less half the reserve), is cut, and fits in a fresh invocation.
      const late = (k: number, s: number) => `CREATE TABLE step_${k} (id int);\nSELECT pg_sleep(${s});\n`;
      const r = await rig(target, 'cfn_late_start', { '1_first.sql': late(1, 3), '2_second.sql': late(2, 2.5) }, () => 5000);
      try {
        const created = await r.harness.send({ RequestType: 'Create', ResourceProperties: r.props() });
        expect(created.Status, created.Reason).toBe('SUCCESS');
        expect(created.Data).toMatchObject({ [ATTR.appliedVersions]: '1,2', [ATTR.appliedThisRun]: '2', [ATTR.currentVersion]: '2' });
        const logged = r.handlerLines.map(
          (l) => JSON.parse(l) as { phase: string; message: string; outcome?: string; applied?: string[]; remaining?: number[] },
        );
        expect(logged.filter((l) => l.message === 'run finished').map((l) => [l.phase, l.outcome, l.applied, l.remaining])).toEqual([
          ['onEvent', 'partial', ['1_first.sql'], [2]],
          ['isComplete', 'applied', ['2_second.sql'], []],
        ]);
        expect(
          logged.some((l) => l.phase === 'onEvent' && /^2_second\.sql: cut by the deadline after \d+ ms and rolled back; it is still pending$/.test(l.message)),
        ).toBe(true);
        expect((await state(r.url)).map((s) => s.version)).toEqual(['1', '2']);
        expect(await tables(r.url)).toEqual(['step_1', 'step_2']);
        expect(r.harness.invocations.map((i) => [i.fn, i.error])).toEqual([
          ['onEvent', undefined],
          ['isComplete', undefined],
        ]);
      } finally {
        await r.harness.stop();
      }
    });

    it('a migration cut by the deadline although it had the whole invocation fails, naming handlerTimeout, not the directive', async () => {
      // 4 s invocations, reserve 1 s: the file's own 10 min is capped at about 3.5 s, and no invocation gives it more.
      const slow = '-- schemaguard:statement-timeout=10m\nCREATE TABLE never (id int);\nSELECT pg_sleep(6);\n';
      const r = await rig(target, 'cfn_cut_first', { '1_purchases.sql': M1, '2_slow.sql': slow }, () => 4000);
      try {
        const failed = await r.harness.send({ RequestType: 'Create', ResourceProperties: r.props() });
        expect(failed.Status).toBe('FAILED');
        expect(failed.Reason).toContain('migration 2_slow.sql, line 3, SQLSTATE 57014');
        expect(failed.Reason).toMatch(/the statement timeout was the \d+ ms left before the deadline, not the file's/);
        expect(failed.Reason).toMatch(
          /fix: the migration was rolled back; raise the SchemaMigrations handlerTimeout \(this invocation had \d+ s; at most 15 minutes\), or split the migration/,
        );
        expect(failed.Reason).not.toMatch(/raise it for this file/);
        expectFits(failed);
        // 2 was started in onEvent after 1, but within the reserve of the run's start: not worth another invocation.
        expect((await state(r.url)).map((s) => s.version)).toEqual(['1']);
        expect(await tables(r.url)).toEqual(['lead_purchases']);
      } finally {
        await r.harness.stop();
      }
    });

    it('a no-transaction file cut by the deadline fails (its earlier statements stay committed) even when started late', async () => {
      const first = 'CREATE TABLE step_1 (id int);\nSELECT pg_sleep(2.5);\n';
      const concurrent = '-- schemaguard:no-transaction\nCREATE TABLE IF NOT EXISTS step_2 (id int);\nSELECT pg_sleep(3);\n';
      const r = await rig(target, 'cfn_cut_notx', { '1_first.sql': first, '2_outside.sql': concurrent }, () => 5000);
      try {
        const failed = await r.harness.send({ RequestType: 'Create', ResourceProperties: r.props() });
        expect(failed.Status).toBe('FAILED');
        expect(failed.Reason).toContain('migration 2_outside.sql, line 3, SQLSTATE 57014');
        expect(failed.Reason).toContain(
          'fix: the statements of this no-transaction file before it stay applied and it is not recorded, so it is not retried by itself',
        );
        expect(failed.Reason).toContain('raise the SchemaMigrations handlerTimeout');
        expect((await state(r.url)).map((s) => s.version)).toEqual(['1']);
        expect(await tables(r.url)).toEqual(['step_1', 'step_2']);
      } finally {
        await r.harness.stop();
      }
    });

    it('isComplete that never finishes within the total timeout ends in FAILED from the framework', async () => {
      const slow = 'CREATE TABLE step_one (id int);\nSELECT pg_sleep(0.3);\nSELECT pg_sleep(0.3);\n';
      // Every invocation has too little time to start anything.
      const r = await rig(target, 'cfn_timeout', { '1_slow.sql': slow }, () => 500);
      const harness = new ProviderHarness({
        onEvent: r.handlers.onEvent as never,
        isComplete: r.handlers.isComplete as never,
        remainingTimeMs: () => 500,
        maxIsCompleteAttempts: 3,
      });
      await r.harness.stop();
      await harness.start();
      try {
        const created = await harness.send({ RequestType: 'Create', ResourceProperties: r.props() });
        expect(created.Status).toBe('FAILED');
        expect(created.Reason).toBe('Operation timed out');
        expect(await tables(r.url)).toEqual([]);
      } finally {
        await harness.stop();
      }
    });
  });
});
