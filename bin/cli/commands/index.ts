/** The safety commands: lint, check, diff, doctor. `main` hands them over before it loads migrations. */
import type { CommandContext } from './context';
import { checkCommand } from './check';
import { diffCommand } from './diff';
import { doctorCommand } from './doctor';
import { lintCommand } from './lint';

export const SAFETY_COMMANDS = ['lint', 'check', 'diff', 'doctor'] as const;
export type SafetyCommand = (typeof SAFETY_COMMANDS)[number];

export function isSafetyCommand(c: string): c is SafetyCommand {
  return (SAFETY_COMMANDS as readonly string[]).includes(c);
}

export async function runSafetyCommand(command: SafetyCommand, ctx: CommandContext): Promise<number> {
  switch (command) {
    case 'lint': return lintCommand(ctx);
    case 'check': return checkCommand(ctx);
    case 'diff': return diffCommand(ctx);
    case 'doctor': return doctorCommand(ctx);
  }
}

export type { CommandContext } from './context';
