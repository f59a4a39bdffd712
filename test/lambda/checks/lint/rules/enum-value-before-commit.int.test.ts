/**
 * enum-value-before-commit against real PostgreSQL (18 and 15): a label added
 * by ALTER TYPE … ADD VALUE is refused (55P04) later in the same transaction,
 * and accepted once the ADD VALUE committed; lint warns at the statement
 * that uses it, and not in a no-transaction file.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { lintAfter } from '../pending';
import { dropDatabases, freshDatabase, targets, withClient } from '../../../../support/db';

afterAll(dropDatabases);

const EXISTING = "CREATE TYPE order_status AS ENUM ('new', 'paid');\nCREATE TABLE orders (id bigint PRIMARY KEY, status order_status);";
const ADD = "ALTER TYPE order_status ADD VALUE 'refunded';";
const USE = "UPDATE orders SET status = 'refunded' WHERE id = 1;";

describe.each(targets)('Rule: enum-value-before-commit, on $name', (target) => {
  it('the server refuses the label in the transaction that added it, and takes it once that committed', async () => {
    const url = await freshDatabase(target, 'enum_before_commit');
    await withClient(url, async (c) => {
      await c.query(EXISTING);
      await c.query('BEGIN');
      await c.query(ADD);
      await expect(c.query(USE)).rejects.toMatchObject({ code: '55P04' });
      await c.query('ROLLBACK');
      await c.query(ADD);
      await c.query(USE);
    });
  });

  it('lint warns at the statement that uses the label, naming the line that adds it; not in a no-transaction file, nor for another literal', async () => {
    const found = (await lintAfter(EXISTING, `${ADD}\n${USE}`)).findings;
    expect(found.map((f) => [f.rule, f.severity, f.line, f.message])).toEqual([
      ['enum-value-before-commit', 'warning', 2, "uses 'refunded', the label line 1 adds to order_status in this transaction: PostgreSQL refuses it until the ADD VALUE commits (55P04), and the migration is rolled back"],
    ]);
    expect((await lintAfter(EXISTING, `-- schemaguard:no-transaction\n${ADD}\n${USE}`)).findings.filter((f) => f.rule === 'enum-value-before-commit')).toEqual([]);
    expect((await lintAfter(EXISTING, `${ADD}\nUPDATE orders SET status = 'paid' WHERE id = 1;`)).findings).toEqual([]);
  });
});
