import { describe, expect, it } from 'vitest';
import { ATTR, DATA_MAX_BYTES } from '../../../lambda/handler/constants';
import { responseData } from '../../../lambda/handler/response';

describe('Function: responseData', () => {
  const result = { outcome: 'applied' as const, applied: [], remaining: [], unknown: [], currentVersion: 99999, appliedCount: 5000, elapsedMs: 1 };

  it('always has every attribute, as strings', () => {
    const d = responseData({ ...result, currentVersion: null, appliedCount: 0 }, [], false, []);
    expect(Object.keys(d).sort()).toEqual(Object.values(ATTR).sort());
    expect(d[ATTR.currentVersion]).toBe('none');
    expect(d[ATTR.outcome]).toBe('up-to-date');
  });

  it('stays under its budget with thousands of versions, saying how many were left out', () => {
    const many = Array.from({ length: 5000 }, (_, k) => k + 1);
    const d = responseData(result, many, false, []);
    expect(Buffer.byteLength(JSON.stringify(d))).toBeLessThan(DATA_MAX_BYTES);
    expect(d[ATTR.appliedVersions]).toMatch(/^1,2,3,.*,…\(\+\d+\)$/);
    expect(d[ATTR.appliedThisRun]).toBe('5000');
    const ahead = responseData(result, [], true, many);
    expect(ahead[ATTR.outcome]).toBe('database-ahead');
    expect(Buffer.byteLength(JSON.stringify(ahead))).toBeLessThan(DATA_MAX_BYTES);
  });
});
