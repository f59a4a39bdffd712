// `npm run build`: every bundle in dist/. With arguments, only the parts named:
//   node scripts/build.mjs handler      (cdk.json runs this before each synth)
//   node scripts/build.mjs cli handler package
//   node scripts/build.mjs prepare      (npm's `prepare`: gitDependencyBuild says what it builds)
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { buildCli } from './build-cli.mjs';
import { buildHandler } from './build-handler.mjs';
import { buildPackage } from './build-package.mjs';
import { strip } from './publish-manifest.mjs';

export const PARTS = { cli: buildCli, handler: buildHandler, package: buildPackage };

/**
 * Whether npm runs `prepare` to make this repository a git dependency
 * (`npm install github:owner/schemaguard`): npm (pacote) runs it in a clone
 * with `npm_package_resolved` set, then packs the clone's files as they are,
 * without prepack. The package must then be built whole (the constructs'
 * dist/index.js and the declarations too, not only the CLI and the handler a
 * clone's own `npm install` needs), and its manifest stripped of the scripts
 * that run files it does not ship, as `npm run tarball` packs it (in that
 * clone, which npm throws away after packing it).
 */
export function gitDependencyBuild(env = process.env) {
  return env.npm_package_resolved !== undefined && env.npm_lifecycle_event === 'prepare';
}

/** `prepare`: in a clone, what running it needs; as a git dependency, everything, then the published manifest. */
async function prepare() {
  if (!gitDependencyBuild()) return buildAll(['cli', 'handler']);
  await buildAll();
  strip(join(dirname(fileURLToPath(import.meta.url)), '..'));
}

export async function buildAll(names = Object.keys(PARTS)) {
  for (const name of names) {
    const part = PARTS[name];
    if (!part) throw new Error(`scripts/build.mjs: unknown part "${name}"; the parts are ${Object.keys(PARTS).join(', ')}`);
    await part();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  try {
    if (process.argv[2] === 'prepare') await prepare();
    else await buildAll(process.argv.length > 2 ? process.argv.slice(2) : undefined);
  } catch (e) {
    process.stderr.write(`${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(1);
  }
}
