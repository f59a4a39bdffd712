/**
 * The guard through the Data API driver (the stand-in on real PostgreSQL), as
 * the scheduled guard runs it on Aurora: clean on a migrated database, a hand
 * edit found, contracts that fail with an SQL error each counted with the
 * same findings as over a connection (the service forgets a transaction once
 * one of its statements fails), a skip while the Data API runner holds
 * its lease, and a sequence-behind batch that fails (its error ends the
 * pass's transaction there) as a note, the rest of the pass still run.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadContracts, type Contract } from '../../../../lambda/checks/contracts';
import type { Snapshot } from '../../../../lambda/checks/drift/drift';
import { SEQUENCE_BATCH } from '../../../../lambda/checks/doctor/sequence-behind';
import { runGuard, type GuardReport } from '../../../../lambda/checks/guard';
import { leaseDdl } from '../../../../lambda/driver/data-api/lease-table';
import { PgDriver } from '../../../../lambda/driver/pg/pg-driver';
import type { Driver } from '../../../../lambda/engine/ports';
import { loadMigrations } from '../../../../lambda/engine/files/source';
import { ROOT } from '../../../support/cli';
import { dropDatabases, freshDatabase, rows, targets, withClient } from '../../../support/db';
import { makeDataApiDriver, standinFor } from '../../../support/drivers';
import { CONTRACTS_DIR, MIGRATIONS_DIR, runFixes } from '../../../support/schema-fixes';

afterAll(dropDatabases);

const snapshot = JSON.parse(readFileSync(join(ROOT, 'lambda', 'schema', 'snapshot.json'), 'utf8')) as Snapshot;
let contracts: Contract[];
beforeAll(async () => {
  contracts = await loadContracts(CONTRACTS_DIR);
});

async function guard(url: string, driver: Driver = makeDataApiDriver(url), lockTimeoutMs?: number): Promise<GuardReport> {
  try {
    return await runGuard({ driver, migrations: loadMigrations(MIGRATIONS_DIR), contracts, snapshot, lockTimeoutMs });
  } finally {
    await driver.end();
  }
}

describe.each(targets)('Function: runGuard through the Data API on $name', (target) => {
  let url: string;
  beforeAll(async () => {
    url = await freshDatabase(target, 'guard_data_api');
    await runFixes(url);
  });

  it('is clean on a migrated database, and finds a hand edit', async () => {
    expect((await guard(url)).findings).toEqual([]);
    await withClient(url, (c) => c.query('ALTER TABLE web_sessions ALTER COLUMN lead_id SET NOT NULL'));
    try {
      const r = await guard(url);
      expect(r.findings.map((f) => `${f.severity} ${f.rule} ${f.object}`)).toEqual([
        'page schema-drift public.web_sessions.lead_id',
        'page contract-insert web_session_insert.sql',
      ]);
    } finally {
      await withClient(url, (c) => c.query('ALTER TABLE web_sessions ALTER COLUMN lead_id DROP NOT NULL'));
    }
  });

  it('counts each contract that fails with an SQL error, with the findings a connection gives', async () => {
    // 42P10 when planning the upsert (its unique index is gone), 42703 when preparing the insert (a column renamed).
    await withClient(url, async (c) => {
      await c.query('DROP INDEX unique_active_purchase');
      await c.query('ALTER TABLE web_sessions RENAME COLUMN visitor_id TO visitor_ref');
    });
    try {
      const r = await guard(url);
      const overConnection = await guard(url, new PgDriver({ connectionString: url }));

      expect(r.outcome).toBe('findings');
      expect(r.metrics).toMatchObject({ DriftedObjects: 2, ContractFailures: 2 });
      const upsert = r.findings.find((f) => f.object === 'purchase_upsert.sql')!;
      expect(upsert).toMatchObject({ severity: 'page', rule: 'contract-plan' });
      expect(upsert.message).toMatch(
        /\(42P10\): the arbiter the migrations create, unique index unique_active_purchase on public\.student_course_purchases \(student_id, course_id\), is missing here$/,
      );
      expect(r.findings.find((f) => f.object === 'web_session_insert.sql')).toMatchObject({ severity: 'page', rule: 'contract-prepare' });
      expect(r.findings).toEqual(overConnection.findings);
      expect(standinFor(url).openTransactions).toBe(0);
    } finally {
      await withClient(url, async (c) => {
        await c.query('ALTER TABLE web_sessions RENAME COLUMN visitor_ref TO visitor_id');
        await c.query('CREATE UNIQUE INDEX unique_active_purchase ON student_course_purchases (student_id, course_id) WHERE is_active = true');
      });
    }
    expect((await guard(url)).outcome).toBe('clean');
  });

  it('skips while the Data API runner holds its lease', async () => {
    const driver = makeDataApiDriver(url);
    const lock = driver.createLock({ stateSchema: 'schemaguard', owner: 'stack/request-1' });
    try {
      await lock.acquire(0);
      const r = await guard(url);
      expect(r.outcome).toBe('skipped');
      expect(r.skippedReason).toMatch(/^a migration is running: stack\/request-1 holds the runner lease/);
    } finally {
      await lock.release();
      await driver.end();
    }
    expect((await guard(url)).outcome).toBe('clean');
  });

  it('the lease table dropped while the run waits to read it: the pass runs again in a new transaction (the failed read ended the first), clean', async () => {
    await withClient(url, (c) => c.query(leaseDdl('schemaguard').join(';\n')));
    await withClient(url, async (remover) => {
      await remover.query('BEGIN; LOCK TABLE schemaguard.runner_lease IN ACCESS EXCLUSIVE MODE');
      const running = guard(url, makeDataApiDriver(url), 60_000).then(
        (r) => r,
        (e: unknown) => e,
      );
      for (let waiting = false; !waiting; await new Promise((r) => setTimeout(r, 20))) {
        waiting = (await rows(url, "SELECT 1 FROM pg_locks WHERE NOT granted AND relation = 'schemaguard.runner_lease'::regclass")).length > 0;
      }
      await remover.query('DROP TABLE schemaguard.runner_lease; COMMIT');
      const r = await running;
      expect(r).not.toBeInstanceOf(Error);
      expect((r as GuardReport).outcome).toBe('clean');
      expect(standinFor(url).openTransactions).toBe(0);
    });
  });
});

describe.each(targets)('Function: runGuard through the Data API, a sequence-behind batch that fails, on $name', (target) => {
  // Regression: the batch's error ended the pass's Data API transaction (no savepoint recovers there) and the run failed whole.
  it("is a note naming its tables and the lock's holder; the other batches and the rest of the pass still run, with the findings a connection gives", async () => {
    // Prepare: 101 keyed tables (two batches), the last one's sequence behind; a constraint never validated (a later rule); t001 held.
    const url = await freshDatabase(target, 'guard_data_api_batch');
    await withClient(url, (c) =>
      c.query(`
      DO $d$ BEGIN
        FOR t IN 1..${SEQUENCE_BATCH + 1} LOOP EXECUTE format('CREATE TABLE t%s (id serial PRIMARY KEY)', lpad(t::text, 3, '0')); END LOOP;
      END $d$;
      INSERT INTO t${SEQUENCE_BATCH + 1} (id) VALUES (1), (2);
      CREATE TABLE checked (n int);
      ALTER TABLE checked ADD CONSTRAINT checked_n_positive CHECK (n > 0) NOT VALID;`),
    );
    const run = async (driver: Driver) => {
      try {
        return await runGuard({ driver, migrations: [], contracts: [] });
      } finally {
        await driver.end();
      }
    };

    await withClient(url, async (holder) => {
      await holder.query('BEGIN; LOCK TABLE t001 IN ACCESS EXCLUSIVE MODE');
      // Act
      const overDataApi = await run(makeDataApiDriver(url)).catch((e: unknown) => e);
      const overConnection = await run(new PgDriver({ connectionString: url }));
      await holder.query('ROLLBACK');

      // Assess
      expect(overDataApi).not.toBeInstanceOf(Error);
      const r = overDataApi as GuardReport;
      expect(r.notes).toEqual([
        expect.stringMatching(
          new RegExp(
            `^sequence-behind: ${SEQUENCE_BATCH} key columns not checked \\(public\\.t001, .*\\): waiting on a lock held \\(ACCESS EXCLUSIVE\\) by pid \\d+ \\(schemaguard-test, user \\w+, idle in transaction, in a transaction for \\d+ s\\) on public\\.t001, past lock_timeout \\(55P03\\); try again once that transaction ends$`,
          ),
        ),
      ]);
      expect(r.findings.map((f) => `${f.severity} ${f.rule} ${f.object}`)).toEqual([
        `ticket sequence-behind public.t${SEQUENCE_BATCH + 1}.id`,
        'ticket constraint-not-validated checked.checked_n_positive',
      ]);
      expect(r.findings).toEqual(overConnection.findings);
      // The same notes but for the holder's age, read a moment apart (it failed under load, 1 s against 2 s).
      const aged = (notes: readonly string[] = []) => notes.map((n) => n.replace(/in a transaction for \d+ s/, 'in a transaction for N s'));
      expect(aged(r.notes)).toEqual(aged(overConnection.notes));
      expect(standinFor(url).openTransactions).toBe(0);
    });
  }, 60_000);
});
