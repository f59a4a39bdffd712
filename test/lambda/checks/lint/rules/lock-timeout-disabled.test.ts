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
  it.each([
    'RESET lock_timeout;',
    'RESET ALL;',
    'SET lock_timeout TO DEFAULT;',
    "SELECT set_config('lock_timeout', '0', false);",
    "SELECT pg_catalog.set_config('lock_timeout', NULL, true);",
    "SET lock_timeout = '400us';",
    'SET lock_timeout = 0.5;',
  ])('reports %s', async (sql) => {
    expect(await rules(sql)).toEqual(['lock-timeout-disabled']);
  });
  // Regression (review): DISCARD ALL, allowed in a no-transaction file, resets lock_timeout as RESET ALL does.
  it('reports DISCARD ALL in a no-transaction file, as a reset to the session default', async () => {
    const r = await lint('-- schemaguard:no-transaction\nDISCARD ALL;\nCREATE INDEX CONCURRENTLY t_a ON t (a);');
    expect(r.findings).toMatchObject([{ rule: 'lock-timeout-disabled', line: 2 }]);
    expect(r.findings[0]!.message).toMatch(/^DISCARD ALL drops the lock timeout schemaguard set for this migration/);
  });
  it('says where a reset goes: the session default, 0 unless the server, the database or the role sets one', async () => {
    const r = await lint('RESET lock_timeout;');
    expect(r.findings[0]!.message).toBe(
      'RESET lock_timeout drops the lock timeout schemaguard set for this migration: the statements after it wait for locks as long as the session default says: 0, forever, unless postgresql.conf, the database or the role sets lock_timeout (ALTER DATABASE/ROLE … SET lock_timeout)',
    );
  });
  it('names the value that PostgreSQL reads as 0', async () => {
    expect((await lint("SET LOCAL lock_timeout = '0s';")).findings[0]!.message).toBe(
      "SET LOCAL lock_timeout = '0s' turns off the lock timeout schemaguard sets (lock_timeout 0): the statements after it wait for locks forever",
    );
  });
  it.each([
    "SET lock_timeout = '0.6';",
    "SELECT set_config('lock_timeout', '2s', true);",
    'RESET statement_timeout;',
    "SELECT set_config('statement_timeout', '0', false);",
  ])('accepts %s', async (sql) => {
    expect(await rules(sql)).toEqual([]);
  });
  it('accepts a bounded lock timeout', async () => {
    expect(await rules("-- schemaguard:lock-timeout=2s\nSET LOCAL lock_timeout = '3s';")).toEqual([]);
  });
  // Regression (review): a no-transaction file of concurrent index statements was told that queued reads wait behind it, which a
  // concurrent build does not cause (SHARE UPDATE EXCLUSIVE); what lock-timeout=0 costs there is a build that waits forever for old transactions.
  it.each([
    'CREATE INDEX CONCURRENTLY IF NOT EXISTS leads_name ON leads (name);',
    'DROP INDEX CONCURRENTLY IF EXISTS leads_name;',
    'REINDEX INDEX CONCURRENTLY leads_name_key;\nCREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS leads_score ON leads (score);',
  ])('refuses lock-timeout=0 in a no-transaction file of %j, saying what the build waits for and what it holds', async (sql) => {
    const r = await lint(`-- schemaguard:no-transaction\n-- schemaguard:lock-timeout=0\n${sql}`);

    expect(r.findings).toHaveLength(1);
    expect(r.findings[0]).toMatchObject({ rule: 'lock-timeout-disabled', line: 2 });
    expect(r.findings[0]!.message).toContain(
      'its concurrent index statements wait forever for every transaction older than them (an idle-in-transaction session too)',
    );
    expect(r.findings[0]!.why).toMatch(
      /^a concurrent index build holds up no read or write while it waits, but it holds SHARE UPDATE EXCLUSIVE on the table, which stops VACUUM/,
    );
    expect(r.findings[0]!.why).not.toContain('every query on the table waits');
    expect(r.findings[0]!.fix).toContain('-- schemaguard:lock-timeout=10min');
  });
  it.each([
    ['a transactional file', '-- schemaguard:lock-timeout=0\nCREATE INDEX leads_name ON leads (name);'],
    [
      'a no-transaction file with another statement',
      '-- schemaguard:no-transaction\n-- schemaguard:lock-timeout=0\nCREATE INDEX CONCURRENTLY IF NOT EXISTS leads_name ON leads (name);\nALTER TABLE leads ADD COLUMN c int;',
    ],
  ])('keeps the queue why for %s', async (_what, sql) => {
    const r = await lint(sql);
    const f = r.findings.find((x) => x.rule === 'lock-timeout-disabled');

    expect(f!.why).toContain('every query on the table waits behind it');
    expect(f!.fix).toContain('-- schemaguard:lock-timeout=5s');
  });
});
