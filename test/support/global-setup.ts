/**
 * Once per test run: build the CLI bundle (CLI tests run the real executable)
 * and the pre-built handler (every synth deploys it),
 * start the PostgreSQL servers the integration tests use, and hand their URLs
 * to every test file. Versions: the embedded package's, plus Debian's
 * PostgreSQL 15 when its binaries are installed (said in the output when not).
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
import { chmodSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { buildAll } from '../../scripts/build.mjs';
import { ensurePgbouncer } from './pgbouncer';
import { cleanup, embeddedBinDir, startServer, type StartedServer } from './system-postgres';
import type { Target } from './targets';

export const SYSTEM_PG_BIN = process.env.SCHEMAGUARD_TEST_PG_BIN ?? '/usr/lib/postgresql/15/bin';


const servers: StartedServer[] = [];

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const removeRunTemp = runTempDir();
  const teardown = async () => {
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
  const targets: Target[] = [];
  const skipped: string[] = [];
  if (process.env.DATABASE_URL) {
    const u = new URL(process.env.DATABASE_URL);
    targets.push({ name: 'DATABASE_URL', major: 0, adminUrl: process.env.DATABASE_URL, port: Number(u.port || 5432), password: decodeURIComponent(u.password) });
  } else {
    const candidates: { name: string; binDir: string }[] = [{ name: 'embedded', binDir: embeddedBinDir() }];
    if (existsSync(join(SYSTEM_PG_BIN, 'postgres'))) candidates.push({ name: 'system', binDir: SYSTEM_PG_BIN });
    else skipped.push(`PostgreSQL binaries not found in ${SYSTEM_PG_BIN}: integration tests run on the embedded version only`);
    const settled = await Promise.allSettled(candidates.map((c) => startServer(c.binDir, {}, c.name)));
    for (const r of settled) if (r.status === 'fulfilled') servers.push(r.value);
    const failed = settled.find((r) => r.status === 'rejected');
    if (failed) throw failed.reason;
    for (const [k, s] of servers.entries()) {
      const adminUrl = `postgres://postgres:${s.password}@127.0.0.1:${s.port}/postgres`;
      const pg = (await import('pg')).default;
      const client = new pg.Client(adminUrl);
      await client.connect();
      const v = (await client.query<{ v: string }>("SELECT current_setting('server_version_num') AS v")).rows[0]!.v;
      await client.end();
      const major = Math.floor(Number(v) / 10000);
      targets.push({ name: `PostgreSQL ${major} (${candidates[k]!.name})`, major, adminUrl, port: s.port, password: s.password, dataDir: s.dataDir, binDir: s.binDir });
    }
  }
  let pgbouncer: { bin?: string; problem?: string };
  try {
    pgbouncer = { bin: ensurePgbouncer() };
  } catch (e) {
    pgbouncer = { problem: (e as Error).message };
    console.log(`[schemaguard tests] ${pgbouncer.problem}`);
  }
  project.provide('pgbouncer', pgbouncer);
  for (const line of skipped) console.log(`[schemaguard tests] ${line}`);
  console.log(`[schemaguard tests] integration targets: ${targets.map((t) => t.name).join(', ')}`);
  project.provide('targets', targets);
  project.provide('skippedTargets', skipped);
}

/**
 * Makes the run's temporary directory and points TMPDIR at it (the workers
 * start after this and inherit it); returns what removes it. Like /tmp it is
 * writable by all and sticky: servers run as the postgres user keep their
 * data directories there.
 */
function runTempDir(): () => void {
  const before = process.env.TMPDIR;
  const dir = mkdtempSync(join(tmpdir(), 'schemaguard-test-run-'));
  chmodSync(dir, 0o1777);
  process.env.TMPDIR = dir;
  return () => {
    if (before === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = before;
    rmSync(dir, { recursive: true, force: true });
  };
}
