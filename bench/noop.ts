/**
 * No-op deploy: every migration already applied. How long `migrate()` takes
 * to conclude "up to date" in-process (engine time: reading the files,
 * connecting, locking, reading the state, comparing checksums), how many
 * round trips it makes, and the whole CLI process.
 */
import { PgDriver } from '../lambda/driver/pg/pg-driver';
import { migrate } from '../lambda/engine/runner';
import { loadMigrations } from '../lambda/engine/files/source';
import { CLI } from './apply';
import { CountingDriver } from './lib/counting-driver';
import { NODE, mustSucceed, timeProcess } from './lib/proc';
import { median, round } from './lib/stats';

export interface NoopOptions {
  /** A database where every migration in `dir` is applied. */
  url: string;
  dir: string;
  runs: number;
}

export interface NoopResult {
  migrations: number;
  /** Median of `migrate()` alone, files already parsed. */
  engine_ms: number;
  /** Median of reading and parsing the files (loadMigrations). */
  load_ms: number;
  /** Median of the whole CLI process. */
  process_ms: number;
  round_trips: number;
  connections: number;
  statements: string[];
  samples: { engine: number[]; load: number[]; process: number[] };
}

export async function benchNoop(o: NoopOptions): Promise<NoopResult> {
  const samples = { engine: [] as number[], load: [] as number[], process: [] as number[] };
  let counted: CountingDriver | undefined;
  let migrations = 0;
  // One unmeasured pass warms the server's caches and the JIT, as a deploy after a deploy would.
  for (let run = 0; run <= o.runs; run++) {
    const t0 = performance.now();
    const files = loadMigrations(o.dir);
    const t1 = performance.now();
    const driver = new CountingDriver(new PgDriver({ connectionString: o.url }));
    const result = await migrate({ driver, migrations: files, appliedBy: 'bench' });
    const t2 = performance.now();
    if (result.outcome !== 'up-to-date' || result.appliedCount !== files.length) {
      throw new Error(`expected up-to-date with ${files.length} applied, got ${result.outcome} with ${result.appliedCount}`);
    }
    migrations = files.length;
    if (run === 0) continue;
    samples.load.push(t1 - t0);
    samples.engine.push(t2 - t1);
    counted = driver;
  }
  for (let run = 1; run <= o.runs; run++) {
    const r = mustSucceed('schemaguard migrate (no-op)', await timeProcess(NODE, [CLI, 'migrate', '--database-url', o.url, '--dir', o.dir, '--quiet']));
    samples.process.push(r.ms);
  }
  return {
    migrations,
    engine_ms: round(median(samples.engine)),
    load_ms: round(median(samples.load)),
    process_ms: round(median(samples.process)),
    round_trips: counted!.roundTrips,
    connections: counted!.connections,
    statements: counted!.statements,
    samples: { engine: samples.engine.map((x) => round(x)), load: samples.load.map((x) => round(x)), process: samples.process.map((x) => round(x)) },
  };
}
