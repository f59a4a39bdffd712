/**
 * The command registry (bin/cli/registry.ts) is the one list of commands:
 * the other tables keyed by command agree with it — the core bundle's code
 * table with core-commands.json (which the executable reads), the help's
 * order, the operator protocol's commands.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CORE_COMMAND_RUNS } from '../../../bin/cli/commands/core';
import { COMMAND_RUNS } from '../../../bin/cli/commands/index';
import { COMMANDS, CORE_COMMANDS, HELP_ORDER, operatorMode, REMOTE_COMMANDS, SARIF_COMMANDS } from '../../../bin/cli/registry';

const LOCAL = ['help', 'version'];

describe('the command registry', () => {
  it('the core bundle loads exactly the commands of core-commands.json, which the executable reads', () => {
    expect(
      Object.keys(CORE_COMMAND_RUNS)
        .filter((c) => !LOCAL.includes(c))
        .sort(),
    ).toEqual([...CORE_COMMANDS].sort());
    expect(readFileSync(new URL('../../../bin/schemaguard.cjs', import.meta.url), 'utf8')).toContain("require('./cli/core-commands.json')");
  });

  it('the whole CLI loads every command, and nothing else', () => {
    expect(
      Object.keys(COMMAND_RUNS)
        .filter((c) => !LOCAL.includes(c))
        .sort(),
    ).toEqual([...COMMANDS].sort());
  });

  it('the help lists every command once; the SARIF, core and --function lists name commands', () => {
    expect([...HELP_ORDER].sort()).toEqual([...COMMANDS].sort());
    for (const c of [...SARIF_COMMANDS, ...CORE_COMMANDS, ...REMOTE_COMMANDS]) expect(COMMANDS).toContain(c);
  });

  it('says what the deployed function does with a command: reads, writes, or does not run it', () => {
    expect(operatorMode('status')).toBe('reads');
    expect(operatorMode('repair')).toBe('writes');
    expect(operatorMode('migrate')).toBeUndefined();
    expect(COMMANDS.filter((c) => operatorMode(c) !== undefined)).toEqual([...REMOTE_COMMANDS].sort((a, b) => COMMANDS.indexOf(a) - COMMANDS.indexOf(b)));
  });
});
