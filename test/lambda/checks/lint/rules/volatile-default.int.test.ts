/**
 * volatile-default: the fix of a NOT NULL column (a volatile default, a
 * serial), migrated by the engine with the backfill between its files, leaves
 * what the statement leaves on PostgreSQL 18 (15 too in the full matrix): the
 * column NOT NULL (PostgreSQL 18's NOT NULL constraint under its usual name),
 * no CHECK left behind; and lint finds nothing in the fix itself.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { dropDatabases, targets } from '../../../../support/db';
import { directAndFixed } from '../fix-outcome';

afterAll(dropDatabases);

// Regression: the fix added the column nullable and stopped there: a NOT NULL column came out nullable, with no way back.
describe.each(targets)('volatile-default: the fix of a NOT NULL column, on $name', (target) => {
  const SETUP = 'CREATE TABLE leads (id int PRIMARY KEY);\nINSERT INTO leads VALUES (1), (2);';
  const cases = [
    {
      sql: 'ALTER TABLE leads ADD COLUMN token uuid NOT NULL DEFAULT gen_random_uuid();',
      backfill: 'UPDATE leads SET token = gen_random_uuid() WHERE token IS NULL;',
    },
    { sql: 'ALTER TABLE leads ADD COLUMN n bigserial;', backfill: "UPDATE leads SET n = nextval('leads_n_seq') WHERE n IS NULL;" },
  ];

  it.each(cases)('$sql', async ({ sql, backfill }) => {
    const r = await directAndFixed(target, 'volatile-default', SETUP, sql, backfill);

    expect(r.fix).toMatch(/CHECK \(\w+ IS NOT NULL\) NOT VALID;[\s\S]*-- file 2 of 2: a later migration\n.*VALIDATE CONSTRAINT[\s\S]*SET NOT NULL/);
    expect(r.fixFindings).toEqual([]);
    expect(r.fixed).toEqual(r.direct);
    expect(r.fixed.notNull.map((c) => c.column)).toContain(sql.includes('token') ? 'token' : 'n');
  });
});
