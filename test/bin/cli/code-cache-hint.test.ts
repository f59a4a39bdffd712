/** What the CLI tells the launcher's code cache about the run (bin/code-cache.cjs reads it at exit). */
import { afterEach, describe, expect, it } from 'vitest';
import { COMMANDS } from '../../../bin/cli/registry';
import { CODE_CACHE, hintCodeCache } from '../../../bin/cli/code-cache-hint';

const hint = () => (globalThis as { [CODE_CACHE]?: string })[CODE_CACHE];
afterEach(() => {
  delete (globalThis as { [CODE_CACHE]?: string })[CODE_CACHE];
});

describe('hintCodeCache', () => {
  it('migrate, the command of every deploy, is preferred; help and the version save nothing; every other command saves', () => {
    const said = Object.fromEntries(
      [...COMMANDS, 'help', 'version'].map((command) => {
        hintCodeCache(command as Parameters<typeof hintCodeCache>[0]);
        return [command, hint()];
      }),
    );
    expect(said).toEqual({
      ...Object.fromEntries(COMMANDS.map((c) => [c, 'save'])),
      migrate: 'prefer',
      help: 'skip',
      version: 'skip',
    });
  });

  it('is read under the symbol bin/code-cache.cjs reads', () => {
    expect(CODE_CACHE).toBe(Symbol.for('schemaguard.codeCache'));
  });
});
