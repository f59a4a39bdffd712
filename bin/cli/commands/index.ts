/**
 * Every command, by name. `main` parses the arguments and hands over here;
 * each command reads its files before it reaches a database and returns its
 * exit code. A new command is a module in this folder and a line below.
 */
import { helpText, VERSION, type CliOptions } from '../args';
import { baselineCommand } from './baseline';
import { captureCommand } from './capture';
import { checkCommand } from './check';
import type { CommandContext } from './context';
import { diffCommand } from './diff';
import { doctorCommand } from './doctor';
import { guardCommand } from './guard';
import { lintCommand } from './lint';
import { migrateCommand } from './migrate';
import { newCommand } from './new';
import { planCommand } from './plan';
import { repairCommand } from './repair';
import { statusCommand } from './status';

export type CommandRun = (ctx: CommandContext) => Promise<number>;

export const COMMAND_RUNS: Record<CliOptions['command'], CommandRun> = {
  help: async (ctx) => { ctx.out(helpText(VERSION)); return 0; },
  version: async (ctx) => { ctx.out(VERSION); return 0; },
  plan: planCommand,
  status: statusCommand,
  migrate: migrateCommand,
  lint: lintCommand,
  check: checkCommand,
  diff: diffCommand,
  doctor: doctorCommand,
  guard: guardCommand,
  capture: captureCommand,
  new: newCommand,
  baseline: baselineCommand,
  repair: repairCommand,
};

export function runCommand(ctx: CommandContext): Promise<number> {
  return COMMAND_RUNS[ctx.opts.command](ctx);
}

export type { CommandContext } from './context';
