/**
 * What the compile cache saves a whole CLI process (Node's module compile
 * cache on Node.js 22.8+, turned on by bin/schemaguard.cjs; before that, the
 * launcher's own, bin/code-cache.cjs): the no-op `migrate` of
 * `--migrations` applied files, run in pairs — once with
 * NODE_DISABLE_COMPILE_CACHE=1, once without — so the machine's changing
 * speed hits both alike. Medians, and the median of the pairs' differences.
 *
 *   npx tsx bench/compile-cache.ts --node /path/to/node22 [--pairs 20] [--migrations 300] [--database-url URL]
 *
 * `--node` defaults to BENCH_NODE, then this Node.js; both caches read the
 * same two variables. The cache goes to a directory of its own, removed
 * after. The last line is one JSON object.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { CLI } from './apply';
import { generateMigrations } from './lib/generate';
import { measuredEnv, mustSucceed, NODE, timeProcess } from './lib/proc';
import { createDatabase, dropDatabase, startBenchServer } from './lib/server';
import { median, round } from './lib/stats';

function option(argv: string[], name: string): string | undefined {
  const k = argv.indexOf(name);
  return k >= 0 ? argv[k + 1] : undefined;
}

export interface CompileCacheResult {
  node: string;
  migrations: number;
  pairs: number;
  without_cache_ms: number;
  with_cache_ms: number;
  /** Median of (without − with) over the pairs. */
  saved_ms: number;
  samples: { without: number[]; with: number[] };
}

/** `pairs` no-op runs of each kind, in turn, with `node` against the database `url` where every file of `dir` is applied. */
export async function benchCompileCache(o: { node: string; url: string; dir: string; migrations: number; pairs: number }): Promise<CompileCacheResult> {
  const cacheDir = mkdtempSync(join(tmpdir(), 'schemaguard-compile-cache-'));
  const { NODE_DISABLE_COMPILE_CACHE: _off, ...base } = measuredEnv();
  const env = { with: { ...base, NODE_COMPILE_CACHE: cacheDir }, without: { ...base, NODE_DISABLE_COMPILE_CACHE: '1' } };
  const samples = { without: [] as number[], with: [] as number[] };
  const run = async (kind: 'with' | 'without') =>
    mustSucceed(
      `schemaguard migrate (no-op, ${kind} the cache)`,
      await timeProcess(o.node, [CLI, 'migrate', '--database-url', o.url, '--dir', o.dir, '--quiet'], { env: env[kind] }),
    ).ms;
  try {
    await run('with'); // fills the cache, unmeasured
    for (let k = 0; k < o.pairs; k++) {
      samples.without.push(await run('without'));
      samples.with.push(await run('with'));
    }
  } finally {
    rmSync(cacheDir, { recursive: true, force: true });
  }
  return {
    node: execFileSync(o.node, ['--version']).toString().trim(),
    migrations: o.migrations,
    pairs: o.pairs,
    without_cache_ms: round(median(samples.without)),
    with_cache_ms: round(median(samples.with)),
    saved_ms: round(median(samples.without.map((x, k) => x - samples.with[k]!))),
    samples: { without: samples.without.map((x) => round(x)), with: samples.with.map((x) => round(x)) },
  };
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const node = option(argv, '--node') ?? NODE;
  const pairs = Number(option(argv, '--pairs') ?? 20);
  const migrations = Number(option(argv, '--migrations') ?? 300);
  if (!Number.isInteger(pairs) || pairs < 1 || !Number.isInteger(migrations) || migrations < 1) {
    throw new Error(`--pairs and --migrations take positive integers (got ${pairs}, ${migrations})`);
  }
  const server = await startBenchServer(option(argv, '--database-url') ?? process.env.BENCH_DATABASE_URL);
  const { dir } = generateMigrations(migrations);
  const db = await createDatabase(server.adminUrl, 'compile_cache');
  try {
    mustSucceed('schemaguard migrate', await timeProcess(NODE, [CLI, 'migrate', '--database-url', db.url, '--dir', dir, '--quiet'], { env: measuredEnv() }));
    process.stdout.write(`${JSON.stringify(await benchCompileCache({ node, url: db.url, dir, migrations, pairs }))}\n`);
  } finally {
    await dropDatabase(server.adminUrl, db.name);
    rmSync(dir, { recursive: true, force: true });
    await server.stop();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await main();
