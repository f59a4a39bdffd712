// `npm run build` (also `prepare`, so `npm install` and `npm pack` run it):
// every bundle in dist/. With arguments, only the parts named:
//   node scripts/build.mjs handler      (cdk.json runs this before each synth)
//   node scripts/build.mjs cli handler package
import { pathToFileURL } from 'node:url';
import { buildCli } from './build-cli.mjs';
import { buildHandler } from './build-handler.mjs';
import { buildPackage } from './build-package.mjs';

export const PARTS = { cli: buildCli, handler: buildHandler, package: buildPackage };

export async function buildAll(names = Object.keys(PARTS)) {
  for (const name of names) {
    const part = PARTS[name];
    if (!part) throw new Error(`scripts/build.mjs: unknown part "${name}"; the parts are ${Object.keys(PARTS).join(', ')}`);
    await part();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  try {
    await buildAll(process.argv.length > 2 ? process.argv.slice(2) : undefined);
  } catch (e) {
    process.stderr.write(`${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(1);
  }
}
