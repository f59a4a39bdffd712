/**
 * online.fixes: the real migrations/ applied to the seeds' drifted database
 * (varchar account keys; 2,000,000 appointments in the full run) while four
 * application connections insert, update and read appointments — once with
 * the current, online files and once with the in-place texts they replaced
 * (test/fixtures/migrations-in-place), from identical copies of one loaded
 * database. Reports, per form, what the application saw while the migration
 * ran: failed statements (by SQLSTATE), the longest statement, p50/p99.
 */
import { PgDriver } from '../lambda/driver/pg/pg-driver';
import { MigrationError } from '../lambda/engine/errors/errors';
import { migrate } from '../lambda/engine/runner';
import { loadMigrations, type Migration } from '../lambda/engine/files/source';
import { loadDriftedDatabase, PRODUCTION_SIZES, sampleAppData, startApplication, summariseWindow, type LoadSummary } from '../test/support/drifted-app';
import { inPlaceMigrations, MIGRATIONS_DIR } from '../test/support/in-place-migrations';
import { createDatabase, dropDatabase } from './lib/server';
import { round } from './lib/stats';

/** As the issue ran it: schemaguard migrate --lock-timeout 2s. */
export const FIXES_LOCK_TIMEOUT_MS = 2000;

export interface FixesOptions {
  adminUrl: string;
  appointments: number;
  /** @default 4 */
  workers?: number;
  /** Load before the migration starts. @default 3000 */
  baselineMs?: number;
  onProgress?: (line: string) => void;
}

export interface FixesRun extends LoadSummary {
  /** `applied`, or the error that stopped the migration (the in-place form can be a deadlock victim). */
  outcome: string;
  migration_ms: number;
  /** The application's p99 in the baseline before the migration, for scale. */
  p99_before_ms: number;
}

export interface FixesResult {
  appointments: number;
  accounts: number;
  workers: number;
  lock_timeout_ms: number;
  load_ms: number;
  online: FixesRun;
  in_place: FixesRun;
}

export async function benchOnlineFixes(o: FixesOptions): Promise<FixesResult> {
  const sizes = { ...PRODUCTION_SIZES, appointments: o.appointments };
  const started = performance.now();
  const template = await createDatabase(o.adminUrl, 'fixes_template');
  try {
    await loadDriftedDatabase(template.url, sizes);
    const loadMs = performance.now() - started;
    o.onProgress?.(`online.fixes: loaded ${sizes.appointments} appointments, ${sizes.accounts} accounts in ${Math.round(loadMs)} ms`);
    const forms: [keyof Pick<FixesResult, 'online' | 'in_place'>, Migration[]][] = [
      ['online', loadMigrations(MIGRATIONS_DIR)],
      ['in_place', inPlaceMigrations()],
    ];
    const runs: Partial<Record<'online' | 'in_place', FixesRun>> = {};
    for (const [form, migrations] of forms) {
      const db = await createDatabase(o.adminUrl, `fixes_${form}`, template.name);
      try {
        const run = await runUnderApplication(db.url, migrations, o);
        runs[form] = run;
        o.onProgress?.(
          `online.fixes ${form}: ${run.outcome} in ${run.migration_ms} ms; failed ${run.failed_ops} of ${run.ops}, longest ${run.max_stall_ms} ms, p99 ${run.p99_ms} ms`,
        );
      } finally {
        await dropDatabase(o.adminUrl, db.name);
      }
    }
    return {
      appointments: sizes.appointments,
      accounts: sizes.accounts,
      workers: o.workers ?? 4,
      lock_timeout_ms: FIXES_LOCK_TIMEOUT_MS,
      load_ms: round(loadMs),
      online: runs.online!,
      in_place: runs.in_place!,
    };
  } finally {
    await dropDatabase(o.adminUrl, template.name);
  }
}

async function runUnderApplication(url: string, migrations: Migration[], o: FixesOptions): Promise<FixesRun> {
  const app = await startApplication(url, await sampleAppData(url), o.workers ?? 4);
  let t0 = 0;
  let t1 = 0;
  let outcome = 'applied';
  try {
    const baseline = performance.now();
    await new Promise((r) => setTimeout(r, o.baselineMs ?? 3000));
    const driver = new PgDriver({ connectionString: url, applicationName: 'bench-fixes' });
    t0 = performance.now();
    try {
      await migrate({ driver, migrations, appliedBy: 'bench', lockTimeoutMs: FIXES_LOCK_TIMEOUT_MS });
    } catch (e) {
      outcome = e instanceof MigrationError ? `failed: ${e.sqlstate ?? ''} ${e.message}`.slice(0, 300) : `failed: ${String(e)}`;
    } finally {
      t1 = performance.now();
      await driver.end();
    }
    // A short tail so statements queued behind the last lock complete and count.
    await new Promise((r) => setTimeout(r, 300));
    const ops = await app.stop();
    return {
      outcome,
      migration_ms: round(t1 - t0),
      ...summariseWindow(ops, t0, t1),
      p99_before_ms: summariseWindow(ops, baseline, t0).p99_ms,
    };
  } finally {
    await app.stop();
  }
}
