/**
 * What `migrate`'s start-up is made of, part by part, each in fresh
 * processes (the start-up runs cold: V8 has compiled nothing yet):
 *
 *   node_ms        `node -e 0`: Node.js itself
 *   load_ms        `schemaguard --version` (the executable and its bundle,
 *                  loaded; the quickest command), less node_ms
 *   core_load_ms   `schemaguard migrate --version`: the same through the core
 *                  bundle, which the executable runs for the commands of a
 *                  deploy (dist/schemaguard-core.cjs), less node_ms
 *   read_ms        reading `--migrations` small files as `migrate` does (read,
 *                  UTF-8 and NUL checked, hashed; parsing deferred), cold
 *   parse_ms       parsing them all after that, cold; `warm_parse_ms` the same
 *                  parse once more in the same process (V8's compiled code)
 *
 * The connections, the runner lock and the state are not here: they wait on
 * a server (`apply.schemaguard_phases` in `npm run bench` has the whole).
 *
 *   npx tsx bench/startup-parts.ts [--migrations 1000] [--runs 9]
 *
 * The last line is one JSON object.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { CLI, ROOT } from './apply';
import { generateMigrations } from './lib/generate';
import { measuredEnv, mustSucceed, NODE, timeProcess } from './lib/proc';
import { median, round } from './lib/stats';

function option(argv: string[], name: string): string | undefined {
  const k = argv.indexOf(name);
  return k >= 0 ? argv[k + 1] : undefined;
}

export interface StartupParts {
  node: string;
  migrations: number;
  runs: number;
  node_ms: number;
  load_ms: number;
  core_load_ms: number;
  read_ms: number;
  parse_ms: number;
  warm_read_ms: number;
  warm_parse_ms: number;
}

export async function benchStartupParts(o: { migrations: number; runs: number }): Promise<StartupParts> {
  const env = measuredEnv();
  const { dir } = generateMigrations(o.migrations);
  const samples = {
    node: [] as number[],
    load: [] as number[],
    coreLoad: [] as number[],
    read: [] as number[],
    parse: [] as number[],
    warmRead: [] as number[],
    warmParse: [] as number[],
  };
  try {
    for (let k = 0; k < o.runs; k++) {
      samples.node.push(mustSucceed('node -e 0', await timeProcess(NODE, ['-e', '0'], { env })).ms);
      samples.load.push(mustSucceed('schemaguard --version', await timeProcess(NODE, [CLI, '--version'], { env })).ms);
      samples.coreLoad.push(mustSucceed('schemaguard migrate --version', await timeProcess(NODE, [CLI, 'migrate', '--version'], { env })).ms);
      const child = mustSucceed(
        'read and parse',
        await timeProcess(NODE, ['--import', 'tsx', join(ROOT, 'bench', 'lib', 'startup-child.ts'), dir], { env, cwd: ROOT }),
      );
      const r = JSON.parse(child.stdout.trim().split('\n').at(-1)!) as {
        cold_read_ms: number;
        cold_parse_ms: number;
        warm_read_ms: number;
        warm_parse_ms: number;
      };
      samples.read.push(r.cold_read_ms);
      samples.parse.push(r.cold_parse_ms);
      samples.warmRead.push(r.warm_read_ms);
      samples.warmParse.push(r.warm_parse_ms);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const node = median(samples.node);
  return {
    node: process.version,
    migrations: o.migrations,
    runs: o.runs,
    node_ms: round(node),
    load_ms: round(median(samples.load) - node),
    core_load_ms: round(median(samples.coreLoad) - node),
    read_ms: round(median(samples.read)),
    parse_ms: round(median(samples.parse)),
    warm_read_ms: round(median(samples.warmRead)),
    warm_parse_ms: round(median(samples.warmParse)),
  };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const argv = process.argv.slice(2);
  const r = await benchStartupParts({ migrations: Number(option(argv, '--migrations') ?? 1000), runs: Number(option(argv, '--runs') ?? 9) });
  process.stdout.write(`${JSON.stringify(r)}\n`);
}
