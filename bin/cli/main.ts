/**
 * `schemaguard` — the CLI over the engine, every command. `main` takes argv
 * and an output sink and returns the exit code, so tests can run it
 * in-process (run-cli.ts: parse the arguments, run the command from
 * `commands/`, turn a failure into its exit code).
 */
import { runCommand } from './commands';
import type { ReportingCommand } from './output/rules';
import { processIo, runCli, type Io } from './run-cli';

export { processIo, stderrLines, type Io } from './run-cli';

export function main(argv: string[], io: Io = processIo): Promise<number> {
  // --format sarif is taken only by the commands that report findings (args.ts refuses it elsewhere).
  // Loaded only then: migrate and status never load the rule descriptions (commands/index.test.ts).
  return runCli(argv, io, runCommand, async (command, error, baseDir) =>
    (await import('./output/sarif')).sarifErrorLog(command as ReportingCommand, error, baseDir),
  );
}
