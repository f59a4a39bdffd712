/**
 * Each command's code sees only the options its registry entry's groups hold
 * (registry.ts: OPTION_TAKERS; options.ts: the groups), and the parser takes a
 * flag on exactly the commands that take its group. The `@ts-expect-error`
 * lines are the proof that a command cannot read a foreign option: `npx tsc
 * --noEmit` (which covers test/) fails if any of them compiles.
 */
import { describe, expect, expectTypeOf, it } from 'vitest';
import { FLAGS, parseArgs, type CliOptions, type FlagSpec, type OptionsOf } from '../../../bin/cli/args';
import { UsageError } from '../../../bin/cli/errors';
import type { CommandTable } from '../../../bin/cli/commands/core';
import type { ContextOf } from '../../../bin/cli/commands/context';
import { groupOf, type CommonOptions, type GroupKeys, type OptionGroup } from '../../../bin/cli/options';
import { commandSpec, COMMANDS, OPTION_TAKERS, type Command } from '../../../bin/cli/registry';

/** Type-checked by tsc, never called: what each command's code may read. */
export function typeProof(
  status: ContextOf<'status'>,
  migrate: ContextOf<'migrate'>,
  check: ContextOf<'check'>,
  snapshot: ContextOf<'snapshot'>,
  init: ContextOf<'init'>,
): unknown[] {
  return [
    // Its own groups, and the common options.
    status.opts.exitCode,
    status.opts.allowAhead,
    status.opts.dir,
    status.opts.stateSchema,
    status.opts.databaseUrl,
    status.opts.format,
    migrate.opts.lockTimeoutMs,
    migrate.opts.standbyWaitMs,
    migrate.opts.replicationPlanned,
    migrate.opts.lockWaitMs,
    check.opts.contractsDir,
    check.opts.snapshot,
    // @ts-expect-error status takes no --offline (plan's group)
    status.opts.offline,
    // @ts-expect-error status takes no --lock-timeout (migrate's apply group)
    status.opts.lockTimeoutMs,
    // @ts-expect-error migrate takes no --contracts
    migrate.opts.contractsDir,
    // @ts-expect-error migrate takes no --since (lint's)
    migrate.opts.since,
    // @ts-expect-error check reads no migration files: no --dir
    check.opts.dir,
    // @ts-expect-error snapshot uses a throwaway server of its own: no --database-url
    snapshot.opts.databaseUrl,
    // @ts-expect-error init writes files and reaches no database: no state schema
    init.opts.stateSchema,
  ];
}

/** A command table whose `status` entry loads code written for plan's options: refused. */
export const wrongCode: CommandTable = {
  // @ts-expect-error plan's code reads --offline and --warn-rows, which status does not take
  status: async () => async (ctx: ContextOf<'plan'>) => (ctx.opts.offline ? 1 : 0),
  // A command's code that reads fewer options than its command takes is fine.
  plan: async () => async (ctx: ContextOf<'new'>) => (ctx.opts.dir ? 0 : 1),
};

describe('Type: OptionsOf', () => {
  it('is the common options and the groups the registry gives the command, no more', () => {
    expectTypeOf<keyof OptionsOf<'check'>>().toEqualTypeOf<'command' | keyof CommonOptions | GroupKeys<'connection' | 'contracts' | 'snapshot'>>();
    expectTypeOf<keyof OptionsOf<'new'>>().toEqualTypeOf<'command' | keyof CommonOptions | GroupKeys<'files'>>();
    expectTypeOf<keyof OptionsOf<'migrate'>>().toEqualTypeOf<
      'command' | keyof CommonOptions | GroupKeys<'connection' | 'state' | 'files' | 'runnerLock' | 'apply' | 'ahead' | 'replication' | 'fleet'>
    >();
  });

  it('covers every option the parser fills: each is common or in one group', () => {
    expectTypeOf<keyof CliOptions>().toEqualTypeOf<'command' | 'helpFor' | keyof CommonOptions | GroupKeys<OptionGroup>>();
    for (const spec of Object.values(FLAGS)) expect(groupOf(spec.key) === undefined ? [] : OPTION_TAKERS[groupOf(spec.key)!]).toEqual(spec.for ?? []);
  });
});

/** A value each kind of flag takes. */
const VALUES: Record<FlagSpec['kind'], string | undefined> = {
  string: 'x',
  duration: '5s',
  int: '3',
  count: '10',
  version: '3',
  bool: undefined,
  format: 'text',
  source: 'flyway',
  layout: 'flat',
};

function refusal(argv: string[]): string | undefined {
  try {
    parseArgs(argv, {});
    return undefined;
  } catch (e) {
    if (e instanceof UsageError) return e.message;
    throw e;
  }
}

describe("Function: parseArgs, by the registry's option groups", () => {
  it('takes a flag on the commands that take its group, and refuses it on every other', () => {
    for (const command of COMMANDS) {
      const args = Array.from({ length: commandSpec(command).args?.[0] ?? 0 }, () => 'x');
      for (const [flag, spec] of Object.entries(FLAGS)) {
        const group = groupOf(spec.key);
        const takes = group === undefined || (OPTION_TAKERS[group] as readonly Command[]).includes(command);
        const value = VALUES[spec.kind];
        const message = refusal([command, ...args, flag, ...(value === undefined ? [] : [value])]);
        // A flag the command takes may still be refused in a combination that ignores it (lint --since, status --allow-ahead without --exit-code): never as foreign.
        if (takes) expect(message, `${command} ${flag}`).not.toBe(`${command} does not use ${flag}`);
        else expect(message, `${command} ${flag}`).toMatch(new RegExp(`^${command} does not use ${flag}\\b`));
      }
    }
  });
});
