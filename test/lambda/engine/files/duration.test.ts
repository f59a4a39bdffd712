import { describe, expect, it } from 'vitest';
import { formatDuration, parseDuration } from '../../../../lambda/engine/files/duration';

describe('Function: parseDuration', () => {
  it.each([
    ['500ms', 500],
    ['5s', 5000],
    ['2m', 120_000],
    ['1h', 3_600_000],
    ['1.5s', 1500],
    ['0', 0],
  ])('%s → %d ms', (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
    if (ms > 0 && Number.isInteger(ms / 1000)) expect(parseDuration(formatDuration(ms))).toBe(ms);
  });
  it.each(['5', '5 sec', '-1s', '', 's'])('refuses %j', (text) => {
    expect(parseDuration(text)).toBeUndefined();
  });
});
