/**
 * objectName against the names PostgreSQL 18 (15 too in the full matrix)
 * gives unnamed constraints and indexes: past 63 bytes the table's and the
 * columns' parts are shortened (the longer first, a character never split)
 * and the label is kept whole.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { cutToBytes, freeObjectName, objectName } from '../../../../lambda/checks/names/object-names';
import { dropDatabases, freshDatabase, rows, targets, withClient } from '../../../support/db';

afterAll(dropDatabases);

const TABLE = 'a'.repeat(63);
const TEXT = 'b'.repeat(43);
const WIDE = 'é'.repeat(31);

describe.each(targets)('Function: objectName, on $name', (target) => {
  it('names each constraint and index as PostgreSQL does', async () => {
    const url = await freshDatabase(target, 'object_names');
    await withClient(url, (c) =>
      c.query(`CREATE TABLE ${TABLE} (${TEXT} int PRIMARY KEY, ${WIDE} int UNIQUE CHECK (${WIDE} > 0), c int, d int, CHECK (c > d));
      ALTER TABLE ${TABLE} ADD FOREIGN KEY (c) REFERENCES ${TABLE};
      CREATE INDEX ON ${TABLE} (${WIDE}, c);`),
    );
    const names = (
      await rows<{ name: string }>(
        url,
        `SELECT conname AS name FROM pg_constraint WHERE conrelid = '${TABLE}'::regclass AND contype <> 'n'
      UNION SELECT relname FROM pg_class WHERE relkind = 'i' AND relnamespace = 'public'::regnamespace`,
      )
    )
      .map((r) => r.name)
      .sort();
    const expected = [
      objectName(TABLE, 'pkey'),
      objectName(TABLE, WIDE, 'key'),
      objectName(TABLE, WIDE, 'check'),
      objectName(TABLE, 'check'),
      objectName(TABLE, 'c', 'fkey'),
      objectName(TABLE, WIDE, 'c', 'idx'),
    ];
    expect(names).toEqual([...new Set(expected)].sort());
    expect(objectName(TABLE, WIDE, 'check')).toBe(`${'a'.repeat(28)}_${'é'.repeat(14)}_check`);
  });

  it('freeObjectName picks the name PostgreSQL picks when the first is taken: a digit after the label, the other parts shortened to keep it whole', async () => {
    const url = await freshDatabase(target, 'object_names_free');
    const checks = Array.from({ length: 3 }, (_x, k) => `CHECK (${WIDE} > ${k})`).join(', ');
    await withClient(url, (c) =>
      c.query(`CREATE TABLE ${TABLE} (${WIDE} int, ${checks}); CREATE TABLE t (c int, CONSTRAINT t_c_check CHECK (c > 0), CHECK (c > 1))`),
    );
    const names = async (table: string) =>
      (await rows<{ name: string }>(url, `SELECT conname AS name FROM pg_constraint WHERE conrelid = '${table}'::regclass AND contype = 'c' ORDER BY oid`)).map(
        (r) => r.name,
      );
    const picked = (table: string, column: string, count: number) => {
      const taken = new Set<string>();
      for (let k = 0; k < count; k++) taken.add(freeObjectName((n) => taken.has(n), table, column, 'check'));
      return [...taken];
    };
    expect(await names(TABLE)).toEqual(picked(TABLE, WIDE, 3));
    expect(picked(TABLE, WIDE, 3)[2]).toBe(`${'a'.repeat(28)}_${'é'.repeat(13)}_check2`);
    expect(await names('t')).toEqual(['t_c_check', 't_c_check1']);
  });

  it("cuts an identifier at a character's end, as the NOTICE of PostgreSQL says", async () => {
    const url = await freshDatabase(target, 'object_names_cut');
    const [r] = await rows<{ name: string }>(url, `SELECT '${'é'.repeat(40)}'::name AS name`);
    expect(cutToBytes('é'.repeat(40))).toBe(r!.name);
  });
});
