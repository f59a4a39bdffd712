/** The run's file order (vitest.config.ts, SLOW_FIRST) names files that exist. */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SLOW_FIRST } from '../vitest.config';
import { ROOT } from './support/cli';

describe('the slow files the run starts first', () => {
  it('are test files of the unit project in this repository', () => {
    expect(SLOW_FIRST.filter((f) => !existsSync(join(ROOT, f)))).toEqual([]);
    expect(SLOW_FIRST.every((f) => f.endsWith('.test.ts') && !f.endsWith('.int.test.ts'))).toBe(true);
  });
});
