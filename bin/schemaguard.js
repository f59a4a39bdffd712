#!/usr/bin/env node
// The `schemaguard` executable: runs the bundled CLI, building it first when
// the bundle is missing (a fresh clone where `npm install` skipped `prepare`).
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const bundle = join(root, 'dist', 'schemaguard.mjs');
if (!existsSync(bundle)) {
  const { buildCli } = await import(pathToFileURL(join(root, 'scripts', 'build-cli.mjs')).href);
  await buildCli();
}
await import(pathToFileURL(bundle).href);
