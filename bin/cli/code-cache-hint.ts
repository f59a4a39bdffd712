/**
 * What the launcher's code cache (bin/code-cache.cjs, Node.js before 22.8)
 * keeps is what V8 compiled in the run that saved it, so the CLI tells it
 * which kind of run this is: `migrate`, the command of every deploy, may
 * replace code another command saved; help and the version compile little
 * and save nothing. A run that never gets here (a usage error) saves nothing.
 */
import type { CliOptions } from './args';

export const CODE_CACHE = Symbol.for('schemaguard.codeCache');

export function hintCodeCache(command: CliOptions['command']): void {
  (globalThis as { [CODE_CACHE]?: string })[CODE_CACHE] = command === 'help' || command === 'version' ? 'skip' : command === 'migrate' ? 'prefer' : 'save';
}
