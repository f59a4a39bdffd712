/**
 * `schemaguard` — the CLI over the engine, every command. `main` takes argv
 * and an output sink and returns the exit code, so tests can run it
 * in-process (run-cli.ts: parse the arguments, run the command from
 * `commands/`, turn a failure into its exit code).
 */
import { runCommand } from './commands';
import { processIo, runCli, type Io } from './run-cli';

export { processIo, stderrLines, type Io } from './run-cli';

export function main(argv: string[], io: Io = processIo): Promise<number> {
  return runCli(argv, io, runCommand);
}
