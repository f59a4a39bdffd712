/**
 * objectName against the names PostgreSQL 18 and 15 give unnamed
 * constraints and indexes: past 63 bytes the table's and the columns' parts
 * are shortened (the longer first, a character never split) and the label
 * is kept whole.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { cutToBytes, objectName } from '../../../lambda/checks/object-names';
import { dropDatabases, freshDatabase, rows, targets, withClient } from '../../support/db';

afterAll(dropDatabases);

const TABLE = 'a'.repeat(63);
const TEXT = 'b'.repeat(43);
const WIDE = 'é'.repeat(31);

describe.each(targets)('Function: objectName, on $name', (target) => {
  it('names each constraint and index as PostgreSQL does', async () => {
    const url = await freshDatabase(target, 'object_names');
    await withClient(url, (c) => c.query(`CREATE TABLE ${TABLE} (${TEXT} int PRIMARY KEY, ${WIDE} int UNIQUE CHECK (${WIDE} > 0), c int, d int, CHECK (c > d));
      ALTER TABLE ${TABLE} ADD FOREIGN KEY (c) REFERENCES ${TABLE};
      CREATE INDEX ON ${TABLE} (${WIDE}, c);`));
    const names = (await rows<{ name: string }>(url, `SELECT conname AS name FROM pg_constraint WHERE conrelid = '${TABLE}'::regclass AND contype <> 'n'
      UNION SELECT relname FROM pg_class WHERE relkind = 'i' AND relnamespace = 'public'::regnamespace`)).map((r) => r.name).sort();
    const expected = [
      objectName(TABLE, 'pkey'), objectName(TABLE, WIDE, 'key'), objectName(TABLE, WIDE, 'check'), objectName(TABLE, 'check'),
      objectName(TABLE, 'c', 'fkey'), objectName(TABLE, WIDE, 'c', 'idx'),
    ];
    expect(names).toEqual([...new Set(expected)].sort());
    expect(objectName(TABLE, WIDE, 'check')).toBe(`${'a'.repeat(28)}_${'é'.repeat(14)}_check`);
  });

  it('cuts an identifier at a character\'s end, as the NOTICE of PostgreSQL says', async () => {
    const url = await freshDatabase(target, 'object_names_cut');
    const [r] = await rows<{ name: string }>(url, `SELECT '${'é'.repeat(40)}'::name AS name`);
    expect(cutToBytes('é'.repeat(40))).toBe(r!.name);
  });
});
