/**
 * adding-required-field: the fix, migrated by the engine, leaves what the
 * statement leaves on PostgreSQL 18 (15 too in the full matrix; tables
 * without rows, so the statement itself succeeds where PostgreSQL allows it):
 * with ALTER TABLE ONLY, the column and its NOT NULL on that table alone,
 * refused where the statement is; PostgreSQL 18's NOT NULL constraint under
 * its usual name.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { dropDatabases, targets } from '../../../../support/db';
import { directAndFixed, ONLY_SETUP } from '../fix-outcome';

afterAll(dropDatabases);

// Regression: the fix dropped the statement's ONLY (the column and its NOT NULL went to every child table), and its CHECK took PostgreSQL 18's NOT NULL name.
describe.each(targets)('adding-required-field: the fix of an ALTER TABLE ONLY, on $name', (target) => {
  const SETUP = `${ONLY_SETUP}\nCREATE TABLE solo (id int);`;
  const cases: { sql: string; refused?: string }[] = [
    { sql: 'ALTER TABLE ONLY solo ADD COLUMN c int NOT NULL;' },
    { sql: 'ALTER TABLE solo ADD COLUMN c int NOT NULL CHECK (c > 0);' },
    { sql: 'ALTER TABLE ONLY journal ADD COLUMN c int NOT NULL;' },
    { sql: 'ALTER TABLE ONLY parent ADD COLUMN c int NOT NULL;', refused: 'column must be added to child tables too' },
  ];

  it.each(cases)('$sql', async ({ sql, refused }) => {
    const r = await directAndFixed(target, 'adding-required-field', SETUP, sql);
    expect(r.fixFindings).toEqual([]);
    expect(r.direct.refused).toBe(refused);
    expect(r.fixed).toEqual(r.direct);
    if (!refused) expect(r.fixed.notNull.map((c) => c.column)).toContain('c');
  });
});
