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
  it.each(['RESET lock_timeout;', 'RESET ALL;', 'SET lock_timeout TO DEFAULT;', "SELECT set_config('lock_timeout', '0', false);", "SELECT pg_catalog.set_config('lock_timeout', NULL, true);", "SET lock_timeout = '400us';", 'SET lock_timeout = 0.5;'])('reports %s', async (sql) => {
    expect(await rules(sql)).toEqual(['lock-timeout-disabled']);
  });
  it('says where a reset goes: the session default, 0 unless the server, the database or the role sets one', async () => {
    const r = await lint('RESET lock_timeout;');
    expect(r.findings[0]!.message).toBe('RESET lock_timeout drops the lock timeout schemaguard set for this migration: the statements after it wait for locks as long as the session default says: 0, forever, unless postgresql.conf, the database or the role sets lock_timeout (ALTER DATABASE/ROLE … SET lock_timeout)');
  });
  it('names the value that PostgreSQL reads as 0', async () => {
    expect((await lint("SET LOCAL lock_timeout = '0s';")).findings[0]!.message).toBe("SET LOCAL lock_timeout = '0s' turns off the lock timeout schemaguard sets (lock_timeout 0): the statements after it wait for locks forever");
  });
  it.each(["SET lock_timeout = '0.6';", "SELECT set_config('lock_timeout', '2s', true);", 'RESET statement_timeout;', "SELECT set_config('statement_timeout', '0', false);"])('accepts %s', async (sql) => {
    expect(await rules(sql)).toEqual([]);
  });
  it('accepts a bounded lock timeout', async () => {
    expect(await rules("-- schemaguard:lock-timeout=2s\nSET LOCAL lock_timeout = '3s';")).toEqual([]);
  });
});
