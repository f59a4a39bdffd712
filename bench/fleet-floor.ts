/**
 * The fleet's floor: psql running the same tenant-form reference migrations
 * per tenant (search_path set by PGOPTIONS), CONCURRENCY at once, and the
 * server's CPU per tenant (the postmaster's children, from /proc).
 *
 *   npx tsx bench/fleet-floor.ts [TENANTS=100] [CONCURRENCY=10]
 */
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { startBenchServer, createDatabase, withClient } from './lib/server';
import { timeProcess } from './lib/proc';
import { ROOT } from './apply';
import { tenantForm } from './fleet';
/** utime + stime (+ cutime + cstime) of a process, in clock ticks: /proc/PID/stat's fields 14–17. */
function cpuOf(pid: number): number {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14]);
}
/** The server's CPU so far (ms, at 100 ticks a second): the postmaster's and its live children's. */
function serverCpuMs(pm: number): number {
  let t = cpuOf(pm);
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const st = readFileSync(`/proc/${d}/stat`, 'utf8');
      const f = st.split(') ')[1]!.split(' ');
      if (Number(f[1]) === pm) t += Number(f[11]) + Number(f[12]);
    } catch {
      // the process ended while being read
    }
  }
  return t * 10;
}
const N = Number(process.argv[2] ?? 100);
const C = Number(process.argv[3] ?? 10);
async function main() {
  const server = await startBenchServer(undefined, { tmpfs: process.env.PROF_TMPFS === '1' });
  const dir = mkdtempSync(join(tmpdir(), 'floor-'));
  const files = readdirSync(join(ROOT, 'migrations'))
    .filter((f) => /^\d+_.*\.sql$/.test(f) && !f.startsWith('0001_'))
    .sort();
  for (const f of files) writeFileSync(join(dir, f), tenantForm(readFileSync(join(ROOT, 'migrations', f), 'utf8')));
  const db = await createDatabase(server.adminUrl, 'floor');
  const schemas = Array.from({ length: N }, (_, k) => `tenant_${String(k).padStart(5, '0')}`);
  await withClient(db.url, (c) => c.query(schemas.map((s) => `CREATE SCHEMA ${s}`).join(';')));
  const c0 = new pg.Client({ connectionString: db.url });
  await c0.connect();
  const dataDir = (await c0.query('SHOW data_directory')).rows[0].data_directory;
  await c0.end();
  const pm = Number(readFileSync(`${dataDir}/postmaster.pid`, 'utf8').split('\n')[0]);
  const cpu0 = serverCpuMs(pm);
  const t0 = performance.now();
  let next = 0;
  const worker = async () => {
    while (next < N) {
      const s = schemas[next++]!;
      const r = await timeProcess('/usr/bin/psql', ['-q', '-v', 'ON_ERROR_STOP=1', '-d', db.url, ...files.flatMap((f) => ['-f', join(dir, f)])], {
        env: { ...process.env, PGOPTIONS: `-csearch_path=${s}` },
      });
      if (r.code) {
        console.log(r.stderr.slice(0, 500));
        process.exit(1);
      }
    }
  };
  await Promise.all(Array.from({ length: C }, worker));
  const ms = performance.now() - t0;
  await new Promise((r) => setTimeout(r, 700));
  console.log(`psql floor: wall ${Math.round(ms)} ms for ${N}, server cpu ${serverCpuMs(pm) - cpu0} ms, per tenant ${(serverCpuMs(pm) - cpu0) / N}`);
  await server.stop();
}
main();
