/** Entry point of the `schemaguard` CLI, every command (bundled to dist/schemaguard.cjs, run by bin/schemaguard.cjs). */
import { main } from './cli/main';
import { runAsProcess } from './cli/run-cli';

runAsProcess(main);
