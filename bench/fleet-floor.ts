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
import { startBenchServer, createDatabase, withClient } from './lib/server';
import { timeProcess } from './lib/proc';
import { ROOT } from './apply';
import { tenantForm } from './fleet';
import { postmasterPid, serverCpuMs } from './lib/server-cpu';

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
  const pm = await postmasterPid(server.adminUrl);
  if (pm === undefined) throw new Error('the server CPU is read from /proc: run on the machine of the server');
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
