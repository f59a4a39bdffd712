/**
 * One guard pass on the shipped schema: a database migrated with migrations/,
 * the contracts of contracts/ and the committed snapshot, as the scheduled
 * guard sees production between deploys. Each sample is a whole `runGuard`
 * with its connection (connect, the read-only pass, close), in-process; one
 * unmeasured run first warms the caches. Goal: under 1 s.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadContracts } from '../lambda/checks/contracts';
import type { Snapshot } from '../lambda/checks/drift/drift';
import { runGuard, type GuardReport } from '../lambda/checks/guard';
import { PgDriver } from '../lambda/driver/pg/pg-driver';
import { migrate } from '../lambda/engine/runner';
import { loadMigrations } from '../lambda/engine/files/source';
import { ROOT } from './apply';
import { createDatabase, dropDatabase } from './lib/server';
import { median, round } from './lib/stats';

export interface GuardBenchOptions {
  adminUrl: string;
  runs: number;
  onProgress?: (line: string) => void;
}

export interface GuardBenchResult {
  /** Median of the measured runs, ms. */
  ms: number;
  runs: number;
  contracts: number;
  migrations: number;
  /** Of the last run: 0 on the shipped schema. */
  findings: number;
  samples: number[];
}

export async function benchGuard(o: GuardBenchOptions): Promise<GuardBenchResult> {
  o.onProgress?.(`guard: one read-only pass on the shipped schema (migrations/, contracts/, the snapshot), ${o.runs} runs`);
  const migrations = loadMigrations(join(ROOT, 'migrations'));
  const contracts = await loadContracts(join(ROOT, 'contracts'));
  const snapshot = JSON.parse(readFileSync(join(ROOT, 'lambda', 'schema', 'snapshot.json'), 'utf8')) as Snapshot;
  const db = await createDatabase(o.adminUrl, 'guard');
  try {
    await withDriver(db.url, (driver) => migrate({ driver, migrations, appliedBy: 'bench' }));
    const samples: number[] = [];
    let last: GuardReport | undefined;
    for (let run = 0; run <= o.runs; run++) {
      const started = performance.now();
      last = await withDriver(db.url, (driver) => runGuard({ driver, migrations, contracts, snapshot }));
      if (last.outcome !== 'clean') throw new Error(`the guard on the shipped schema should be clean: ${JSON.stringify(last.findings.slice(0, 3))}`);
      if (run > 0) samples.push(performance.now() - started);
    }
    return {
      ms: round(median(samples)),
      runs: o.runs,
      contracts: contracts.length,
      migrations: migrations.length,
      findings: last!.findings.length,
      samples: samples.map((x) => round(x)),
    };
  } finally {
    await dropDatabase(o.adminUrl, db.name);
  }
}

async function withDriver<T>(url: string, fn: (driver: PgDriver) => Promise<T>): Promise<T> {
  const driver = new PgDriver({ connectionString: url });
  try {
    return await fn(driver);
  } finally {
    await driver.end();
  }
}
