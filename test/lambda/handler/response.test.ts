import { describe, expect, it } from 'vitest';
import { ATTR, DATA_MAX_BYTES, OUTCOME, VERIFY_ATTR } from '../../../lambda/handler/constants';
import { responseData, rollbackProblemData } from '../../../lambda/handler/response';

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

describe('Function: rollbackProblemData', () => {
  it('has every attribute a successful answer has, the unknown ones said to be unknown', () => {
    const d = rollbackProblemData('cannot connect to 127.0.0.1:5432', undefined);
    expect(Object.keys(d).sort()).toEqual([...Object.values(ATTR), ...Object.values(VERIFY_ATTR)].sort());
    expect(d).toMatchObject({
      [ATTR.outcome]: OUTCOME.rollbackProblem,
      [ATTR.currentVersion]: 'unknown',
      [ATTR.appliedCount]: 'unknown',
      [ATTR.rollbackProblem]: 'cannot connect to 127.0.0.1:5432',
    });
  });

  it('keeps what was seen of the database, and a huge problem within the budget, cut on a character', () => {
    const d = rollbackProblemData(`contract failed: ${'関'.repeat(3000)}`, { currentVersion: '7', appliedCount: '7' });
    expect(d).toMatchObject({ [ATTR.currentVersion]: '7', [ATTR.appliedCount]: '7' });
    expect(d[ATTR.rollbackProblem]).toMatch(/^contract failed: 関+ …\[cut \d+ bytes\]$/);
    expect(Buffer.byteLength(JSON.stringify(d))).toBeLessThan(DATA_MAX_BYTES);
  });
});
