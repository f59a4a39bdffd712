/**
 * Fault matrix for the custom resource, driven by the real Provider framework
 * runtime (test/support/provider-framework.ts) against real PostgreSQL.
 * Secrets Manager is stood in for by a client that answers GetSecretValue.
 *
 * Covered in test/lambda/handler/provider-lifecycle.int.test.ts and not
 * repeated here: the same Create delivered twice; two concurrent deliveries;
 * onEvent stopping before its time runs out with isComplete continuing.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { ATTR, ENV, OUTCOME, RESPONSE_LIMIT_BYTES } from '../../lambda/handler/constants';
import { createHandlers } from '../../lambda/handler/handler';
import { dropDatabases, rows, targets } from '../support/db';
import { addFile, tempDir } from '../support/files';
import type { CfnResponse } from '../support/provider-framework';
import { context, envOf, handlerRig, secretOf } from './handler-rig';
import { COUNT_RUNS, expectConsistent, leaks, lockHolderPid, sleep, sleepFirstRun, steps, Transcript, waitForMarker } from './support';

afterAll(dropDatabases);

const transcript = new Transcript();

function expectFits(response: CfnResponse): void {
  transcript.add(JSON.stringify(response));
  expect(Buffer.byteLength(JSON.stringify(response))).toBeLessThan(RESPONSE_LIMIT_BYTES);
}

describe.each(targets)('Faults: the custom resource, on $name', (target) => {
  it('each invocation runs out of time between two migrations: every isComplete continues where the last stopped, each migration applied once', async () => {
    // Reserve 2 s; every invocation gets 2.3 s: a 0.35 s migration can start (within 0.3 s), a second one cannot,
    // and statement_timeout (the deadline less half the reserve, >= 1 s) leaves it room on a loaded machine.
    const slow = 'SELECT pg_sleep(0.35);';
    const r = await handlerRig(transcript, target, 'cfn_slices', steps(4, { 1: slow, 2: slow, 3: slow, 4: slow }), {
      remainingTimeMs: () => 2300,
      env: { [ENV.reserveMs]: '2000' },
    });
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
    const r = await handlerRig(
      transcript,
      target,
      'cfn_hard_timeout',
      steps(3, {
        1: COUNT_RUNS,
        2: `SELECT 'marker_fault_lambda' AS m, ${sleepFirstRun(30)};`,
      }),
    );
    try {
      // Act 1: onEvent is frozen and killed by the runtime while migration 2 runs; its sockets die with the sandbox.
      const first = r.handlers.onEvent(r.event('Create'), context(60_000)).then(
        () => undefined,
        (e: unknown) => e,
      );
      await waitForMarker(r.url, 'marker_fault_lambda', 10_000, { inSleep: true });
      await rows(
        target.adminUrl,
        `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
        WHERE datname = $1 AND application_name = 'schemaguard-cfn'`,
        [new URL(r.url).pathname.slice(1)],
      );
      // Its connection lost mid-migration, the handler answers that isComplete tries again (the migration was rolled back);
      // a runtime that kills the sandbox sends nothing at all. Either way the next invocation completes it.
      const e = await first;
      expect(e).toBeUndefined();
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
    const r = await handlerRig(transcript, target, 'cfn_rollback_race', steps(2));
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
      await waitForMarker(r.url, 'marker_fault_rollback', 10_000, { inSleep: true });
      await lockHolderPid(r.url);
      // ... when the rollback Update, from the old code with the old files, arrives.
      const rollbackRig = createHandlers({
        secrets: { send: async () => ({ SecretString: JSON.stringify(await secretOf(r)) }) },
        env: { ...envOf(r), [ENV.migrationsDir]: oldDir },
        write: (line) => r.lines.push(line),
      });
      const rollbackEvent = { ...r.event('Update', { OldResourceProperties: r.props() }), ResourceProperties: oldProps };
      const [u, rb] = await Promise.all([
        update.then(
          (x) => x,
          (e: unknown) => e,
        ),
        (async () => {
          const ev = await rollbackRig.onEvent(rollbackEvent, context(60_000));
          return rollbackRig.isComplete({ ...rollbackEvent, PhysicalResourceId: ev.PhysicalResourceId }, context(60_000));
        })().then(
          (x) => x,
          (e: unknown) => e,
        ),
      ]);

      expect((u as { PhysicalResourceId?: string }).PhysicalResourceId, String((u as Error)?.message)).toBe('schemaguard-migrations-SchemaMigrationsResource');
      expect(rb, String((rb as Error)?.message)).toMatchObject({
        IsComplete: true,
        Data: { [ATTR.outcome]: OUTCOME.databaseAhead, [ATTR.aheadVersions]: '3,4' },
      });
      await expectConsistent(r.url, [1, 2, 3, 4]);
    } finally {
      await r.done();
    }
  });
});

describe('Security: the handler logs and responses of these runs', () => {
  it('hold no password and no connection string with a password', async () => {
    await sleep(0);
    expect(transcript.texts.length).toBeGreaterThan(20);
    expect(leaks(transcript.texts, [...transcript.secrets, ...targets.map((t) => t.password)])).toEqual([]);
  });
});
