#!/usr/bin/env node
'use strict';
// The `schemaguard` executable: runs the bundled CLI (dist/schemaguard.cjs,
// or dist/schemaguard-core.cjs for the commands of a deploy),
// building it first when the bundle is missing (a fresh clone where `npm
// install` skipped `prepare`). CommonJS: Node.js starts it without its ES
// module loader (scripts/build-cli.mjs says what that saves).
const { enableCompileCache } = require('node:module');
const { existsSync } = require('node:fs');
const { join } = require('node:path');

// Node.js 22.8+ keeps V8's compiled code of the bundle on disk and reuses it
// while the files are unchanged (about 7 ms less per run, BENCHMARKS.md): in
// NODE_COMPILE_CACHE, or node-compile-cache in the OS temp directory;
// NODE_DISABLE_COMPILE_CACHE=1 turns it off. It never throws. Before Node.js
// 22.8, bin/code-cache.cjs keeps V8's code of the bundle itself.
enableCompileCache?.();

const root = join(__dirname, '..');
// The commands of a deploy have a bundle of their own, about half the code
// for Node.js to compile (bin/schemaguard-core.ts); every other form of the
// command line (flags first, help, the other commands) runs the whole CLI.
// The CLI's command registry (bin/cli/registry.ts) reads the same list.
const CORE_COMMANDS = require('./cli/core-commands.json');
const core = join(root, 'dist', 'schemaguard-core.cjs');
const whole = join(root, 'dist', 'schemaguard.cjs');
const bundle = CORE_COMMANDS.includes(process.argv[2]) && existsSync(core) ? core : whole;
const run = (file) => (enableCompileCache ? require(file) : require('./code-cache.cjs').runBundle(file));
if (existsSync(bundle)) {
  run(bundle);
} else {
  import(require('node:url').pathToFileURL(join(root, 'scripts', 'build-cli.mjs')).href)
    .then((m) => m.buildCli())
    .then(() => run(bundle), (e) => {
      process.stderr.write(`schemaguard: cannot build the CLI bundle (${e instanceof Error ? e.message : String(e)}); run npm run build\n`);
      process.exit(1);
    });
}
