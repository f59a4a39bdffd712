/**
 * Every command's code, by name. `main` parses the arguments and hands over
 * here; each command reads its files before it reaches a database and
 * returns its exit code. A new command is an entry in the registry
 * (../registry.ts), a module in this folder and a line below (or in core.ts
 * and ../core-commands.json, when a deploy runs it and it needs no SQL
 * parser); the compiler refuses a command without its line.
 *
 * Each command's module runs only when that command does, so `migrate` and
 * `status` never run the linter, the SQL parser's glue, the lock tables or
 * the doctor; in this bundle Node.js still compiles them, which the core
 * bundle (core.ts) spares the commands of a deploy.
 */
import { keepParseTreesYoung } from '../heap';
import { commandRunner, CORE_COMMAND_RUNS, type CommandTable } from './core';

export type { CommandRun } from './core';

export const COMMAND_RUNS = {
  ...CORE_COMMAND_RUNS,
  plan: async () => {
    await keepParseTreesYoung();
    return (await import('./plan')).planCommand;
  },
  lint: async () => {
    await keepParseTreesYoung();
    return (await import('./lint')).lintCommand;
  },
  check: async () => (await import('./check')).checkCommand,
  diff: async () => (await import('./diff')).diffCommand,
  snapshot: async () => (await import('./snapshot')).snapshotCommand,
  doctor: async () => (await import('./doctor')).doctorCommand,
  guard: async () => (await import('./guard')).guardCommand,
  capture: async () => (await import('./capture')).captureCommand,
  init: async () => (await import('./init')).initCommand,
  lsp: async () => {
    await keepParseTreesYoung();
    return (await import('./lsp')).lspCommand;
  },
} satisfies Required<CommandTable>;

export const runCommand = commandRunner(COMMAND_RUNS);

export type { CommandContext } from './context';
