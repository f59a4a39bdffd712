/**
 * `npm run bench` — every benchmark in one run, on a PostgreSQL server the
 * run starts itself (embedded binaries), or `--database-url URL`.
 *
 *   npm run bench                 full sizes (1,000 migrations, 2,000,000 rows / appointments)
 *   npm run bench -- --quick      small sizes, under 3 minutes on 2 cores
 *   npm run bench -- --only apply,noop,startup,memory,online,race,guard,lambda,synth,backfill,lsp,fleet
 *   npm run bench -- --only backfill --rows 2000000 --writers 4   the backfill's size and its writers (default: 20,000,000, or 2,000,000 with --quick; 4)
 *   npm run bench -- --only backfill --autovacuum wraparound   the backfill's autovacuum bound (default: its own, pause)
 *   npm run bench -- --only fleet --tenants 1000 --fleet-concurrency 10   the fleet's size and concurrency (bench/fleet.ts)
 *   npm run bench -- --tmpfs      the server's data directory in /dev/shm (see lib/server.ts)
 *   npm run bench -- --latency-ms 1   apply and noop through a proxy that delays each way (lib/latency-proxy.ts)
 *   BENCH_NODE=/path/to/node npm run bench   the measured processes on another Node.js
 *
 * Progress lines first; the LAST line is one JSON object with every result.
 */
import { execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { benchApply, PSQL } from './apply';
import { benchBackfill } from './backfill';
import { AUTOVACUUM_BOUNDS, type AutovacuumBound } from '../lambda/engine/defaults';
import { benchFleet } from './fleet';
import { benchGuard } from './guard';
import { benchLambda } from './lambda';
import { benchLsp } from './lsp';
import { benchMemory } from './memory';
import { benchNoop } from './noop';
import { benchOnline } from './online';
import { benchOnlineFixes } from './online-fixes';
import { benchRace } from './race';
import { measuredEnv, NODE, nodeStartMs } from './lib/proc';
import { startLatencyProxy } from './lib/latency-proxy';
import { createDatabase, startBenchServer, dropDatabase, TMPFS_DIR } from './lib/server';
import { schemaguardWireRate } from './lib/wire-rate';
import { benchStartup } from './startup';
import { benchSynth } from './synth';

const ALL = ['apply', 'noop', 'startup', 'memory', 'online', 'race', 'guard', 'lambda', 'synth', 'backfill', 'lsp', 'fleet'] as const;
type Part = (typeof ALL)[number];

interface Sizes {
  migrations: number;
  applyRuns: number;
  noopRuns: number;
  startupRuns: number;
  rows: number;
  baselineMs: number;
  lambdaRuns: number;
  synthRuns: number;
  raceRunners: number;
  raceFiles: number;
  raceRows: number;
  guardRuns: number;
  lspChanges: number;
  backfillRows: number;
  tenants: number;
  loopSample: number;
}
const FULL: Sizes = {
  migrations: 1000,
  applyRuns: 5,
  noopRuns: 7,
  startupRuns: 7,
  rows: 2_000_000,
  baselineMs: 5000,
  lambdaRuns: 7,
  synthRuns: 3,
  raceRunners: 8,
  raceFiles: 42,
  raceRows: 1_000_000,
  guardRuns: 20,
  lspChanges: 60,
  backfillRows: 20_000_000,
  tenants: 1000,
  loopSample: 40,
};
const QUICK: Sizes = {
  migrations: 300,
  applyRuns: 3,
  noopRuns: 5,
  startupRuns: 5,
  rows: 300_000,
  baselineMs: 2000,
  lambdaRuns: 5,
  synthRuns: 1,
  raceRunners: 8,
  raceFiles: 42,
  raceRows: 100_000,
  guardRuns: 7,
  lspChanges: 20,
  backfillRows: 2_000_000,
  tenants: 100,
  loopSample: 10,
};

interface Args {
  quick: boolean;
  only: Set<Part>;
  databaseUrl?: string;
  tmpfs: boolean;
  latencyMs?: number;
  /** `--rows`, `--writers`: the backfill's table and its application connections. */
  rows?: number;
  writers?: number;
  /** `--autovacuum`: which autovacuum on the table pauses the backfill (its `autovacuum` bound). */
  autovacuum?: AutovacuumBound;
  /** `--tenants`, `--fleet-concurrency`: the fleet's size and its tenants at work at once. */
  tenants?: number;
  fleetConcurrency: number;
}

/** A whole number of at least `least`, or the usage. */
function count(flag: string, v: string, least: number): number {
  if (!/^\d+$/.test(v) || Number(v) < least) usage(`${flag}: "${v}" is not a whole number of at least ${least}`);
  return Number(v);
}

function parse(argv: string[]): Args {
  let rows: number | undefined;
  let writers: number | undefined;
  let autovacuum: AutovacuumBound | undefined;
  let tenants: number | undefined;
  let fleetConcurrency = 10;
  let quick = false;
  let tmpfs = false;
  let latencyMs: number | undefined;
  let only = new Set<Part>(ALL);
  let databaseUrl = process.env.BENCH_DATABASE_URL;
  for (let k = 0; k < argv.length; k++) {
    const a = argv[k]!;
    if (a === '--quick') quick = true;
    else if (a === '--only' || a.startsWith('--only=')) {
      const v = a.includes('=') ? a.slice(7) : (argv[++k] ?? '');
      const parts = v.split(',').filter(Boolean);
      const bad = parts.filter((p) => !(ALL as readonly string[]).includes(p));
      if (bad.length || !parts.length) usage(`--only: unknown part "${bad.join(',') || v}"; choose from ${ALL.join(',')}`);
      only = new Set(parts as Part[]);
    } else if (a === '--database-url') databaseUrl = argv[++k];
    else if (a === '--tmpfs') tmpfs = true;
    else if (a === '--rows') rows = count(a, argv[++k] ?? '', 1);
    else if (a === '--writers') writers = count(a, argv[++k] ?? '', 0);
    else if (a === '--autovacuum') {
      const v = argv[++k] ?? '';
      if (!(AUTOVACUUM_BOUNDS as readonly string[]).includes(v)) usage(`--autovacuum: "${v}" is not one of ${AUTOVACUUM_BOUNDS.join(', ')}`);
      autovacuum = v as AutovacuumBound;
    } else if (a === '--latency-ms') {
      const v = argv[++k] ?? '';
      latencyMs = Number(v);
      if (!/^\d+$/.test(v) || latencyMs < 1) usage(`--latency-ms: "${v}" is not a whole number of milliseconds of at least 1 (the delay each way)`);
    } else if (a === '--tenants') tenants = count(a, argv[++k] ?? '', 1);
    else if (a === '--fleet-concurrency') fleetConcurrency = count(a, argv[++k] ?? '', 1);
    else usage(`unknown argument "${a}"`);
  }
  if (tmpfs && databaseUrl) usage('--tmpfs places the server this run starts; it cannot move the one of --database-url');
  return { quick, only, databaseUrl, tmpfs, latencyMs, rows, writers, autovacuum, tenants, fleetConcurrency };
}

/** schemaguard's round trips through the proxy, per run and per file (two more runs, of a tenth of the files and of all). */
async function wireOf(proxy: NonNullable<Awaited<ReturnType<typeof startLatencyProxy>>>, adminUrl: string, migrations: number, say: (line: string) => void) {
  const fresh = async () => {
    const db = await createDatabase(adminUrl, 'wire');
    return { url: db.url, drop: () => dropDatabase(adminUrl, db.name) };
  };
  const rate = await schemaguardWireRate(proxy, fresh, Math.max(1, Math.round(migrations / 10)), migrations);
  say(
    `apply on the wire (schemaguard, counted by the proxy): ${rate.round_trips_per_run} round trips per run (${rate.handshake_round_trips} of them handshakes) + ${rate.round_trips_per_file} per file, ${rate.connections} connections`,
  );
  return rate;
}

function usage(message: string): never {
  process.stderr.write(
    `bench: ${message}\nusage: npm run bench -- [--quick] [--only ${ALL.join(',')}] [--tmpfs | --database-url URL] [--latency-ms N] [--rows N] [--writers N] [--autovacuum pause|wraparound|ignore] [--tenants N] [--fleet-concurrency N]\n`,
  );
  process.exit(2);
}

function psqlVersion(): string | null {
  try {
    return execFileSync(PSQL, ['--version']).toString().trim();
  } catch {
    return null;
  }
}

async function main(): Promise<void> {
  const args = parse(process.argv.slice(2));
  const sizes = args.quick ? QUICK : FULL;
  const say = (line: string) => process.stdout.write(`[bench] ${line}\n`);
  const started = performance.now();
  const out: Record<string, unknown> = {
    mode: args.quick ? 'quick' : 'full',
    machine: {
      cores: cpus().length,
      cpu: cpus()[0]?.model,
      ram_gb: Math.round(totalmem() / 2 ** 30),
      node: NODE === process.execPath ? process.version : execFileSync(NODE, ['--version']).toString().trim(),
      psql: psqlVersion(),
      loadavg_at_start: loadavg().map((x) => Math.round(x * 100) / 100),
    },
  };
  const machine = out.machine as Record<string, unknown>;
  machine.node_start_ms = await nodeStartMs(measuredEnv());
  if (process.env.NODE_EXTRA_CA_CERTS !== undefined) {
    machine.node_extra_ca_certs_ms = Math.round(((await nodeStartMs(process.env)) - (machine.node_start_ms as number)) * 10) / 10;
    say(`NODE_EXTRA_CA_CERTS is set: it adds ${machine.node_extra_ca_certs_ms} ms to every Node start here; the measured processes run without it`);
  }
  // Every process the parts below start inherits this.
  process.env = measuredEnv();
  say(`node start (node -e 0): ${machine.node_start_ms} ms`);
  const needsDb = ['apply', 'noop', 'startup', 'memory', 'online', 'race', 'guard', 'backfill', 'fleet'].some((p) => args.only.has(p as Part));
  const server = needsDb ? await startBenchServer(args.databaseUrl, { tmpfs: args.tmpfs }) : undefined;
  // Ctrl-C: stop the server this run started and remove its data directory.
  process.once('SIGINT', () => {
    void (server?.stop() ?? Promise.resolve()).finally(() => process.exit(130));
  });
  try {
    if (server) {
      machine.server = server.version;
      machine.data_directory = args.databaseUrl ? 'the server of --database-url' : args.tmpfs ? `${TMPFS_DIR} (tmpfs, --tmpfs)` : 'the OS temp directory';
      say(`server: ${server.version}, data directory in ${machine.data_directory}`);
    }
    if (server && (args.only.has('apply') || args.only.has('noop'))) {
      const proxy = args.latencyMs ? await startLatencyProxy(server.adminUrl, args.latencyMs) : undefined;
      try {
        const latency = proxy ? { latency_ms_each_way: proxy.oneWayMs } : {};
        say(
          `apply: ${sizes.migrations} migrations x ${sizes.applyRuns} runs (schemaguard, psql floor, node-pg-migrate, dbmate)${proxy ? `, every tool through a proxy that delays each way ${proxy.oneWayMs} ms` : ''}`,
        );
        const apply = await benchApply({ adminUrl: server.adminUrl, migrations: sizes.migrations, runs: sizes.applyRuns, onRun: say, via: proxy?.url });
        const { applied, ...rest } = apply;
        if (args.only.has('apply'))
          out.apply = { ...rest, ...latency, ...(proxy ? { wire: await wireOf(proxy, server.adminUrl, sizes.migrations, say) } : {}) };
        try {
          if (args.only.has('noop')) {
            say(`noop: ${sizes.migrations} applied, ${sizes.noopRuns} runs`);
            const { statements, ...noop } = await benchNoop({ url: proxy ? proxy.url(applied.url) : applied.url, dir: applied.dir, runs: sizes.noopRuns });
            say(`noop round trips: ${statements.join(' | ')}`);
            out.noop = { ...noop, ...latency };
          }
        } finally {
          await dropDatabase(server.adminUrl, applied.name);
          rmSync(applied.dir, { recursive: true, force: true });
        }
      } finally {
        await proxy?.close();
      }
    }
    if (server && args.only.has('startup')) {
      say(`startup: ${sizes.migrations} migrations to a fresh database x ${sizes.startupRuns} runs, each step of the start-up traced; then a no-op`);
      out.startup = await benchStartup({ adminUrl: server.adminUrl, migrations: sizes.migrations, runs: sizes.startupRuns, onRun: say });
    }
    if (server && args.only.has('memory')) {
      say(
        'memory: one 16 MiB migration (the size limit) of single-row INSERTs: migrate, lint and plan --offline (3 runs each, the highest peak), psql; then one INSERT, one function body, SELECT 1 lines',
      );
      out.memory = await benchMemory({ adminUrl: server.adminUrl, onProgress: say });
    }
    if (server && args.only.has('online')) {
      say(`online: ${sizes.rows} rows${args.quick ? ' (quick: the full run uses 2,000,000)' : ''}, 4 application connections`);
      const online = await benchOnline({ adminUrl: server.adminUrl, rows: sizes.rows, baselineMs: sizes.baselineMs, onProgress: say });
      say(`online.fixes: migrations/ on the drifted database, ${sizes.rows} appointments, 4 application connections (online forms, then the in-place texts)`);
      out.online = {
        ...online,
        fixes: await benchOnlineFixes({ adminUrl: server.adminUrl, appointments: sizes.rows, baselineMs: sizes.baselineMs, onProgress: say }),
      };
    }
    if (server && args.only.has('race')) {
      say(`race: ${sizes.raceRunners} migrate processes at once, ${sizes.raceFiles} files ending in CREATE INDEX CONCURRENTLY on ${sizes.raceRows} rows`);
      out.race = await benchRace({ adminUrl: server.adminUrl, runners: sizes.raceRunners, files: sizes.raceFiles, rows: sizes.raceRows, onProgress: say });
    }
    if (server && args.only.has('guard')) out.guard = await benchGuard({ adminUrl: server.adminUrl, runs: sizes.guardRuns, onProgress: say });
    if (server && args.only.has('backfill')) {
      const rows = args.rows ?? sizes.backfillRows;
      const autovacuum = args.autovacuum ? `, autovacuum: ${args.autovacuum}` : '';
      say(`backfill: ${rows} rows, ${args.writers ?? 4} writers${autovacuum}; one plain UPDATE of the same rows is the floor`);
      out.backfill = await benchBackfill({ adminUrl: server.adminUrl, rows, writers: args.writers, autovacuum: args.autovacuum, onProgress: say });
    }
    if (server && args.only.has('fleet'))
      out.fleet = await benchFleet({
        adminUrl: server.adminUrl,
        tenants: args.tenants ?? sizes.tenants,
        concurrency: args.fleetConcurrency,
        loopSample: sizes.loopSample,
        onProgress: say,
      });
  } finally {
    await server?.stop();
  }
  if (args.only.has('lambda')) {
    say(`lambda: bundle + ${sizes.lambdaRuns} cold imports`);
    out.lambda = await benchLambda({ runs: sizes.lambdaRuns });
  }
  if (args.only.has('synth')) {
    say('synth: cdk synth on a fresh copy');
    out.synth = await benchSynth({ runs: sizes.synthRuns });
  }
  if (args.only.has('lsp')) {
    say(`lsp: change to diagnostics, a 100- and a 1,000-line migration open, ${sizes.lspChanges} keystrokes each`);
    out.lsp = await benchLsp({ changes: sizes.lspChanges, onProgress: say });
  }
  out.total_s = Math.round((performance.now() - started) / 100) / 10;
  process.stdout.write(`${JSON.stringify(out)}\n`);
}

main().catch((e) => {
  process.stderr.write(`bench failed: ${e instanceof Error ? e.stack : String(e)}\n`);
  process.exit(1);
});
