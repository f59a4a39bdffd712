import { describe, expect, it } from 'vitest';
import { anyLeftoverSql, batchSql, leftoverSql, readBackfillStatement } from '../../../../lambda/engine/files/backfill-statement';
import { InputError } from '../../../../lambda/engine/errors/errors';
import { parseMigration } from '../../../../lambda/engine/files/source';

const read = (text: string) => readBackfillStatement('0007_x.sql', { text, line: 4 });

describe('Function: readBackfillStatement', () => {
  it('takes an UPDATE apart: its table, alias, SET, FROM and WHERE, as written', () => {
    expect(read('UPDATE app."Orders" AS o SET region = r.name FROM regions r WHERE r.code = o.country AND o.region IS NULL')).toEqual({
      target: 'app."Orders"',
      table: 'app."Orders"',
      alias: 'o',
      qualifier: 'o',
      set: 'region = r.name',
      from: 'regions r',
      where: 'r.code = o.country AND o.region IS NULL',
    });
  });

  it('reads a FROM inside parentheses or IS DISTINCT FROM as part of SET, and keeps ONLY', () => {
    const b = read('UPDATE ONLY orders SET a = (SELECT max(x) FROM t), b = (c IS DISTINCT FROM d) WHERE a IS NULL -- done when a is set');
    expect(b).toMatchObject({ target: 'ONLY orders', table: 'orders', qualifier: 'orders', set: 'a = (SELECT max(x) FROM t), b = (c IS DISTINCT FROM d)' });
    expect(b.from).toBeUndefined();
    expect(b.where).toBe('a IS NULL');
  });

  it("builds each batch on a key range after the statement's own condition, and the proof on the condition alone", () => {
    const b = read('UPDATE orders SET region = lower(country) WHERE region IS NULL');
    expect(batchSql(b, 'id', 'bigint', { upper: true })).toBe('UPDATE orders SET region = lower(country) WHERE (region IS NULL) AND orders.id <= $1::bigint');
    expect(batchSql(b, 'id', 'bigint', { lower: 'after', upper: true })).toBe(
      'UPDATE orders SET region = lower(country) WHERE (region IS NULL) AND orders.id > $1::bigint AND orders.id <= $2::bigint',
    );
    expect(batchSql(b, 'id', 'bigint', { lower: 'from', upper: false })).toBe(
      'UPDATE orders SET region = lower(country) WHERE (region IS NULL) AND orders.id >= $1::bigint',
    );
    expect(leftoverSql(b, 'id')).toBe('SELECT orders.id::text AS k FROM orders WHERE (region IS NULL) ORDER BY orders.id LIMIT 1');
    expect(anyLeftoverSql(b)).toBe('SELECT EXISTS (SELECT 1 FROM orders WHERE (region IS NULL)) AS left');
  });

  it.each([
    ['DELETE FROM orders WHERE region IS NULL', 'is not an UPDATE (found DELETE)'],
    ['UPDATE orders SET region = lower(country)', 'has no WHERE'],
    ['UPDATE orders SET region = lower(country) WHERE region IS NULL RETURNING id', 'has RETURNING'],
    ['WITH x AS (SELECT 1) UPDATE orders SET region = 1 WHERE region IS NULL', 'is not an UPDATE (found WITH)'],
    ['UPDATE orders SET region = 1 WHERE CURRENT OF c', 'is WHERE CURRENT OF a cursor'],
  ])('refuses %s, naming the file, the line and the way out', (text, why) => {
    let e: unknown;
    try {
      read(text);
    } catch (err) {
      e = err;
    }
    expect(e).toBeInstanceOf(InputError);
    expect((e as InputError).message).toContain(`0007_x.sql:4: the backfill statement ${why}`);
    expect((e as InputError).fix).toBeTruthy();
  });
});

describe('Function: parseMigration, with a backfill', () => {
  it('keeps the backfill apart from the body, and reads after-backfill', () => {
    const m = parseMigration(
      '0008_b.sql',
      '-- schemaguard:after-backfill 0007_a.sql\nALTER TABLE t ADD COLUMN c int;\n-- schemaguard:backfill\nUPDATE t SET c = 1 WHERE c IS NULL;\n',
    );
    expect(m.statementCount).toBe(1);
    expect(m.backfill).toMatchObject({ line: 4, text: 'UPDATE t SET c = 1 WHERE c IS NULL' });
    expect(m.directives.afterBackfill).toEqual(['0007_a.sql']);
  });

  it.each([
    ['-- schemaguard:backfill\nUPDATE t SET c = 1 WHERE c IS NULL;\nSELECT 1;\n', '0008_b.sql:3: a statement after the backfill statement (line 2)'],
    ['-- schemaguard:no-transaction\n-- schemaguard:backfill\nUPDATE t SET c = 1 WHERE c IS NULL;\n', '0008_b.sql:3: a backfill in a no-transaction file'],
    ['ALTER TABLE t ADD COLUMN c int;\n-- schemaguard:backfill\n', '0008_b.sql:2: schemaguard:backfill with no statement after it'],
    ['-- schemaguard:after-backfill\nSELECT 1;\n', '0008_b.sql:1: schemaguard:after-backfill needs the file name'],
    ['-- schemaguard:backfill now\nUPDATE t SET c = 1 WHERE c IS NULL;\n', '0008_b.sql:1: schemaguard:backfill takes no value'],
  ])('refuses %j', (text, message) => {
    expect(() => parseMigration('0008_b.sql', text)).toThrow(message);
  });
});
