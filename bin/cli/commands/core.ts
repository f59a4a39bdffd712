/**
 * The commands of a deploy and its CI gate (`migrate`, `status`), and the
 * others that need neither the SQL parser nor a catalog reader (`new`,
 * `baseline`, `repair`), with help and version: the command table of
 * dist/schemaguard-core.cjs (bin/schemaguard-core.ts), which the executable
 * runs when the first argument is one of these (the registry's
 * CORE_COMMANDS, ../core-commands.json). `index.ts` adds the rest. Kept
 * apart from theirs because esbuild bundles every module a table can load.
 */
import { helpText, VERSION } from '../args';
import { UsageError } from '../errors';
import type { Command } from '../registry';
import type { CommandContext, ContextOf } from './context';

/** A command's code, given its own options only (ContextOf); help and version, the whole parse. */
export type CommandRun<C extends Command | undefined = undefined> = (ctx: C extends Command ? ContextOf<C> : CommandContext) => Promise<number>;
/** Each command's loader, by name: the compiler refuses one whose code reads options its command does not take. */
export type CommandTable = { [C in Command]?: () => Promise<CommandRun<C>> } & { help?: () => Promise<CommandRun>; version?: () => Promise<CommandRun> };

export const CORE_COMMAND_RUNS = {
  help: async () => async (ctx) => {
    ctx.out(helpText(VERSION, ctx.opts.helpFor));
    return 0;
  },
  version: async () => async (ctx) => {
    ctx.out(VERSION);
    return 0;
  },
  status: async () => (await import('./status')).statusCommand,
  migrate: async () => (await import('./migrate')).migrateCommand,
  new: async () => (await import('./new')).newCommand,
  baseline: async () => (await import('./baseline')).baselineCommand,
  repair: async () => (await import('./repair')).repairCommand,
} satisfies CommandTable;

/** Runs the command `ctx.opts` names from `table`; with --function, in the deployed migration function (remote.ts). */
export function commandRunner(table: CommandTable): (ctx: CommandContext) => Promise<number> {
  return async (ctx) => {
    if (ctx.opts.functionName !== undefined && ctx.opts.command !== 'help' && ctx.opts.command !== 'version')
      return (await import('./remote')).remoteCommand(ctx);
    if (ctx.opts.actor !== undefined)
      throw new UsageError('--actor names who asks the deployed function, and --function is not given', {
        fix: 'add --function NAME, or drop --actor (a local run records SCHEMAGUARD_APPLIED_BY, else cli:USER@HOST)',
      });
    const load = table[ctx.opts.command];
    // The executable picks this bundle only for its own commands.
    if (!load) throw new Error(`this bundle of the CLI has no "${ctx.opts.command}" command (bin/schemaguard.cjs picks the bundle by the first argument)`);
    return (await load())(ctx);
  };
}

export const runCoreCommand = commandRunner(CORE_COMMAND_RUNS);
