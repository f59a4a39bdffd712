#!/usr/bin/env node
// The `schemaguard` executable: runs the bundled CLI, building it first when
// the bundle is missing (a fresh clone where `npm install` skipped `prepare`).
import module from 'node:module';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

// Node.js 22.8+ keeps V8's compiled code of the bundle on disk and reuses it
// while the files are unchanged (about 7 ms less per run, BENCHMARKS.md): in
// NODE_COMPILE_CACHE, or node-compile-cache in the OS temp directory;
// NODE_DISABLE_COMPILE_CACHE=1 turns it off. It never throws; Node.js 20 lacks it.
module.enableCompileCache?.();

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const bundle = join(root, 'dist', 'schemaguard.mjs');
if (!existsSync(bundle)) {
  const { buildCli } = await import(pathToFileURL(join(root, 'scripts', 'build-cli.mjs')).href);
  await buildCli();
}
await import(pathToFileURL(bundle).href);
