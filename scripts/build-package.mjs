// Builds what an app that installs schemaguard imports:
//   dist/index.js   the constructs and stacks (lib/index.ts)      → `schemaguard`
//   dist/engine.js  the engine's programmatic API (lambda/api.ts) → `schemaguard/engine`
//   dist/types/     their declarations (tsc, tsconfig.build.json)
// CommonJS (dist/package.json says so), so both `require` and `import` load
// them on every supported Node.js; dependencies stay in node_modules
// (aws-cdk-lib and constructs are the app's own, as peer dependencies).
// Part of `npm run build` (scripts/build.mjs), run by `npm pack` (prepare).
import { build } from 'esbuild';
import { execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { writeIfChanged, writeOutputs } from './write-outputs.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dist = join(root, 'dist');

/** Entry point → output file, as package.json's `exports` names them. */
export const LIBRARY_ENTRIES = [
  { entry: join(root, 'lib', 'index.ts'), outfile: join(dist, 'index.js') },
  { entry: join(root, 'lambda', 'api.ts'), outfile: join(dist, 'engine.js') },
];

async function buildLibrary({ entry, outfile }) {
  writeOutputs(
    await build({
      entryPoints: [entry],
      outfile,
      absWorkingDir: root,
      bundle: true,
      platform: 'node',
      target: 'node20',
      format: 'cjs',
      packages: 'external',
      // lib/paths.ts finds the package root from its own URL; in CommonJS that is this file's.
      define: { 'import.meta.url': '__schemaguard_module_url' },
      banner: { js: 'const __schemaguard_module_url = require("node:url").pathToFileURL(__filename).href;' },
      logLevel: 'warning',
      write: false,
    }),
  );
}

/** The declarations of both entry points, into dist/types/ (tsc from the project's own devDependencies). */
function buildTypes() {
  // From empty: a declaration left by an earlier build (a module since moved into a folder of the
  // same name, as checks/lint.ts → checks/lint/) would shadow the new one in the packed tarball.
  rmSync(join(dist, 'types'), { recursive: true, force: true });
  const tsc = join(dirname(createRequire(import.meta.url).resolve('typescript/package.json')), 'bin', 'tsc');
  execFileSync(process.execPath, [tsc, '-p', join(root, 'tsconfig.build.json')], { cwd: root, stdio: 'inherit' });
}

export async function buildPackage() {
  for (const target of LIBRARY_ENTRIES) await buildLibrary(target);
  writeIfChanged(join(dist, 'package.json'), `${JSON.stringify({ type: 'commonjs' }, null, 2)}\n`);
  buildTypes();
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  await buildPackage();
}
