/**
 * Contracts and drift at deploy time, through the real Provider framework
 * runtime against real PostgreSQL: a failed contract fails the deploy (and the
 * rollback that follows succeeds); drift is reported, and fails the deploy
 * when configured to. Secrets Manager is stood in for, as in
 * provider-lifecycle.int.test.ts.
 */
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { GetSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { afterAll, describe, expect, it } from 'vitest';
import { takeSnapshot } from '../../../lambda/checks/drift/drift';
import { loadMigrations } from '../../../lambda/engine/files/source';
import { ATTR, VERIFY_ATTR, ENV, OUTCOME, PROP, RESPONSE_LIMIT_BYTES } from '../../../lambda/handler/constants';
import { CONTRACT_AFTER_MIGRATING } from '../../../lambda/handler/failure';
import { summariseFiles } from '../../../lambda/handler/files-hash';
import { createHandlers } from '../../../lambda/handler/handler';
import { driverKinds } from '../../support/drivers';
import { runEngine } from '../../support/engine';
import { dropDatabases, freshDatabase, rows, targets, withClient } from '../../support/db';
import { tempDir } from '../../support/files';
import { ProviderHarness, type CfnResponse } from '../../support/provider-framework';
import type { Target } from '../../support/targets';

afterAll(dropDatabases);

const SECRET_ARN = 'arn:aws:secretsmanager:eu-west-1:111111111111:secret:schemaguard-verify-AbCdEf';

const M1 = 'CREATE TABLE lead_purchases (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), lead_id uuid NOT NULL, price numeric);\n';
const M2 =
  'CREATE TABLE student_course_purchases (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), student_id uuid NOT NULL, course_id uuid NOT NULL, is_active boolean NOT NULL DEFAULT true);\nCREATE UNIQUE INDEX unique_active_purchase ON student_course_purchases (student_id, course_id) WHERE is_active = true;\n';
/** A migration that breaks the lead purchase contract: the id loses its default. */
const BREAKS_CONTRACT = 'ALTER TABLE lead_purchases ALTER COLUMN id DROP DEFAULT;\n';
const CONTRACTS = {
  'lead_purchase_insert.sql': '-- A travel agent buys a lead.\nINSERT INTO lead_purchases (lead_id, price) VALUES ($1, $2) RETURNING id;\n',
  'purchase_upsert.sql':
    'INSERT INTO student_course_purchases (student_id, course_id) VALUES ($1, $2)\nON CONFLICT (student_id, course_id) WHERE is_active = true DO NOTHING;\n',
};

interface Rig {
  harness: ProviderHarness;
  dir: string;
  url: string;
  /** What the handler logged, one JSON line each. */
  lines: string[];
  props(): Record<string, unknown>;
}

async function rig(target: Target, label: string, env: Record<string, string> = {}, remainingTimeMs?: () => number): Promise<Rig> {
  const url = await freshDatabase(target, label);
  const u = new URL(url);
  const dir = tempDir({
    'migrations/1_purchases.sql': M1,
    'migrations/2_courses.sql': M2,
    ...Object.fromEntries(Object.entries(CONTRACTS).map(([name, text]) => [`contracts/${name}`, text])),
  });
  const secrets = {
    send: async (command: GetSecretValueCommand) => {
      expect(command.input.SecretId).toBe(SECRET_ARN);
      return {
        SecretString: JSON.stringify({ username: 'postgres', password: target.password, host: '127.0.0.1', port: target.port, dbname: u.pathname.slice(1) }),
      };
    },
  };
  const lines: string[] = [];
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
      ...env,
    },
    write: (line) => lines.push(line),
  });
  const harness = new ProviderHarness({ onEvent: handlers.onEvent as never, isComplete: handlers.isComplete as never, remainingTimeMs });
  await harness.start();
  return {
    harness,
    dir,
    url,
    lines,
    props: () => {
      const s = summariseFiles(join(dir, 'migrations'), join(dir, 'contracts'));
      return { [PROP.filesHash]: s.hash, [PROP.latestVersion]: String(s.latestVersion), [PROP.migrationCount]: String(s.migrationCount) };
    },
  };
}

function expectFits(response: CfnResponse): void {
  expect(Buffer.byteLength(JSON.stringify(response))).toBeLessThan(RESPONSE_LIMIT_BYTES);
}

async function versions(url: string): Promise<string[]> {
  return (await rows<{ version: string }>(url, 'SELECT version FROM schemaguard.applied_migrations ORDER BY version')).map((r) => r.version);
}

describe.each(targets)('custom resource: contracts and drift on $name', (target) => {
  it('a Create whose contracts hold succeeds and reports them', async () => {
    const r = await rig(target, 'cfn_contracts_ok');
    try {
      const created = await r.harness.send({ RequestType: 'Create', ResourceProperties: r.props() });
      expect(created.Status, created.Reason).toBe('SUCCESS');
      expect(created.Data).toMatchObject({
        [ATTR.outcome]: OUTCOME.applied,
        [VERIFY_ATTR.contracts]: '2/2 passed',
        [VERIFY_ATTR.drift]: 'not checked (no snapshot)',
      });
      expectFits(created);
    } finally {
      await r.harness.stop();
    }
  });

  it('an Update whose migration breaks a contract is FAILED naming the contract, the statement and the reason; the rollback Update succeeds', async () => {
    const r = await rig(target, 'cfn_contract_fails');
    try {
      const created = await r.harness.send({ RequestType: 'Create', ResourceProperties: r.props() });
      expect(created.Status, created.Reason).toBe('SUCCESS');
      const good = r.props();

      // Act: deploy a migration that drops the default the application's INSERT relies on
      writeFileSync(join(r.dir, 'migrations', '3_drop_default.sql'), BREAKS_CONTRACT);
      const bad = r.props();
      const failed = await r.harness.send({
        RequestType: 'Update',
        PhysicalResourceId: created.PhysicalResourceId,
        ResourceProperties: bad,
        OldResourceProperties: good,
      });

      // Assess: FAILED (CloudFormation rolls the stack back before the new application code runs)
      expect(failed.Status).toBe('FAILED');
      expect(failed.Reason).toContain(
        'contract lead_purchase_insert.sql:2 (lead_purchase_insert) failed: lead_purchases.id is NOT NULL, has no DEFAULT, and the statement does not set it',
      );
      expect(failed.Reason).toContain('[contract lead_purchase_insert.sql, line 2, SQLSTATE 23502]');
      // Regression (handler helper): nothing said 3_drop_default.sql stays applied; "fixing" it by an edit is then a changed checksum.
      expect(failed.Reason).toContain(CONTRACT_AFTER_MIGRATING);
      expectFits(failed);

      // Act: the rollback Update: the old properties and the old code (without 3_drop_default.sql); the database is ahead
      rmSync(join(r.dir, 'migrations', '3_drop_default.sql'));
      const rollback = await r.harness.send({
        RequestType: 'Update',
        PhysicalResourceId: created.PhysicalResourceId,
        ResourceProperties: good,
        OldResourceProperties: bad,
      });
      expect(rollback.Status, rollback.Reason).toBe('SUCCESS');
      expect(rollback.Data).toMatchObject({ [ATTR.outcome]: OUTCOME.databaseAhead, [VERIFY_ATTR.contracts]: 'skipped (rollback)' });
      expect(await versions(r.url)).toEqual(['1', '2', '3']);
    } finally {
      await r.harness.stop();
    }
  });

  it('a Create whose upsert names no matching index is FAILED with the 42P10 reason', async () => {
    const r = await rig(target, 'cfn_contract_upsert');
    try {
      writeFileSync(
        join(r.dir, 'contracts', 'purchase_upsert.sql'),
        'INSERT INTO student_course_purchases (student_id, course_id) VALUES ($1, $2)\nON CONFLICT (student_id, course_id) DO NOTHING;\n',
      );
      const failed = await r.harness.send({ RequestType: 'Create', ResourceProperties: r.props() });
      expect(failed.Status).toBe('FAILED');
      expect(failed.Reason).toContain(
        'contract purchase_upsert.sql:1 (purchase_upsert) failed: ON CONFLICT (student_id, course_id) matches no unique index or constraint of student_course_purchases',
      );
    } finally {
      await r.harness.stop();
    }
  });

  describe('drift', () => {
    /** The snapshot of the rig's migrations, taken on a fresh database of its own. */
    async function snapshotOfMigrations(): Promise<string> {
      const dir = tempDir({ 'migrations/1_purchases.sql': M1, 'migrations/2_courses.sql': M2 });
      const url = await freshDatabase(target, 'cfn_snapshot');
      await runEngine(driverKinds[0]!, url, join(dir, 'migrations'));
      const snapshot = await withClient(url, (c) => takeSnapshot(c, loadMigrations(join(dir, 'migrations'))));
      const file = join(dir, 'schema.snapshot.json');
      writeFileSync(file, JSON.stringify(snapshot));
      return file;
    }

    it('is reported in the response, naming the column, without failing by default', async () => {
      const r = await rig(target, 'cfn_drift_report', { [ENV.snapshotFile]: await snapshotOfMigrations() });
      try {
        const created = await r.harness.send({ RequestType: 'Create', ResourceProperties: r.props() });
        expect(created.Status, created.Reason).toBe('SUCCESS');
        expect(created.Data![VERIFY_ATTR.drift]).toBe('none');
        await withClient(r.url, (c) => c.query('ALTER TABLE lead_purchases ALTER COLUMN price SET DEFAULT 0'));
        const again = await r.harness.send({
          RequestType: 'Update',
          PhysicalResourceId: created.PhysicalResourceId,
          ResourceProperties: r.props(),
          OldResourceProperties: r.props(),
        });
        expect(again.Status, again.Reason).toBe('SUCCESS');
        expect(again.Data![VERIFY_ATTR.drift]).toBe('1 difference: column public.lead_purchases.price: default differs: snapshot null vs live "0"');
        expectFits(again);
      } finally {
        await r.harness.stop();
      }
    });

    it('fails the deploy when SCHEMAGUARD_FAIL_ON_DRIFT=true, naming the column', async () => {
      const r = await rig(target, 'cfn_drift_fail', { [ENV.snapshotFile]: await snapshotOfMigrations(), [ENV.failOnDrift]: 'true' });
      try {
        const created = await r.harness.send({ RequestType: 'Create', ResourceProperties: r.props() });
        expect(created.Status, created.Reason).toBe('SUCCESS');
        await withClient(r.url, (c) => c.query('ALTER TABLE lead_purchases ALTER COLUMN price SET DEFAULT 0'));
        const failed = await r.harness.send({
          RequestType: 'Update',
          PhysicalResourceId: created.PhysicalResourceId,
          ResourceProperties: r.props(),
          OldResourceProperties: r.props(),
        });
        expect(failed.Status).toBe('FAILED');
        expect(failed.Reason).toContain('the live schema differs from what the migrations produce: column public.lead_purchases.price: default differs');
        expectFits(failed);
      } finally {
        await r.harness.stop();
      }
    });

    describe("behind another session's ACCESS EXCLUSIVE (a TRUNCATE, a maintenance job)", () => {
      /** A deploy of the rig, then `contracts/` removed (their check would wait for the same lock) and lead_purchases held by `holder` while `act` runs. */
      async function heldDuring<T>(r: Rig, act: (created: CfnResponse, pid: number, release: () => Promise<void>) => Promise<T>): Promise<T> {
        rmSync(join(r.dir, 'contracts'), { recursive: true });
        const created = await r.harness.send({ RequestType: 'Create', ResourceProperties: r.props() });
        expect(created.Status, created.Reason).toBe('SUCCESS');
        return withClient(
          r.url,
          async (holder) => {
            await holder.query('BEGIN');
            await holder.query('LOCK TABLE lead_purchases IN ACCESS EXCLUSIVE MODE');
            const pid = (await holder.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;
            let open = true;
            const release = async () => {
              if (open) {
                open = false;
                await holder.query('ROLLBACK');
              }
            };
            try {
              return await act(created, pid, release);
            } finally {
              await release();
            }
          },
          'nightly_truncate',
        );
      }
      const update = (r: Rig, created: CfnResponse) =>
        r.harness.send({
          RequestType: 'Update',
          PhysicalResourceId: created.PhysicalResourceId,
          ResourceProperties: r.props(),
          OldResourceProperties: r.props(),
        });
      const holderText = (pid: number) =>
        `a lock held \\(ACCESS EXCLUSIVE\\) by pid ${pid} \\(nightly_truncate, user \\w+, idle in transaction, in a transaction for \\d+ s\\) on public\\.lead_purchases`;

      // Regression: one catalog read that waited past its 1 s lock_timeout failed the deploy (CloudFormation rolled back) although drift only reports.
      it('held for longer than the invocation can wait: SUCCESS, Drift "not checked: <holder>" and a warning; the reads again end in time for the answer', async () => {
        const r = await rig(target, 'cfn_drift_locked', { [ENV.snapshotFile]: await snapshotOfMigrations() }, () => 7000);
        try {
          await heldDuring(r, async (created, pid) => {
            const again = await update(r, created);
            expect(again.Status, again.Reason).toBe('SUCCESS');
            // 7 s, less 2 s kept for the answer: a read (1 s lock wait), 1 s, a read, then 2 s and a third read would end past it.
            expect(again.Data![VERIFY_ATTR.drift]).toMatch(new RegExp(`^not checked: ${holderText(pid)} \\(2 tries in \\d s, each past lock_timeout 1 s\\)$`));
            expectFits(again);
          });
          const warnings = r.lines.map((l) => JSON.parse(l)).filter((l) => l.level === 'warn');
          expect(warnings.map((w) => w.message)).toContain('drift not checked: the live schema stayed locked (failOnDrift is off: the deploy goes on)');
        } finally {
          await r.harness.stop();
        }
      });

      it('with SCHEMAGUARD_FAIL_ON_DRIFT=true: FAILED, naming the holder and what to do', async () => {
        const r = await rig(target, 'cfn_drift_locked_fail', { [ENV.snapshotFile]: await snapshotOfMigrations(), [ENV.failOnDrift]: 'true' }, () => 7000);
        try {
          await heldDuring(r, async (created, pid) => {
            const failed = await update(r, created);
            expect(failed.Status).toBe('FAILED');
            expect(failed.Reason).toMatch(
              new RegExp(
                `the drift check could not read the live schema, and failOnDrift fails the deploy on a schema not checked: waiting on ${holderText(pid)} \\(2 tries in \\d s, each past lock_timeout 1 s, 55P03\\)`,
              ),
            );
            expect(failed.Reason).toContain('deploy again once that session ends');
            expectFits(failed);
          });
        } finally {
          await r.harness.stop();
        }
      });

      it('held for a few seconds: read again until it is free, and the drift is checked', async () => {
        const r = await rig(target, 'cfn_drift_locked_briefly', { [ENV.snapshotFile]: await snapshotOfMigrations() });
        try {
          await heldDuring(r, async (created, _pid, release) => {
            const releasing = new Promise((resolve) => setTimeout(resolve, 2500)).then(release);
            const again = await update(r, created);
            await releasing;
            expect(again.Status, again.Reason).toBe('SUCCESS');
            expect(again.Data![VERIFY_ATTR.drift]).toBe('none');
          });
          const retries = r.lines.map((l) => JSON.parse(l)).filter((l) => l.message === 'drift check: the live schema is locked; reading it again');
          expect(retries.length).toBeGreaterThanOrEqual(1);
        } finally {
          await r.harness.stop();
        }
      });
    });

    // Regression (review): a COMMENT ON TABLE / COLUMN made by hand failed (and rolled back) a deploy with failOnDrift.
    it('a comment changed by hand is reported in Drift but does not fail the deploy with SCHEMAGUARD_FAIL_ON_DRIFT=true', async () => {
      const r = await rig(target, 'cfn_drift_comment', { [ENV.snapshotFile]: await snapshotOfMigrations(), [ENV.failOnDrift]: 'true' });
      try {
        const created = await r.harness.send({ RequestType: 'Create', ResourceProperties: r.props() });
        expect(created.Status, created.Reason).toBe('SUCCESS');
        await withClient(r.url, (c) => c.query("COMMENT ON TABLE lead_purchases IS 'by hand'; COMMENT ON COLUMN lead_purchases.price IS 'cents'"));
        const again = await r.harness.send({
          RequestType: 'Update',
          PhysicalResourceId: created.PhysicalResourceId,
          ResourceProperties: r.props(),
          OldResourceProperties: r.props(),
        });
        expect(again.Status, again.Reason).toBe('SUCCESS');
        expect(again.Data![VERIFY_ATTR.drift]).toMatch(/^2 differences \(comment changes only: reported, not failing\): /);
        await withClient(r.url, (c) => c.query('ALTER TABLE lead_purchases ALTER COLUMN price SET DEFAULT 0'));
        const failed = await r.harness.send({
          RequestType: 'Update',
          PhysicalResourceId: created.PhysicalResourceId,
          ResourceProperties: r.props(),
          OldResourceProperties: r.props(),
        });
        expect(failed.Status).toBe('FAILED');
        expect(failed.Reason).toContain('the live schema differs from what the migrations produce: column public.lead_purchases.price: default differs');
        expect(failed.Reason).not.toContain('comment differs');
      } finally {
        await r.harness.stop();
      }
    });
  });
});
