/**
 * fleet: `migrate --fleet-schemas` over N tenant schemas of one database,
 * beside what teams do without it — a shell loop of single-tenant
 * `schemaguard migrate` runs, each with `search_path` set to its tenant (the
 * URL's `options=-csearch_path=…`) and its state in its own schema.
 *
 * The files are the reference migrations (migrations/0002–0009; 0001's
 * CREATE EXTENSION is the database's, not a tenant's) in a tenant-relative
 * form: `public.` taken out of names, `'public'` read as current_schema(),
 * and index definitions compared without the schema PostgreSQL qualifies
 * them with (`tenantForm`). The loop is timed over a sample of tenants (the
 * first `loopSample`, each its own process, one after another) and scaled to
 * N: `loop_ms` says which, beside `loop_measured`.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CLI, ROOT } from './apply';
import { mustSucceed, NODE, timeProcess } from './lib/proc';
import { createDatabase, dropDatabase, withClient } from './lib/server';
import { postmasterPid, serverCpuMs } from './lib/server-cpu';

export interface FleetBenchOptions {
  adminUrl: string;
  tenants: number;
  concurrency: number;
  loopSample: number;
  onProgress: (line: string) => void;
}

/** A reference migration as a tenant's: its names relative to the schema the session searches. */
export function tenantForm(sql: string): string {
  return sql
    .replace(/public\./g, '')
    .replace(/'public'/g, 'current_schema()')
    .replace(/pg_get_indexdef\(([a-z_.]+)\)/g, "replace(pg_get_indexdef($1), quote_ident(current_schema()) || '.', '')");
}

function referenceDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'schemaguard-bench-fleet-'));
  const source = join(ROOT, 'migrations');
  for (const f of readdirSync(source).filter((f) => /^\d+_.*\.sql$/.test(f) && !f.startsWith('0001_')))
    writeFileSync(join(dir, f), tenantForm(readFileSync(join(source, f), 'utf8')));
  return dir;
}

async function tenantDatabase(adminUrl: string, label: string, n: number): Promise<{ url: string; name: string; schemas: string[] }> {
  const db = await createDatabase(adminUrl, label);
  const schemas = Array.from({ length: n }, (_, k) => `tenant_${String(k).padStart(5, '0')}`);
  await withClient(db.url, (c) => c.query(schemas.map((s) => `CREATE SCHEMA ${s}`).join(';')));
  return { ...db, schemas };
}

export async function benchFleet(o: FleetBenchOptions): Promise<Record<string, unknown>> {
  const dir = referenceDir();
  const files = readdirSync(dir).length;
  try {
    const fleet = await tenantDatabase(o.adminUrl, 'fleet', o.tenants);
    let fleetMs: number;
    // The server's CPU for the fleet's files: what 2 cores cannot do faster than half of (BENCHMARKS.md, "fleet").
    const postmaster = await postmasterPid(o.adminUrl);
    let serverMs: number | undefined;
    try {
      const cpu0 = postmaster === undefined ? 0 : serverCpuMs(postmaster);
      o.onProgress(`fleet: ${o.tenants} tenant schemas x ${files} reference migrations, --fleet-concurrency ${o.concurrency}`);
      const r = await timeProcess(NODE, [
        CLI,
        'migrate',
        '--database-url',
        fleet.url,
        '--dir',
        dir,
        '--fleet-schemas',
        'tenant\\_%',
        '--fleet-concurrency',
        String(o.concurrency),
        '--json',
      ]);
      fleetMs = r.ms;
      // Its backends have ended once they read the goodbye: the postmaster has counted them after a moment.
      await new Promise((resolve) => setTimeout(resolve, 500));
      if (postmaster !== undefined) serverMs = serverCpuMs(postmaster) - cpu0;
      const out = JSON.parse(r.stdout || '{"tenants":[]}') as { tenants: { state: string; error?: unknown }[] };
      if (r.code !== 0 || out.tenants.length !== o.tenants || out.tenants.some((t) => t.state !== 'applied'))
        throw new Error(
          `fleet run: exit ${r.code}, not every tenant applied: ${JSON.stringify(out.tenants.filter((t) => t.state === 'failed')).slice(0, 2000)} ${r.stderr.slice(0, 1000)}`,
        );
      o.onProgress(
        `fleet: ${Math.round(fleetMs)} ms${serverMs === undefined ? '' : `, the server's CPU ${serverMs} ms (${Math.round(serverMs / o.tenants)} ms a tenant)`}`,
      );
    } finally {
      await dropDatabase(o.adminUrl, fleet.name);
    }
    const sample = Math.min(o.loopSample, o.tenants);
    const loop = await tenantDatabase(o.adminUrl, 'fleet_loop', sample);
    let loopMeasured = 0;
    try {
      for (const schema of loop.schemas) {
        const url = `${loop.url}?options=${encodeURIComponent(`-csearch_path=${schema}`)}`;
        const r = mustSucceed(
          'migrate (one tenant)',
          await timeProcess(NODE, [CLI, 'migrate', '--database-url', url, '--dir', dir, '--state-schema', schema, '--quiet']),
        );
        loopMeasured += r.ms;
      }
    } finally {
      await dropDatabase(o.adminUrl, loop.name);
    }
    const loopMs = (loopMeasured / sample) * o.tenants;
    o.onProgress(`fleet: a loop of single-tenant runs, ${sample} measured: ${Math.round(loopMeasured)} ms, ${Math.round(loopMs)} ms for ${o.tenants}`);
    return {
      tenants: o.tenants,
      migrations: files,
      concurrency: o.concurrency,
      wall_ms: Math.round(fleetMs),
      loop_ms: Math.round(loopMs),
      loop_measured: { tenants: sample, ms: Math.round(loopMeasured) },
      ratio_vs_loop: Math.round((fleetMs / loopMs) * 1000) / 1000,
      ...(serverMs === undefined ? {} : { server_cpu_ms: serverMs, server_cpu_ms_per_tenant: Math.round(serverMs / o.tenants) }),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
