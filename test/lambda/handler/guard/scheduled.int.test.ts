/**
 * The scheduled guard driven locally the way EventBridge invokes it, on real
 * PostgreSQL 18 (15 too in the full matrix), through a connection (the secret
 * read from the Secrets Manager stand-in) and through the Data API stand-in
 * (which runs as the guard role): a database deployed by the migration
 * handler with the shipped migrations, contracts and snapshot, and the guard
 * role created by the role resource. What CloudWatch would extract from its
 * EMF line is checked with the spec's rules (test/support/emf.ts):
 *
 * - clean: every count 0, GuardErrors 0;
 * - after the seeds' hand edits: the counts the findings give, named;
 * - a dropped unique index: the upsert's 42P10 counted as a failing contract
 *   naming the index through both drivers (the Data API ends a transaction
 *   at its first error: the contract has a transaction of its own);
 * - unreachable: GuardErrors 1, nothing else, the error in the log;
 * - while a migration holds the runner lock (advisory lock; lease through
 *   the Data API): skipped, GuardErrors 0 only;
 * and the run writes nothing, and never prints a password.
 */
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ENV } from '../../../../lambda/handler/constants';
import { createGuardHandler, type GuardRunSummary } from '../../../../lambda/handler/guard/scheduled';
import { advisoryLockKey } from '../../../../lambda/engine/state/runner-lock-names';
import { catalogFingerprint } from '../../../support/catalog-fingerprint';
import { ROOT } from '../../../support/cli';
import { DataApiStandin } from '../../../support/data-api-standin';
import { dropDatabases, targets, withClient } from '../../../support/db';
import { makeDataApiDriver } from '../../../support/drivers';
import { extractEmf, type ExtractedMetrics } from '../../../support/emf';
import { dropRigRoles, GUARD_SECRET_ARN, guardRig, MASTER_SECRET_ARN, type DriverMode, type GuardRig } from '../../../support/guard-rig';
import { CONTRACTS_DIR, MIGRATIONS_DIR } from '../../../support/schema-fixes';

const FILES = { migrationsDir: MIGRATIONS_DIR, contractsDir: CONTRACTS_DIR, snapshotFile: join(ROOT, 'lambda', 'schema', 'snapshot.json') };
const ctx = { getRemainingTimeInMillis: () => 60_000 };

const standins: DataApiStandin[] = [];
afterAll(async () => {
  for (const s of standins.splice(0)) await s.close();
  await dropDatabases();
  await dropRigRoles();
});

/** A database deployed with the shipped files, and its guard role. */
async function deployed(target: (typeof targets)[number], mode: DriverMode, label: string): Promise<GuardRig> {
  // The deploy ships the contracts: the role resource stores the writing ones for the guard's contract planner.
  const rig = await guardRig(target, mode, label, { contractsDir: CONTRACTS_DIR });
  if (rig.standin) standins.push(rig.standin);
  await rig.migrate(MIGRATIONS_DIR);
  await rig.handlers.onEvent(rig.roleEvent('Create'), ctx);
  return rig;
}

interface Run {
  summary: GuardRunSummary;
  metrics: ExtractedMetrics;
  lines: string[];
  standin?: DataApiStandin;
}

/** One scheduled invocation; through the Data API the stand-in runs as the guard role. */
async function invoke(rig: GuardRig, mode: DriverMode, extraEnv: Record<string, string> = {}): Promise<Run> {
  const lines: string[] = [];
  const standin = mode === 'data-api' ? new DataApiStandin(rig.guard.url) : undefined;
  if (standin) standins.push(standin);
  // A refused password reads the secret again after 50 ms here, not 5 s (connection.int.test.ts waits the real delay).
  const guard = createGuardHandler({
    env: rig.guardEnv(FILES, extraEnv),
    secrets: rig.secretsClient,
    dataApi: standin,
    write: (l) => lines.push(l),
    authRetryDelayMs: 50,
  });
  const summary = await guard({ source: 'aws.events', 'detail-type': 'Scheduled Event' }, ctx);
  const emf = lines.filter((l) => l.includes('"_aws"'));
  expect(emf, 'one EMF line per run').toHaveLength(1);
  for (const secret of rig.secrets()) expect(lines.join('\n')).not.toContain(secret);
  return { summary, metrics: extractEmf(emf[0]!), lines, standin };
}

const logged = (run: Run) => run.lines.filter((l) => !l.includes('"_aws"')).map((l) => JSON.parse(l) as Record<string, unknown>);

describe.each(targets)('$name', (target) => {
  describe.each(['pg', 'data-api'] as const)('through %s', (mode) => {
    it('a clean database: every count 0 and GuardErrors 0, as the guard role, writing nothing', async () => {
      const rig = await deployed(target, mode, `sched_clean_${mode.replace('-', '')}`);
      const before = await catalogFingerprint(rig.url);
      const reads = rig.secretReads.length;

      const run = await invoke(rig, mode);

      expect(run.summary, run.summary.error).toMatchObject({ outcome: 'clean', page: false });
      expect(run.metrics.namespace).toBe('Schemaguard/Schema');
      expect(run.metrics.dimensions).toEqual({ DatabaseIdentifier: 'schemaguard-test', DatabaseName: rig.database });
      expect(run.metrics.metrics).toEqual({
        DriftedObjects: 0,
        MinorDrift: 0,
        ContractFailures: 0,
        DoctorErrors: 0,
        InvalidIndexes: 0,
        PendingMigrations: 0,
        GuardErrors: 0,
      });
      expect(run.metrics.root.outcome).toBe('clean');
      // The scheduled guard's guide: under 2 KB of log a clean run.
      expect(Buffer.byteLength(run.lines.join('\n'))).toBeLessThan(2048);
      expect(await catalogFingerprint(rig.url)).toBe(before);
      // Over a connection the guard reads its own secret, never the master's; through the Data API the service reads it.
      expect(rig.secretReads.slice(reads)).toEqual(mode === 'pg' ? [GUARD_SECRET_ARN] : []);
      expect(rig.secretReads.slice(reads)).not.toContain(MASTER_SECRET_ARN);
      if (run.standin) {
        const calls = run.standin.calls.length;
        const counts = new Map<string, number>();
        for (const c of run.standin.calls) counts.set(c.command, (counts.get(c.command) ?? 0) + 1);
        const byCommand = [...counts].map(([command, n]) => `${command} ${n}`).join(', ');
        console.log(`[guard cost] one clean guard pass on the shipped schema made ${calls} Data API calls (${byCommand}) (${target.name})`);
        expect(calls).toBeGreaterThan(0);
      }
    });

    it("after the seeds' hand edits (a dropped default, a NOT NULL added): the counts of the findings, each object named in the log", async () => {
      const rig = await deployed(target, mode, `sched_drift_${mode.replace('-', '')}`);
      await withClient(rig.master.url, async (c) => {
        await c.query('ALTER TABLE lead_purchases ALTER COLUMN id DROP DEFAULT');
        await c.query('ALTER TABLE web_sessions ALTER COLUMN lead_id SET NOT NULL');
      });

      const run = await invoke(rig, mode);

      expect(run.summary, run.summary.error).toMatchObject({ outcome: 'findings', page: true });
      // The key without its default is no doctor error (pk-without-default is a warning: an application may generate its
      // ids); the lost default pages as drift, and the contract whose INSERT omits the key fails.
      expect(run.metrics.metrics).toEqual({
        DriftedObjects: 2,
        MinorDrift: 0,
        ContractFailures: 2,
        DoctorErrors: 0,
        InvalidIndexes: 0,
        PendingMigrations: 0,
        GuardErrors: 0,
      });
      const report = logged(run).find((r) => r.message === 'schema guard: findings')!;
      expect(report.level).toBe('error');
      // Drift names the columns, the contracts their files.
      expect((report.findings as { object: string }[]).map((f) => f.object).sort()).toEqual([
        'lead_purchase_insert.sql',
        'public.lead_purchases.id',
        'public.web_sessions.lead_id',
        'web_session_insert.sql',
      ]);
    });

    it('a dropped unique index (an upsert fails with 42P10): drift and the contract counted, the index named', async () => {
      const rig = await deployed(target, mode, `sched_index_${mode.replace('-', '')}`);
      await withClient(rig.master.url, (c) => c.query('DROP INDEX unique_active_purchase'));

      const run = await invoke(rig, mode);

      expect(run.summary, run.summary.error).toMatchObject({ outcome: 'findings', page: true });
      expect(run.metrics.metrics).toEqual({
        DriftedObjects: 1,
        MinorDrift: 0,
        ContractFailures: 1,
        DoctorErrors: 0,
        InvalidIndexes: 0,
        PendingMigrations: 0,
        GuardErrors: 0,
      });
      const findings = logged(run).find((r) => r.message === 'schema guard: findings')!.findings as { object: string; message: string }[];
      expect(findings.map((f) => f.object).sort()).toEqual(['public.student_course_purchases.unique_active_purchase', 'purchase_upsert.sql']);
      expect(findings.find((f) => f.object === 'purchase_upsert.sql')!.message).toMatch(
        /\(42P10\): the arbiter the migrations create, unique index unique_active_purchase on public\.student_course_purchases \(student_id, course_id\), is missing here$/,
      );
      // Nothing left open on the service's side.
      expect(run.standin?.openTransactions ?? 0).toBe(0);
    });

    // Regression (tester): what a run did not check (a key sequence the role may not read) was said nowhere in the function's log.
    it("a key sequence the guard role may not read: the run's record carries the note with the GRANT", async () => {
      const rig = await deployed(target, mode, `sched_note_${mode.replace('-', '')}`);
      await withClient(rig.master.url, (c) => c.query(`CREATE TABLE loaded (id serial PRIMARY KEY); REVOKE SELECT ON loaded_id_seq FROM ${rig.guard.name}`));

      const run = await invoke(rig, mode);

      const record = logged(run).find((r) => typeof r.message === 'string' && r.message.startsWith('schema guard: '))!;
      expect(record.notes).toEqual([
        expect.stringMatching(
          new RegExp(
            `^sequence-behind: role ${rig.guard.name} may not read 1 key sequence \\(public\\.loaded_id_seq\\).*GRANT SELECT ON ALL SEQUENCES IN SCHEMA public TO ${rig.guard.name};`,
          ),
        ),
      ]);
    });
  });

  it('an unreachable database: GuardErrors 1 and no count, the error logged, nothing thrown', async () => {
    const rig = await deployed(target, 'pg', 'sched_down');

    const run = await invoke(rig, 'pg', { [ENV.port]: '1' });

    expect(run.summary.outcome).toBe('failed');
    expect(run.metrics.metrics).toEqual({ GuardErrors: 1 });
    expect(String(run.metrics.root.error)).toMatch(/ECONNREFUSED|connect/i);
    expect(logged(run).some((r) => r.level === 'error' && r.message === 'schema guard failed')).toBe(true);
  });

  it('a refused password (a stale secret): GuardErrors 1, the password never printed', async () => {
    const rig = await deployed(target, 'pg', 'sched_pw');
    await withClient(target.adminUrl, (c) => c.query(`ALTER ROLE ${rig.guard.name} PASSWORD 'changed-behind-its-back'`));
    const reads = rig.secretReads.length;

    const run = await invoke(rig, 'pg', { [ENV.connectAttempts]: '1' });

    expect(rig.secretReads.length - reads, 'the secret read three times (a rotation may be in progress), then given up').toBe(3);
    expect(run.metrics.metrics).toEqual({ GuardErrors: 1 });
    expect(String(run.metrics.root.error)).toMatch(/password authentication failed/);
  }, 60_000);

  it('while a migration holds the advisory lock: skipped, GuardErrors 0 only, the reason logged', async () => {
    const rig = await deployed(target, 'pg', 'sched_lock');
    await withClient(rig.master.url, async (c) => {
      await c.query('SELECT pg_advisory_lock($1::bigint)', [advisoryLockKey('schemaguard')]);

      const run = await invoke(rig, 'pg');

      expect(run.summary).toMatchObject({ outcome: 'skipped' });
      expect(run.summary.skippedReason).toMatch(/^a migration is running: server process \d+ holds the runner lock/);
      expect(run.metrics.metrics).toEqual({ GuardErrors: 0 });
      expect(run.metrics.root).toMatchObject({ outcome: 'skipped', skippedReason: run.summary.skippedReason });
    });
  });

  it('through the Data API while a migration holds the lease: skipped', async () => {
    const rig = await deployed(target, 'data-api', 'sched_lease');
    // The lock a migration through the Data API takes (DataApiDriver.createLock): the lease row.
    const lease = makeDataApiDriver(rig.master.url, rig.standin).createLock({ stateSchema: 'schemaguard', owner: 'cloudformation:Deploy' });
    await lease.acquire(5_000);
    try {
      const run = await invoke(rig, 'data-api');

      expect(run.summary.skippedReason).toMatch(/^a migration is running: cloudformation:Deploy holds the runner lease/);
      expect(run.metrics.metrics).toEqual({ GuardErrors: 0 });
    } finally {
      await lease.release();
    }
  });
});
