/** The run's file order (test/support/sequencer.ts) names files that exist. */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from './cli';
import { SLOW_FIRST } from './sequencer';

describe('the slow files the run starts first', () => {
  it('are test files of this repository', () => {
    expect(SLOW_FIRST.filter((f) => !existsSync(join(ROOT, f)))).toEqual([]);
    expect(SLOW_FIRST.every((f) => f.endsWith('.test.ts') && !f.endsWith('.int.test.ts'))).toBe(true);
  });
});
