/**
 * Every command, by name. `main` parses the arguments and hands over here;
 * each command reads its files before it reaches a database and returns its
 * exit code. A new command is a module in this folder and a line below.
 *
 * Each command's module is imported only when that command runs: the bundle
 * splits along these imports, so `migrate` and `status` never load (nor
 * compile) the linter, the SQL parser's glue, the lock tables or the doctor.
 */
import { helpText, VERSION, type CliOptions } from '../args';
import { keepParseTreesYoung } from '../heap';
import type { CommandContext } from './context';

export type CommandRun = (ctx: CommandContext) => Promise<number>;

export const COMMAND_RUNS: Record<CliOptions['command'], () => Promise<CommandRun>> = {
  help: async () => async (ctx) => { ctx.out(helpText(VERSION)); return 0; },
  version: async () => async (ctx) => { ctx.out(VERSION); return 0; },
  plan: async () => { await keepParseTreesYoung(); return (await import('./plan')).planCommand; },
  status: async () => (await import('./status')).statusCommand,
  migrate: async () => (await import('./migrate')).migrateCommand,
  lint: async () => { await keepParseTreesYoung(); return (await import('./lint')).lintCommand; },
  check: async () => (await import('./check')).checkCommand,
  diff: async () => (await import('./diff')).diffCommand,
  doctor: async () => (await import('./doctor')).doctorCommand,
  guard: async () => (await import('./guard')).guardCommand,
  capture: async () => (await import('./capture')).captureCommand,
  new: async () => (await import('./new')).newCommand,
  baseline: async () => (await import('./baseline')).baselineCommand,
  repair: async () => (await import('./repair')).repairCommand,
};

export async function runCommand(ctx: CommandContext): Promise<number> {
  const run = await COMMAND_RUNS[ctx.opts.command]();
  return run(ctx);
}

export type { CommandContext } from './context';
