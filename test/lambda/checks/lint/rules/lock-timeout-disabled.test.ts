/** Rule lock-timeout-disabled: the findings it reports, and what it lets pass. */
import { describe, expect, it } from 'vitest';
import { lint, rules } from '../pending';

describe('Rule: lock-timeout-disabled', () => {
  it('reports the lock-timeout=0 directive at its line', async () => {
    const r = await lint('-- a comment\n-- schemaguard:lock-timeout=0\nCREATE TABLE t (id int);');
    expect(r.findings).toMatchObject([{ rule: 'lock-timeout-disabled', line: 2 }]);
  });
  it.each(['SET lock_timeout = 0;', "SET LOCAL lock_timeout TO '0';", "SET lock_timeout = '0s';"])('reports %s', async (sql) => {
    expect(await rules(sql)).toEqual(['lock-timeout-disabled']);
  });
  it('accepts a bounded lock timeout', async () => {
    expect(await rules("-- schemaguard:lock-timeout=2s\nSET LOCAL lock_timeout = '3s';")).toEqual([]);
  });
});
