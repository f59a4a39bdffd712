import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { defineConfig } from 'vitest/config';
import { BaseSequencer, type TestSpecification } from 'vitest/node';

/**
 * Some machines set NODE_EXTRA_CA_CERTS to the system's CA bundle (this one
 * does: 144 certificates). Node.js 20 reads and parses it when it starts:
 * about 40 ms of CPU per process here, and a run starts many (a worker per
 * integration file, every CLI run, every synthesis process): without it,
 * `npx vitest run` used 166 s less CPU here (1671 -> 1505 s), and took 862 s
 * instead of 950. No test makes a TLS connection those certificates are for (the
 * TLS tests bring their own CA), so the run's processes start without it. The
 * one step that may reach the npm registry (test/package/consumer.test.ts's
 * npm install) gets it back from NPM_REGISTRY_EXTRA_CA_CERTS.
 */
if (process.env.NODE_EXTRA_CA_CERTS !== undefined) {
  process.env.NPM_REGISTRY_EXTRA_CA_CERTS = process.env.NODE_EXTRA_CA_CERTS;
  delete process.env.NODE_EXTRA_CA_CERTS;
}

/**
 * aws-cdk-lib (since 2.262) checks every synthesised template against its
 * built-in CloudFormation rules. The first check in a process loads the
 * rules: a SchemaMigrations stack's first synthesis took 43.6 s here under
 * load (2.4 s without the check), the next ones 3.3–8.3 s (1.0–1.5 s), and
 * every test file pays the first again. The findings are warnings (the
 * `@aws-cdk/core:validateAgainstDefaultRules` flag, which neither the app nor
 * a test sets, would make them errors) and no test reads them, so the run's
 * processes synthesise without it: CDK_VALIDATION=false, which aws-cdk-lib's
 * synthesis reads (core/lib/private/synthesis-validation.js) and `cdk synth
 * --no-validation` sets. The tests that synthesise as a user does (the
 * shipped app, test/bin/app.test.ts; the packed tarball in a fresh project,
 * test/package/consumer.test.ts) keep it (`USER_SYNTH_ENV`).
 */
process.env.CDK_VALIDATION ??= 'false';

/** Slow files of the unit project, slowest first (from `.ci/run`'s per-file times; the docs site's build and the compile of the docs' TypeScript blocks measured alone). */
export const SLOW_FIRST = [
  'test/package/consumer.test.ts',
  'test/docs/site-build.test.ts',
  'test/docs/api-reference.test.ts',
  'test/docs/typescript-blocks.test.ts',
  'test/bin/app.test.ts',
];

/**
 * Each file's time in seconds in an earlier full run (scripts/test-durations.mjs
 * writes it from a run's log). A fresh clone has no vitest cache of
 * durations, and vitest then starts the larger files first, which is not
 * the longer ones: at 7b7cc61 the race file (124 s) started at 556 s, and
 * the last 50 s ran one small file at a time on one worker.
 */
export const DURATIONS: Record<string, number> = (() => {
  const file = join(process.cwd(), 'test', 'support', 'file-durations.json');
  return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as Record<string, number>) : {};
})();

/** A file the durations do not know yet (new since they were written): between the long and the short. */
const UNKNOWN_SECONDS = 10;

/**
 * The order the run starts its files in. Vitest's own (the integration
 * project, then the unit project; larger files first when it has no timings,
 * as in a fresh clone) started the unit project's three slowest files (about
 * 90, 30 and 25 s) among the last, so one of the two workers ran on alone
 * at the end. They go first here; every other file keeps vitest's order.
 * (Here rather than in a file of its own: Vite's coming native config loader
 * takes no relative import without its extension.)
 */
class SlowFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const sorted = await super.sort(files);
    const path = (f: TestSpecification) => f.moduleId.replace(/\\/g, '/');
    const rank = (f: TestSpecification) => {
      const k = SLOW_FIRST.findIndex((p) => path(f).endsWith(`/${p}`));
      return k < 0 ? SLOW_FIRST.length : k;
    };
    const seconds = (f: TestSpecification) => {
      const known = Object.keys(DURATIONS).find((p) => path(f).endsWith(`/${p}`));
      return known === undefined ? UNKNOWN_SECONDS : DURATIONS[known]!;
    };
    // Longest first after those: two workers then end together, the short files filling in last.
    return [...sorted].sort((a, b) => rank(a) - rank(b) || seconds(b) - seconds(a));
  }
}

/** The integration files that keep a process each (the `integration-isolated` project). */
const ISOLATED = [
  'test/lambda/handler/**/*.int.test.ts',
  'test/faults/**/*.int.test.ts',
  'test/package/**/*.int.test.ts',
  'test/bench/**/*.int.test.ts',
  // They run the handler's code, in process.
  'test/lambda/checks/contracts/contract-planner.int.test.ts',
  'test/lambda/checks/guard/read-only-role.int.test.ts',
  'test/lambda/engine/files/layout-drizzle.int.test.ts',
  'test/bin/cli/commands/remote.int.test.ts',
  // It sets TZ.
  'test/lambda/engine/runner.int.test.ts',
];

/** What the projects share; a project does not inherit the root's setup (the servers would start once per project). */
const common = {
  // Each test file's temporary directories are removed after its last test.
  setupFiles: ['test/support/temp-cleanup.ts'],
  testTimeout: 60_000,
  hookTimeout: 120_000,
  pool: 'forks' as const,
};

export default defineConfig({
  test: {
    // Once per run, for both projects: the bundles and the PostgreSQL servers.
    globalSetup: ['test/support/global-setup.ts'],
    // Two files at a time even on 2 cores (vitest's default there is one):
    // most integration tests wait on PostgreSQL. Every file works in
    // databases of its own. Three gained nothing: a clean-clone .ci/run took
    // 1,559 s of vitest with three and 1,562 s with two, and with three the
    // two cores were idle 98 s of its 27 minutes: the run is bound by CPU.
    maxWorkers: 2,
    // The slowest files start first, so that neither worker is left with one at the end.
    sequence: { sequencer: SlowFirst },
    // The runner's own counts, for .ci/run's closing line.
    reporters: ['default', ['json', { outputFile: '.vitest/report.json' }]],
    projects: [
      // Files without a database share their worker processes: a fresh process
      // per file cost more than the tests (measured on the 93 files: 201 s and
      // 381 s of CPU with one process per file, 94 s and 173 s without).
      { test: { ...common, name: 'unit', include: ['test/**/*.test.ts'], exclude: ['test/**/*.int.test.ts'], isolate: false } },
      // Files on PostgreSQL. Their limit is twice the unit project's: the
      // longest of them without a limit of its own take 10–30 s here, and a CI
      // machine slower than this one, with another file beside it, has taken
      // one past 60 s. Most share their worker processes too: a process per
      // file cost about 0.7 s of CPU each (the 17 doctor files: 63.7 s of CPU
      // and 40.8 s with a process each, 51.8 s and 34.2 s without).
      { test: { ...common, name: 'integration', include: ['test/**/*.int.test.ts'], exclude: ISOLATED, testTimeout: 120_000, isolate: false } },
      // The handler's per-container state (its caches live as long as the
      // process, as in a Lambda container), the faults, the packed package and
      // the benchmarks' smoke runs, and the files that change the process's
      // environment, keep a process each.
      { test: { ...common, name: 'integration-isolated', include: ISOLATED, testTimeout: 120_000 } },
    ],
  },
});
