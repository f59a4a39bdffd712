/** The run's file order (vitest.config.ts: SLOW_FIRST, then DURATIONS longest first) names files that exist. */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DURATIONS, SLOW_FIRST } from '../vitest.config';
import { ROOT } from './support/cli';

describe('the slow files the run starts first', () => {
  it('are test files of the unit project in this repository', () => {
    expect(SLOW_FIRST.filter((f) => !existsSync(join(ROOT, f)))).toEqual([]);
    expect(SLOW_FIRST.every((f) => f.endsWith('.test.ts') && !f.endsWith('.int.test.ts'))).toBe(true);
  });
});

describe('the durations the run orders its files by (test/support/file-durations.json)', () => {
  it('name test files of this repository, each with a time in seconds', () => {
    expect(Object.keys(DURATIONS).length).toBeGreaterThan(100);
    expect(Object.keys(DURATIONS).filter((f) => !existsSync(join(ROOT, f)) || !f.endsWith('.test.ts'))).toEqual([]);
    expect(Object.values(DURATIONS).every((s) => Number.isFinite(s) && s >= 0)).toBe(true);
  });
});
