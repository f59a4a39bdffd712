/**
 * enum-value-before-commit against real PostgreSQL (18; 15 too in the full
 * matrix): a label added by ALTER TYPE … ADD VALUE is refused (55P04) later
 * in the same transaction, and accepted once the ADD VALUE committed; lint
 * warns at the statement that uses it, and not in a no-transaction file.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { lintMigrations, lintSourceFromText } from '../../../../../lambda/checks/lint';
import { lintAfter } from '../pending';
import { dropDatabases, freshDatabase, targets, withClient } from '../../../../support/db';
import { lintWithDatabase } from '../with-database';

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
      [
        'enum-value-before-commit',
        'warning',
        2,
        "uses 'refunded', the label line 1 adds to order_status in this transaction: PostgreSQL refuses it until the ADD VALUE commits (55P04), and the migration is rolled back",
      ],
    ]);
    expect((await lintAfter(EXISTING, `-- schemaguard:no-transaction\n${ADD}\n${USE}`)).findings.filter((f) => f.rule === 'enum-value-before-commit')).toEqual(
      [],
    );
    expect((await lintAfter(EXISTING, `${ADD}\nUPDATE orders SET status = 'paid' WHERE id = 1;`)).findings).toEqual([]);
  });
});

const CREATED_HERE = `CREATE TYPE "Status" AS ENUM ('A');\nALTER TYPE "Status" ADD VALUE 'B';\nCREATE TABLE "T" ("s" "Status" NOT NULL DEFAULT 'B');\nINSERT INTO "T" VALUES ('B');`;

// Regression: a label added to a type created in the same file was reported as refused on every version; PostgreSQL 17+ takes it.
describe.each(targets)('Rule: enum-value-before-commit, a type the file creates, on $name', (target) => {
  it('the server takes the label in the transaction from 17 on, refuses it before; lint says "< 17" without a database, and follows the server with one', async () => {
    const url = await freshDatabase(target, 'enum_created_here');
    const major = await withClient(url, async (c) => {
      await c.query('BEGIN');
      const n = Number((await c.query("SELECT current_setting('server_version_num')::int / 10000 AS n")).rows[0].n);
      const applied = c.query(CREATED_HERE).then(
        () => 'ok',
        (e: { code?: string }) => e.code,
      );
      expect(await applied).toBe(n >= 17 ? 'ok' : '55P04');
      await c.query('ROLLBACK');
      return n;
    });
    const without = (await lintAfter(undefined, CREATED_HERE)).findings;
    expect(without.map((f) => [f.line, f.severity, f.message])).toEqual(
      [3, 4].map((line) => [
        line,
        'warning',
        `uses 'B', the label line 2 adds to Status in this transaction: PostgreSQL < 17 refuses it until the ADD VALUE commits (55P04), and the migration is rolled back (PostgreSQL 17+ takes it: this file creates Status)`,
      ]),
    );
    expect(without[0]!.fix).toContain("-- or list 'B' in the CREATE TYPE of Status instead of adding it after");
    const withDb = (await lintWithDatabase(url, [CREATED_HERE])).findings;
    expect(withDb.map((f) => f.message.split(':')[1]!.trim())).toEqual(
      major >= 17
        ? []
        : [
            `PostgreSQL ${major} refuses it until the ADD VALUE commits (55P04), and the migration is rolled back (PostgreSQL 17+ takes it`,
            `PostgreSQL ${major} refuses it until the ADD VALUE commits (55P04), and the migration is rolled back (PostgreSQL 17+ takes it`,
          ],
    );
    // Without a database, --server-version (lintMigrations' serverMajor) says the same major: one field, LintCatalog's serverMajor's name.
    const flagged = (await lintMigrations([lintSourceFromText('1_created.sql', CREATED_HERE)], { serverMajor: major })).findings;
    expect(flagged.filter((f) => f.rule === 'enum-value-before-commit').map((f) => f.message)).toEqual(withDb.map((f) => f.message));
  });

  it('a type an earlier migration made: refused on every version; a literal cast to the type is an error, as it is a use for certain', async () => {
    const url = await freshDatabase(target, 'enum_cast');
    await withClient(url, async (c) => {
      await c.query(EXISTING);
      await c.query('BEGIN');
      await c.query(ADD);
      await expect(c.query("SELECT 'refunded'::order_status")).rejects.toMatchObject({ code: '55P04' });
      await c.query('ROLLBACK');
    });
    const found = (await lintWithDatabase(url, [`${ADD}\nUPDATE orders SET status = 'refunded'::public.order_status WHERE id = 1;`])).findings;
    expect(found.map((f) => [f.rule, f.severity, f.line])).toEqual([['enum-value-before-commit', 'error', 2]]);
    expect(found[0]!.message).toMatch(/: PostgreSQL \d+ refuses it until the ADD VALUE commits \(55P04\), and the migration is rolled back$/);
  });
});
