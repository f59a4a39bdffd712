/**
 * lock-timeout-disabled on real PostgreSQL (18 and 15): each statement the
 * rule reports leaves `SHOW lock_timeout` at 0 after the timeout schemaguard
 * sets for a migration (`set_config('lock_timeout', '5000', true)`), each it
 * lets pass does not; and a reset goes to the database's (or role's) own
 * setting when it has one, as the message says.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dropDatabases, freshDatabase, targets, withClient } from '../../../../support/db';
import { lint } from '../pending';

afterAll(dropDatabases);

const STATEMENTS = [
  'SET lock_timeout = 0',
  "SET LOCAL lock_timeout TO '0'",
  "SET lock_timeout = '0s'",
  "SET lock_timeout = '0ms'",
  "SET lock_timeout = '0min'",
  'SET lock_timeout = 0.4',
  "SET lock_timeout = '400us'",
  "SET lock_timeout = '0.5'",
  "SET lock_timeout = '0x0'",
  'RESET lock_timeout',
  'RESET ALL',
  'SET lock_timeout TO DEFAULT',
  'SET LOCAL lock_timeout = DEFAULT',
  "SELECT set_config('lock_timeout', '0', false)",
  "SELECT pg_catalog.set_config('lock_timeout', '0s', true)",
  "SELECT set_config('lock_timeout', NULL, false)",
  // Passes: a bounded timeout, and what PostgreSQL rounds up to 1 ms.
  "SET lock_timeout = '3s'",
  "SET lock_timeout = '0.6'",
  "SET lock_timeout = '1500us'",
  "SELECT set_config('lock_timeout', '2s', true)",
  'RESET statement_timeout',
];

/** lock_timeout after schemaguard's per-migration setting and then `sql`, in a transaction that is rolled back. */
async function after(c: pg.Client, sql: string): Promise<string> {
  await c.query('BEGIN');
  try {
    await c.query("SELECT set_config('lock_timeout', '5000', true)");
    await c.query(sql);
    return String((await c.query('SHOW lock_timeout')).rows[0].lock_timeout);
  } finally {
    await c.query('ROLLBACK');
  }
}

describe.each(targets)('lock-timeout-disabled on $name', (target) => {
  let url: string;
  beforeAll(async () => {
    url = await freshDatabase(target, 'lock_timeout_disabled');
  });

  it.each(STATEMENTS)('reported exactly when it leaves lock_timeout at 0: %s', async (sql) => {
    const value = await withClient(url, (c) => after(c, sql));
    const reported = (await lint(`${sql};`)).findings.some((f) => f.rule === 'lock-timeout-disabled');
    expect({ sql, reported }).toEqual({ sql, reported: value === '0' });
  });

  it('a reset goes to the database\'s own lock_timeout when it sets one, not to 0', async () => {
    const db = await freshDatabase(target, 'lock_timeout_db_setting');
    await withClient(db, (c) => c.query(`ALTER DATABASE ${pg.escapeIdentifier(new URL(db).pathname.slice(1))} SET lock_timeout = '3s'`));
    for (const sql of ['RESET lock_timeout', 'RESET ALL', 'SET lock_timeout TO DEFAULT', "SELECT set_config('lock_timeout', NULL, false)"]) {
      expect(await withClient(db, (c) => after(c, sql))).toBe('3s');
    }
    const message = (await lint('RESET lock_timeout;')).findings[0]!.message;
    expect(message).toContain('unless postgresql.conf, the database or the role sets lock_timeout');
  });
});
