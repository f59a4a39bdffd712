/**
 * Entry point of the `schemaguard` CLI for the commands of a deploy —
 * migrate, status, new, baseline, repair (bin/cli/commands/core.ts) —
 * bundled to dist/schemaguard-core.cjs, about half of dist/schemaguard.cjs:
 * bin/schemaguard.cjs runs it when the first argument is one of them, and
 * Node.js compiles half the code (the "Two bundles" run in BENCHMARKS.md's history, git log -p BENCHMARKS.md).
 */
import { mainCore } from './cli/main-core';
import { runAsProcess } from './cli/run-cli';

runAsProcess(mainCore);
