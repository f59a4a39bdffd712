/**
 * Runners started together on one database — deploys racing each other, or a
 * deploy and an operator's `schemaguard migrate`. Per server version and
 * driver: 8 processes and 10 in-process runners, on a set that ends in
 * CREATE INDEX CONCURRENTLY and on the shipped migrations/ (from empty and
 * from a drifted database). Every runner succeeds, every migration runs once,
 * no INVALID index is left, and the race takes little longer than one runner
 * alone (a waiting runner used to stall the index build until lock_timeout,
 * and the race took over 60 s with runners failing).
 *
 * `describeRaces(driver, runners)` declares a part of the races, each part a
 * test file of its own (test/lambda/engine/lock/race-*.int.test.ts), so that
 * the parts run side by side instead of one file of two minutes running on
 * alone at the end of a run.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PgDriver } from '../../lambda/driver/pg/pg-driver';
import { migrate, type MigrateResult } from '../../lambda/engine/runner';
import { loadMigrations } from '../../lambda/engine/files/source';
import { raceFiles } from '../../bench/race';
import { ROOT, runCli } from './cli';
import { dropDatabases, freshDatabase, rows, targets } from './db';
import { makeDataApiDriver } from './drivers';
import { tempDir } from './files';
import { ALL_VERSIONS, loadFixture, MIGRATIONS_DIR } from './schema-fixes';

/** What one runner reports: success and the versions it applied, or its error. */
interface Outcome {
  ok: boolean;
  applied: number[];
  error?: string;
}

const fromResult = (r: Pick<MigrateResult, 'applied'>): Outcome => ({ ok: true, applied: r.applied.map((a) => a.version) });

async function cliOnPg(url: string, dir: string): Promise<Outcome> {
  const r = await runCli(['migrate', '--dir', dir, '--database-url', url, '--json'], { timeoutMs: 180_000 });
  return r.code === 0 ? fromResult(JSON.parse(r.stdout) as MigrateResult) : { ok: false, applied: [], error: `exit ${r.code}: ${r.stderr || r.stdout}` };
}

/** test/support/race-runner.ts bundled once, so that eight processes start as fast as the CLI bundle does. */
const RACE_RUNNER = join(ROOT, 'node_modules', '.cache', 'schemaguard-test', 'race-runner.mjs');

async function bundleRaceRunner(): Promise<void> {
  await build({
    entryPoints: [join(ROOT, 'test', 'support', 'race-runner.ts')],
    outfile: RACE_RUNNER,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'esm',
    packages: 'external',
    logLevel: 'warning',
  });
}

function processOnDataApi(url: string, dir: string): Promise<Outcome> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [RACE_RUNNER, url, dir], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => {
      out += d;
    });
    child.stderr.on('data', (d) => {
      err += d;
    });
    child.on('error', reject);
    child.on('close', (code) => resolve(code === 0 ? fromResult(JSON.parse(out) as MigrateResult) : { ok: false, applied: [], error: `exit ${code}: ${err}` }));
  });
}

function inProcess(driver: 'pg' | 'data-api') {
  return async (url: string, dir: string): Promise<Outcome> => {
    const d = driver === 'pg' ? new PgDriver({ connectionString: url }) : makeDataApiDriver(url);
    try {
      return fromResult(await migrate({ driver: d, migrations: loadMigrations(dir), appliedBy: 'race', lockWaitMs: 120_000 }));
    } catch (e) {
      return { ok: false, applied: [], error: e instanceof Error ? e.message : String(e) };
    }
  };
}

export type RaceDriver = 'pg' | 'data-api';
export type RaceRunners = 'processes' | 'in-process';

const MODES = [
  { name: '8 CLI processes (pg driver)', driver: 'pg', runners: 'processes', count: 8, run: cliOnPg },
  { name: '8 processes on the Data API driver', driver: 'data-api', runners: 'processes', count: 8, run: processOnDataApi },
  { name: '10 in-process runners on the pg driver', driver: 'pg', runners: 'in-process', count: 10, run: inProcess('pg') },
  { name: '10 in-process runners on the Data API driver', driver: 'data-api', runners: 'in-process', count: 10, run: inProcess('data-api') },
];

const INDEX_SET_FILES = 12;
const SETS = [
  {
    name: 'a set ending in CREATE INDEX CONCURRENTLY',
    dir: () => tempDir(raceFiles(INDEX_SET_FILES, 50_000)),
    versions: Array.from({ length: INDEX_SET_FILES }, (_, k) => k + 1),
    prepare: async (_url: string) => undefined,
    // Each file records its own executions in `runs`.
    countsRuns: true,
  },
  {
    name: 'the shipped migrations/ on an empty database',
    dir: () => MIGRATIONS_DIR,
    versions: ALL_VERSIONS,
    prepare: async (_url: string) => undefined,
    countsRuns: false,
  },
  // The race is the engine's and the lock's, not the server version's: the drifted start runs on the first server only
  // (the fixes' convergence on a drifted database is proven on both by migrations/converge.int.test.ts). It saves ~40 s.
  {
    name: 'the shipped migrations/ on a drifted database',
    dir: () => MIGRATIONS_DIR,
    versions: ALL_VERSIONS,
    prepare: (url: string) => loadFixture(url, 'partly_fixed'),
    countsRuns: false,
    firstServerOnly: true,
  },
];

/**
 * The race may take longer than one runner alone: eight process start-ups
 * on a loaded 2-core machine, and the waiters taking the lock one after the
 * other, each noticing a release within one backoff step (≤ 1 s). Twice the
 * single time plus 15 s holds there with margin (measured: 0.4–10 s) and is
 * far below the 60 s plus failures of the stalled race.
 */
const bound = (singleMs: number) => 2 * singleMs + 15_000;

async function timed<T>(fn: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const started = performance.now();
  const value = await fn();
  return { value, ms: performance.now() - started };
}

/** The races of the modes on `driver` (those of `runners` only, when given), on each target and set. */
export function describeRaces(driver: RaceDriver, runners?: RaceRunners): void {
  const modes = MODES.filter((m) => m.driver === driver && (runners === undefined || m.runners === runners));
  afterAll(dropDatabases);
  if (modes.some((m) => m.run === processOnDataApi)) beforeAll(bundleRaceRunner);
  describe.each(targets)('Function: migrate, runners racing on $name', (target) => {
    describe.each(SETS.filter((s) => !('firstServerOnly' in s) || target === targets[0]))('$name', (set) => {
      it.each(modes)(
        "$name: all succeed, each migration runs once, no INVALID index, close to one runner's time",
        async (mode) => {
          const dir = set.dir();
          const alone = await freshDatabase(target, 'race_alone');
          await set.prepare(alone);
          const single = await timed(() => mode.run(alone, dir));
          expect(single.value.error).toBeUndefined();

          const url = await freshDatabase(target, 'race');
          await set.prepare(url);
          const race = await timed(() => Promise.all(Array.from({ length: mode.count }, () => mode.run(url, dir))));

          expect(race.value.filter((o) => !o.ok).map((o) => o.error)).toEqual([]);
          expect(race.value.flatMap((o) => o.applied).sort((a, b) => a - b)).toEqual(set.versions);
          expect(await rows(url, 'SELECT version::int AS v FROM schemaguard.applied_migrations ORDER BY version')).toEqual(set.versions.map((v) => ({ v })));
          if (set.countsRuns) {
            expect(await rows(url, 'SELECT version, count(*)::int AS n FROM runs GROUP BY version ORDER BY version')).toEqual(
              set.versions.map((version) => ({ version, n: 1 })),
            );
          }
          expect(await rows(url, 'SELECT indexrelid::regclass::text AS index FROM pg_index WHERE NOT indisvalid')).toEqual([]);
          console.log(`[race] ${target.name} / ${set.name} / ${mode.name}: ${Math.round(race.ms)} ms (one runner alone: ${Math.round(single.ms)} ms)`);
          expect(race.ms).toBeLessThan(bound(single.ms));
        },
        240_000,
      );
    });
  });
}
