/**
 * A stack's whole life, as CloudFormation sends it to the custom resource,
 * through the real Provider framework runtime against real PostgreSQL: the
 * first deploy, a new migration, a replaced database (a new, empty one behind
 * the same secret, with another identity in the properties: migrated in that
 * request), delete; and the Updates of a rollback that meet an unreachable
 * database, a contract broken by hand, or drift with failOnDrift: each
 * succeeds and reports (response, log, metric), while the same failure in a
 * forward deploy still fails it. Secrets Manager and CloudFormation's
 * DescribeStacks are the AWS services stood in for.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { GetSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import type { DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { afterAll, describe, expect, it } from 'vitest';
import { takeSnapshot } from '../../../lambda/checks/drift/drift';
import { loadMigrations } from '../../../lambda/engine/files/source';
import { ATTR, ENV, OUTCOME, PROP, RESPONSE_LIMIT_BYTES, ROLLBACK_METRIC, VERIFY_ATTR } from '../../../lambda/handler/constants';
import { summariseFiles } from '../../../lambda/handler/files-hash';
import { createHandlers } from '../../../lambda/handler/handler';
import { dropDatabases, freshDatabase, rows, targets, withClient } from '../../support/db';
import { tempDir } from '../../support/files';
import { ProviderHarness, STACK_ID, type CfnResponse } from '../../support/provider-framework';
import type { Target } from '../../support/targets';

afterAll(dropDatabases);

const SECRET_ARN = 'arn:aws:secretsmanager:eu-west-1:111111111111:secret:schemaguard-life-AbCdEf';
const FUNCTION_NAME = 'SchemaguardLife-SchemaMigrationsOnEvent-AbCdEf123456';
const M1 = 'CREATE TABLE lead_purchases (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), lead_id uuid NOT NULL, price numeric);\n';
const M2 = 'CREATE TABLE web_sessions (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, lead_id uuid);\n';
const M3 = 'ALTER TABLE web_sessions ADD COLUMN channel text;\n';
const CONTRACT = '-- A travel agent buys a lead.\nINSERT INTO lead_purchases (lead_id, price) VALUES ($1, $2) RETURNING id;\n';

interface Rig {
  harness: ProviderHarness;
  dir: string;
  /** The database the secret names now. */
  url: string;
  lines: string[];
  /** The stack status DescribeStacks answers, and how often it was asked. */
  stack: { status: string; asked: number; fails?: boolean };
  /** A new, empty database behind the same secret (what a replaced instance is), with another identity. */
  replaceDatabase(): Promise<string>;
  /** The secret names a port nothing listens on. */
  unreachable(): void;
  props(): Record<string, unknown>;
}

async function rig(target: Target, label: string, files: Record<string, string>, env: Record<string, string> = {}): Promise<Rig> {
  let url = await freshDatabase(target, label);
  let port = target.port;
  let identity = 'db-AAAA1111';
  const dir = tempDir(files);
  const stack = { status: 'UPDATE_IN_PROGRESS', asked: 0, fails: false };
  const secrets = {
    send: async (command: GetSecretValueCommand) => {
      expect(command.input.SecretId).toBe(SECRET_ARN);
      return {
        SecretString: JSON.stringify({ username: 'postgres', password: target.password, host: '127.0.0.1', port, dbname: new URL(url).pathname.slice(1) }),
      };
    },
  };
  const stacks = {
    send: async (command: DescribeStacksCommand) => {
      stack.asked++;
      expect(command.input.StackName).toBe(STACK_ID);
      if (stack.fails) throw Object.assign(new Error('connect ETIMEDOUT'), { name: 'TimeoutError' });
      return { Stacks: [{ StackStatus: stack.status }] };
    },
  };
  const lines: string[] = [];
  const handlers = createHandlers({
    secrets,
    stacks,
    write: (line) => lines.push(line),
    env: {
      [ENV.secretArn]: SECRET_ARN,
      [ENV.migrationsDir]: join(dir, 'migrations'),
      [ENV.contractsDir]: join(dir, 'contracts'),
      [ENV.snapshotFile]: '',
      [ENV.tls]: 'disable',
      [ENV.reserveMs]: '1000',
      [ENV.connectAttempts]: '2',
      AWS_LAMBDA_FUNCTION_NAME: FUNCTION_NAME,
      ...env,
    },
  });
  const harness = new ProviderHarness({ onEvent: handlers.onEvent as never, isComplete: handlers.isComplete as never });
  await harness.start();
  return {
    harness,
    dir,
    lines,
    stack,
    get url() {
      return url;
    },
    replaceDatabase: async () => {
      url = await freshDatabase(target, `${label}_new`);
      identity = 'db-BBBB2222';
      return url;
    },
    unreachable: () => {
      port = 1;
    },
    props: () => {
      const s = summariseFiles(join(dir, 'migrations'), join(dir, 'contracts'));
      return {
        [PROP.filesHash]: s.hash,
        [PROP.latestVersion]: String(s.latestVersion),
        [PROP.migrationCount]: String(s.migrationCount),
        [PROP.databaseIdentity]: identity,
        [PROP.databaseName]: 'app',
      };
    },
  };
}

async function versions(url: string): Promise<string[]> {
  const [{ t }] = await rows<{ t: string | null }>(url, "SELECT to_regclass('schemaguard.applied_migrations')::text AS t");
  if (t === null) return [];
  return (await rows<{ version: string }>(url, 'SELECT version FROM schemaguard.applied_migrations ORDER BY version')).map((r) => r.version);
}

/** The handler's log records at `level`. */
function records(r: Rig, level: string): { message: string; problem?: string }[] {
  return r.lines
    .filter((l) => l.startsWith('{"level"'))
    .map((l) => JSON.parse(l) as { level: string; message: string; problem?: string })
    .filter((x) => x.level === level);
}

/** The RollbackProblems metric lines (embedded metric format). */
function metricLines(r: Rig): Record<string, unknown>[] {
  return r.lines
    .filter((l) => l.includes(ROLLBACK_METRIC.name))
    .map((l) => JSON.parse(l) as Record<string, unknown>)
    .filter((x) => '_aws' in x);
}

function expectFits(response: CfnResponse): void {
  expect(Buffer.byteLength(JSON.stringify(response))).toBeLessThan(RESPONSE_LIMIT_BYTES);
}

/** A rollback's Update: the older properties (`to`) sent back after `from`. */
function rollbackOf(created: CfnResponse, to: Record<string, unknown>, from: Record<string, unknown>) {
  return { RequestType: 'Update' as const, PhysicalResourceId: created.PhysicalResourceId, ResourceProperties: to, OldResourceProperties: from };
}

/** What every reported rollback answers: SUCCESS, the problem in the response, an error record, one metric line. */
function expectReported(r: Rig, answer: CfnResponse, problem: RegExp): void {
  expect(answer.Status, answer.Reason).toBe('SUCCESS');
  expect(answer.Data![ATTR.outcome]).toBe(OUTCOME.rollbackProblem);
  expect(answer.Data![ATTR.rollbackProblem]).toMatch(problem);
  expectFits(answer);
  expect(
    records(r, 'error')
      .filter((x) => x.message.startsWith('the stack is rolling back'))
      .map((x) => x.problem),
  ).toEqual([expect.stringMatching(problem)]);
  expect(metricLines(r)).toEqual([expect.objectContaining({ [ROLLBACK_METRIC.dimension]: FUNCTION_NAME, [ROLLBACK_METRIC.name]: 1 })]);
}

describe.each(targets)('$name', (target) => {
  describe("Provider framework: a stack's life", () => {
    it('create, a new migration, the database replaced (the new, empty one migrated in that deploy), delete', async () => {
      // Prepare
      const r = await rig(target, 'life', { 'migrations/1_purchases.sql': M1, 'migrations/2_sessions.sql': M2 });
      try {
        // Act: the first deploy
        const created = await r.harness.send({ RequestType: 'Create', ResourceProperties: r.props() });
        expect(created.Status, created.Reason).toBe('SUCCESS');
        expect(created.Data).toMatchObject({ [ATTR.outcome]: OUTCOME.applied, [ATTR.appliedVersions]: '1,2', [ATTR.rollbackProblem]: '' });

        // Act: a deploy that adds a migration
        const before = r.props();
        writeFileSync(join(r.dir, 'migrations', '3_channel.sql'), M3);
        const added = await r.harness.send({
          RequestType: 'Update',
          PhysicalResourceId: created.PhysicalResourceId,
          ResourceProperties: r.props(),
          OldResourceProperties: before,
        });
        expect(added.Status, added.Reason).toBe('SUCCESS');
        expect(added.Data).toMatchObject({ [ATTR.outcome]: OUTCOME.applied, [ATTR.appliedVersions]: '3', [ATTR.currentVersion]: '3' });
        const oldUrl = r.url;

        // Act: a deploy that replaces the database: same files, another identity, the secret on the new one
        const old = r.props();
        const newUrl = await r.replaceDatabase();
        expect(await versions(newUrl)).toEqual([]);
        const replaced = await r.harness.send({
          RequestType: 'Update',
          PhysicalResourceId: created.PhysicalResourceId,
          ResourceProperties: r.props(),
          OldResourceProperties: old,
        });

        // Assess: the new database has every migration, applied by this request; the old one is as it was
        expect(replaced.Status, replaced.Reason).toBe('SUCCESS');
        expect(replaced.PhysicalResourceId).toBe(created.PhysicalResourceId);
        expect(replaced.Data).toMatchObject({
          [ATTR.outcome]: OUTCOME.applied,
          [ATTR.appliedVersions]: '1,2,3',
          [ATTR.appliedThisRun]: '3',
          [ATTR.currentVersion]: '3',
        });
        expect(await versions(newUrl)).toEqual(['1', '2', '3']);
        expect(await versions(oldUrl)).toEqual(['1', '2', '3']);
        expect(records(r, 'info').map((x) => x.message)).toContain(
          'the database was replaced (its identity changed): the new one is migrated from its first pending migration',
        );

        // Act: delete
        const deleted = await r.harness.send({ RequestType: 'Delete', PhysicalResourceId: created.PhysicalResourceId, ResourceProperties: r.props() });
        expect(deleted.Status, deleted.Reason).toBe('SUCCESS');
        expect(await versions(newUrl)).toEqual(['1', '2', '3']);
        // Nothing failed, so CloudFormation was never asked about a rollback.
        expect(r.stack.asked).toBe(0);
        expect(metricLines(r)).toEqual([]);
      } finally {
        await r.harness.stop();
      }
    });
  });

  describe('Provider framework: a rollback never fails on a check', () => {
    it("the database unreachable: the rollback's Update succeeds and reports it; a forward Update still fails", async () => {
      const r = await rig(target, 'rb_unreachable', { 'migrations/1_purchases.sql': M1 });
      try {
        const created = await r.harness.send({ RequestType: 'Create', ResourceProperties: r.props() });
        expect(created.Status, created.Reason).toBe('SUCCESS');
        const good = r.props();
        r.unreachable();

        const forward = await r.harness.send({
          RequestType: 'Update',
          PhysicalResourceId: created.PhysicalResourceId,
          ResourceProperties: { ...good, [PROP.revision]: '1' },
          OldResourceProperties: good,
        });
        expect(forward.Status).toBe('FAILED');
        expect(forward.Reason).toMatch(/127\.0\.0\.1:1/);
        expect(metricLines(r)).toEqual([]);

        r.stack.status = 'UPDATE_ROLLBACK_IN_PROGRESS';
        const rollback = await r.harness.send(rollbackOf(created, good, { ...good, [PROP.revision]: '1' }));
        expectReported(r, rollback, /127\.0\.0\.1:1/);
        // Not reached: what it holds is not known.
        expect(rollback.Data).toMatchObject({
          [ATTR.currentVersion]: 'unknown',
          [ATTR.appliedCount]: 'unknown',
          [VERIFY_ATTR.contracts]: 'not verified (rollback problem)',
        });
        expect(r.stack.asked).toBe(2);
      } finally {
        await r.harness.stop();
      }
    });

    it("a contract broken by hand since the last deploy: the rollback's Update succeeds and reports it", async () => {
      const r = await rig(target, 'rb_contract', { 'migrations/1_purchases.sql': M1, 'contracts/lead_purchase_insert.sql': CONTRACT });
      try {
        const created = await r.harness.send({ RequestType: 'Create', ResourceProperties: r.props() });
        expect(created.Status, created.Reason).toBe('SUCCESS');
        expect(created.Data![VERIFY_ATTR.contracts]).toBe('1/1 passed');
        const good = r.props();
        await withClient(r.url, (c) => c.query('ALTER TABLE lead_purchases ALTER COLUMN id DROP DEFAULT'));
        const failed = { ...good, [PROP.revision]: '1' };

        const forward = await r.harness.send({
          RequestType: 'Update',
          PhysicalResourceId: created.PhysicalResourceId,
          ResourceProperties: failed,
          OldResourceProperties: good,
        });
        expect(forward.Status).toBe('FAILED');
        expect(forward.Reason).toContain('lead_purchase_insert.sql');

        r.stack.status = 'UPDATE_ROLLBACK_IN_PROGRESS';
        const rollback = await r.harness.send(rollbackOf(created, good, failed));
        expectReported(r, rollback, /lead_purchase_insert\.sql/);
        // The database was reached: its version is known.
        expect(rollback.Data).toMatchObject({ [ATTR.currentVersion]: '1', [ATTR.appliedCount]: '1' });
        expect(await versions(r.url)).toEqual(['1']);
      } finally {
        await r.harness.stop();
      }
    });

    it("drift with failOnDrift: the rollback's Update succeeds and reports it", async () => {
      const snapshotFile = join(tempDir({}), 'schema.snapshot.json');
      const r = await rig(target, 'rb_drift', { 'migrations/1_purchases.sql': M1 }, { [ENV.snapshotFile]: snapshotFile, [ENV.failOnDrift]: 'true' });
      try {
        const created = await r.harness.send({ RequestType: 'Create', ResourceProperties: r.props() });
        expect(created.Status, created.Reason).toBe('SUCCESS');
        // The snapshot of what the migrations made (`schemaguard snapshot`), then drift by hand.
        const snapshot = await withClient(r.url, (c) => takeSnapshot(c, loadMigrations(join(r.dir, 'migrations'))));
        writeFileSync(snapshotFile, JSON.stringify(snapshot));
        await withClient(r.url, (c) => c.query('ALTER TABLE lead_purchases ALTER COLUMN price SET DEFAULT 0'));
        const good = r.props();
        const failed = { ...good, [PROP.revision]: '1' };

        const forward = await r.harness.send({
          RequestType: 'Update',
          PhysicalResourceId: created.PhysicalResourceId,
          ResourceProperties: failed,
          OldResourceProperties: good,
        });
        expect(forward.Status).toBe('FAILED');
        expect(forward.Reason).toContain('column public.lead_purchases.price: default differs');

        r.stack.status = 'UPDATE_ROLLBACK_IN_PROGRESS';
        const rollback = await r.harness.send(rollbackOf(created, good, failed));
        expectReported(r, rollback, /column public\.lead_purchases\.price: default differs/);
      } finally {
        await r.harness.stop();
      }
    });

    it('when CloudFormation cannot be asked (no route to it), the failure stands, and the log says why', async () => {
      const r = await rig(target, 'rb_no_route', { 'migrations/1_purchases.sql': M1 });
      try {
        const created = await r.harness.send({ RequestType: 'Create', ResourceProperties: r.props() });
        expect(created.Status, created.Reason).toBe('SUCCESS');
        const good = r.props();
        r.unreachable();
        r.stack.fails = true;
        const rollback = await r.harness.send(rollbackOf(created, good, { ...good, [PROP.revision]: '1' }));
        expect(rollback.Status).toBe('FAILED');
        expect(records(r, 'warn').map((x) => x.message)).toContain('could not ask CloudFormation whether the stack is rolling back, so the failure stands');
        expect(metricLines(r)).toEqual([]);
      } finally {
        await r.harness.stop();
      }
    });
  });
});
