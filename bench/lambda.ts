/**
 * The custom-resource handler as Lambda runs it: a minified esbuild bundle of
 * lambda/handler/index.ts (CommonJS, node20, `@aws-sdk/*` left to the Lambda
 * runtime — the NodejsFunction default), its size, the share each package
 * contributes (esbuild metafile), and the cold import time: a fresh `node`
 * process importing the bundle, median of runs.
 */
import { existsSync, mkdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { build, type Metafile, type Plugin } from 'esbuild';
import { ROOT } from './apply';
import { NODE, mustSucceed, timeProcess } from './lib/proc';
import { median, round } from './lib/stats';

export const HANDLER_ENTRY = join(ROOT, 'lambda', 'handler', 'index.ts');
/** Stand-in when the handler is absent: the engine and the pg driver it would bundle. */
export const ENGINE_ENTRY = join(ROOT, 'lambda', 'engine', 'runner.ts');
// Inside node_modules so the bundle resolves `@aws-sdk/*` from the project, as Lambda resolves it from the runtime.
const OUT_DIR = join(ROOT, 'node_modules', '.cache', 'schemaguard-bench');

export interface LambdaOptions {
  runs: number;
}

export interface LambdaResult {
  /** `lambda/handler/index.ts`, or the stand-in's entry points. */
  entry: string;
  stand_in: boolean;
  bundle_bytes: number;
  /** The same bundle with `@aws-sdk/*` included (if the runtime's SDK were not used). */
  bundle_with_sdk_bytes: number;
  /** Median time of `await import(bundle)` in a fresh node process. */
  cold_import_ms: number;
  /** Median wall time of that whole process (node start-up included). */
  cold_process_ms: number;
  /** Median cold import of the bundle that includes `@aws-sdk/*`. */
  cold_import_with_sdk_ms: number;
  /** Median cold import with `@aws-sdk/*` replaced by an empty stub: the cost of our code and pg alone. */
  cold_import_without_sdk_ms: number;
  /** Bytes in the bundle per package ('schemaguard' = our code), largest first. */
  shares: { package: string; bytes: number; percent: number }[];
  samples: { import: number[]; process: number[]; import_with_sdk: number[]; import_without_sdk: number[] };
}

export async function benchLambda(o: LambdaOptions): Promise<LambdaResult> {
  const standIn = !existsSync(HANDLER_ENTRY);
  const entryPoints = standIn ? [ENGINE_ENTRY, join(ROOT, 'lambda', 'driver', 'pg', 'pg-driver.ts')] : [HANDLER_ENTRY];
  mkdirSync(OUT_DIR, { recursive: true });
  const outfile = join(OUT_DIR, 'index.js');
  const metafile = await bundle(entryPoints, outfile, ['@aws-sdk/*']);
  const withSdk = join(OUT_DIR, 'with-sdk.js');
  await bundle(entryPoints, withSdk, []);
  // Our code and pg alone: the SDK replaced by a stub, to tell its import cost from ours.
  const withoutSdk = join(OUT_DIR, 'without-sdk.js');
  await bundle(entryPoints, withoutSdk, [], [stubSdk]);
  const bytes = statSync(outfile).size;

  const importer = (file: string) =>
    `const t = performance.now(); await import(${JSON.stringify(pathToFileURL(file).href)}); process.stdout.write(String(performance.now() - t));`;
  const samples = { import: [] as number[], process: [] as number[], import_with_sdk: [] as number[], import_without_sdk: [] as number[] };
  for (let run = 0; run < o.runs; run++) {
    const r = mustSucceed('node importing the bundle', await timeProcess(NODE, ['--input-type=module', '-e', importer(outfile)], { cwd: OUT_DIR }));
    samples.import.push(Number(r.stdout));
    samples.process.push(r.ms);
    const s = mustSucceed(
      'node importing the bundle with the SDK',
      await timeProcess(NODE, ['--input-type=module', '-e', importer(withSdk)], { cwd: OUT_DIR }),
    );
    samples.import_with_sdk.push(Number(s.stdout));
    const n = mustSucceed(
      'node importing the bundle without the SDK',
      await timeProcess(NODE, ['--input-type=module', '-e', importer(withoutSdk)], { cwd: OUT_DIR }),
    );
    samples.import_without_sdk.push(Number(n.stdout));
  }
  return {
    entry: standIn ? 'lambda/engine/runner.ts + lambda/driver/pg/pg-driver.ts (stand-in: lambda/handler/index.ts absent)' : 'lambda/handler/index.ts',
    stand_in: standIn,
    bundle_bytes: bytes,
    bundle_with_sdk_bytes: statSync(withSdk).size,
    cold_import_ms: round(median(samples.import)),
    cold_process_ms: round(median(samples.process)),
    cold_import_with_sdk_ms: round(median(samples.import_with_sdk)),
    cold_import_without_sdk_ms: round(median(samples.import_without_sdk)),
    shares: shares(metafile, bytes),
    samples: {
      import: samples.import.map((x) => round(x)),
      process: samples.process.map((x) => round(x)),
      import_with_sdk: samples.import_with_sdk.map((x) => round(x)),
      import_without_sdk: samples.import_without_sdk.map((x) => round(x)),
    },
  };
}

const stubSdk: Plugin = {
  name: 'stub-aws-sdk',
  setup(b) {
    b.onResolve({ filter: /^@aws-sdk\// }, (a) => ({ path: a.path, namespace: 'stub' }));
    b.onLoad({ filter: /.*/, namespace: 'stub' }, () => ({ contents: 'module.exports = new Proxy({}, { get: () => class {} });', loader: 'js' }));
  },
};

async function bundle(entryPoints: string[], outfile: string, external: string[], plugins: Plugin[] = []): Promise<Metafile> {
  const r = await build({
    entryPoints: entryPoints.length === 1 ? entryPoints : undefined,
    stdin:
      entryPoints.length === 1
        ? undefined
        : {
            contents: entryPoints.map((e, k) => `export * as m${k} from ${JSON.stringify(e)};`).join('\n'),
            resolveDir: ROOT,
            loader: 'ts',
          },
    outfile,
    bundle: true,
    minify: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    external,
    plugins,
    metafile: true,
    logLevel: 'error',
    legalComments: 'none',
  });
  return r.metafile;
}

function packageOf(input: string): string {
  const m = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(input);
  return m ? m[1]! : 'schemaguard';
}

function shares(meta: Metafile, total: number): LambdaResult['shares'] {
  const byPackage = new Map<string, number>();
  for (const out of Object.values(meta.outputs)) {
    for (const [input, { bytesInOutput }] of Object.entries(out.inputs)) {
      const p = packageOf(input);
      byPackage.set(p, (byPackage.get(p) ?? 0) + bytesInOutput);
    }
  }
  return [...byPackage.entries()].sort((a, b) => b[1] - a[1]).map(([p, bytes]) => ({ package: p, bytes, percent: round((100 * bytes) / total, 1) }));
}
