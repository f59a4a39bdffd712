/**
 * The CLI with the commands of a deploy only (commands/core.ts): what
 * dist/schemaguard-core.cjs holds. `mainCore` behaves as `main` for those
 * commands.
 */
import { runCoreCommand } from './commands/core';
import { processIo, runCli, type Io } from './run-cli';

export function mainCore(argv: string[], io: Io = processIo): Promise<number> {
  return runCli(argv, io, runCoreCommand);
}
