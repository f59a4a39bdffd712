/**
 * constraint-not-valid on real PostgreSQL (18; 15 too in the full matrix):
 * the fix for new columns' CHECK and REFERENCES on an existing table, beside
 * other commands of the same ALTER TABLE, applied through the engine, gives
 * every column and constraint the statement meant, each constraint validated;
 * and it passes lint itself. On `ALTER TABLE ONLY`, the fix goes where the
 * statement goes, and is refused where the statement is.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { formatFinding } from '../../../../../lambda/checks/findings/finding';
import { fixFiles } from '../../../../../lambda/checks/lint/fix';
import { dropDatabases, freshDatabase, rows, targets } from '../../../../support/db';
import { driverKinds } from '../../../../support/drivers';
import { runEngine } from '../../../../support/engine';
import { tempDir } from '../../../../support/files';
import { directAndFixed, ONLY_SETUP } from '../fix-outcome';
import { lintAfter } from '../pending';

afterAll(dropDatabases);

const pgDriver = driverKinds.find((d) => d.name === 'pg')!;

/** orders' columns besides id: type, NOT NULL and default. */
const COLUMNS = `SELECT a.attname AS column, format_type(a.atttypid, a.atttypmod) AS type, a.attnotnull AS not_null, pg_get_expr(d.adbin, d.adrelid) AS default
  FROM pg_attribute a LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
  WHERE a.attrelid = 'orders'::regclass AND a.attnum > 0 AND NOT a.attisdropped AND a.attname <> 'id' ORDER BY a.attnum`;

/** orders' CHECK and foreign key constraints, as PostgreSQL prints them, and whether each is validated. */
const CONSTRAINTS = `SELECT conname AS name, pg_get_constraintdef(oid) AS def, convalidated AS valid
  FROM pg_constraint WHERE conrelid = 'orders'::regclass AND contype IN ('c', 'f') ORDER BY conname`;

describe.each(targets)('constraint-not-valid: new columns beside other commands, on $name', (target) => {
  // Regression: the fix was ALTER TABLE … ADD COLUMN of the reported column alone: ADD COLUMN note and ADD CONSTRAINT orders_id_positive were gone, and each new column's fix left the other's CHECK or REFERENCES validated at once.
  it("the fix's two files, applied, give every column and constraint of the statement, each validated", async () => {
    const url = await freshDatabase(target, 'cnv_beside');
    const existing = 'CREATE TABLE leads (id uuid PRIMARY KEY);\nCREATE TABLE orders (id bigint PRIMARY KEY);\nINSERT INTO orders VALUES (1);\n';
    const alter =
      "ALTER TABLE orders ADD CONSTRAINT orders_id_positive CHECK (id > 0), ADD COLUMN note text NOT NULL DEFAULT 'none',\n" +
      '  ADD COLUMN qty int DEFAULT 1 CHECK (qty > 0), ADD COLUMN lead_id uuid DEFAULT NULL CONSTRAINT orders_lead_fk REFERENCES leads (id) ON DELETE SET NULL;';
    const findings = (await lintAfter(existing, alter)).findings.filter((f) => f.rule === 'constraint-not-valid');
    expect(findings).toHaveLength(3);
    expect(new Set(findings.map((f) => f.fix)).size).toBe(1);
    const files = fixFiles(findings[0]!.fix);
    expect(files).toHaveLength(2);
    expect((await lintAfter(existing, ...files)).findings.map(formatFinding)).toEqual([]);

    await runEngine(pgDriver, url, tempDir({ '1_existing.sql': existing, '2_fix.sql': files[0]!, '3_fix.sql': files[1]! }));

    expect(await rows(url, COLUMNS)).toEqual([
      { column: 'note', type: 'text', not_null: true, default: "'none'::text" },
      { column: 'qty', type: 'integer', not_null: false, default: '1' },
      { column: 'lead_id', type: 'uuid', not_null: false, default: null },
    ]);
    expect(await rows(url, CONSTRAINTS)).toEqual([
      { name: 'orders_id_positive', def: 'CHECK ((id > 0))', valid: true },
      { name: 'orders_lead_fk', def: 'FOREIGN KEY (lead_id) REFERENCES leads(id) ON DELETE SET NULL', valid: true },
      { name: 'orders_qty_check', def: 'CHECK ((qty > 0))', valid: true },
    ]);
    expect(await rows(url, 'SELECT id, note, qty, lead_id FROM orders')).toEqual([{ id: '1', note: 'none', qty: 1, lead_id: null }]);
  });
});

// Regression: the fix's ADD CONSTRAINT … NOT VALID dropped the statement's ONLY: on a partitioned table with partitions, where PostgreSQL refuses the statement, the fix put the constraint on every partition.
describe.each(targets)('constraint-not-valid: the fix of an ALTER TABLE ONLY, on $name', (target) => {
  const cases: { sql: string; after?: string; refused?: string }[] = [
    { sql: 'ALTER TABLE ONLY ledger ADD CONSTRAINT ledger_n_positive CHECK (n > 0);', refused: 'constraint must be added to child tables too' },
    {
      sql: 'ALTER TABLE ONLY ledger ADD CONSTRAINT ledger_lead_fk FOREIGN KEY (lead_id) REFERENCES leads (id);',
      refused: 'cannot use ONLY for foreign key on partitioned table "ledger" referencing relation "leads"',
    },
    {
      sql: 'ALTER TABLE ONLY parent ADD CONSTRAINT parent_n_positive CHECK (n > 0) NO INHERIT, ADD CONSTRAINT parent_lead_fk FOREIGN KEY (lead_id) REFERENCES leads (id);',
    },
    // The VALIDATE goes without ONLY: a partition created after the NOT VALID holds the constraint too, and ONLY would be refused.
    {
      sql: 'ALTER TABLE ONLY journal ADD CONSTRAINT journal_n_positive CHECK (n > 0);',
      after: 'CREATE TABLE journal_1 PARTITION OF journal FOR VALUES FROM (0) TO (100);\nINSERT INTO journal VALUES (1, 1);',
    },
  ];

  it.each(cases)('$sql', async ({ sql, after, refused }) => {
    const r = await directAndFixed(target, 'constraint-not-valid', ONLY_SETUP, sql, after);
    expect(r.fixFindings).toEqual([]);
    expect(r.direct.refused).toBe(refused);
    expect(r.fixed).toEqual(r.direct);
    if (!refused) expect(r.fixed.constraints.map((c) => c.valid)).not.toContain(false);
  });
});

// Regression (review): unnamed CHECKs on one column, each taken out of the statement, were all added as <table>_<column>_check, and the fix's second ADD CONSTRAINT failed.
describe.each(targets)('constraint-not-valid: unnamed and deferrable constraints of one statement, on $name', (target) => {
  it.each([
    ['ALTER TABLE parent ADD CHECK (n > 0), ADD CHECK (n < 100);', ['parent_n_check', 'parent_n_check1']],
    [
      'ALTER TABLE parent ADD COLUMN c int DEFAULT 1 CHECK (c > 0) CHECK (c < 10), ADD CHECK (c <> 5);',
      ['parent_c_check', 'parent_c_check1', 'parent_c_check2'],
    ],
    // Regression: the column kept a bare DEFERRABLE (refused by PostgreSQL), and the deferred key lost it.
    ['ALTER TABLE parent ADD COLUMN lead2 int DEFAULT 1 REFERENCES leads (id) DEFERRABLE INITIALLY DEFERRED, ADD COLUMN note text;', ['parent_lead2_fkey']],
  ])('%s', async (sql, names) => {
    const r = await directAndFixed(target, 'constraint-not-valid', ONLY_SETUP, sql);
    expect(r.fixFindings).toEqual([]);
    expect(r.direct.refused).toBeUndefined();
    expect(r.fixed).toEqual(r.direct);
    expect(r.fixed.constraints.filter((c) => c.table === 'parent').map((c) => c.name)).toEqual(expect.arrayContaining(names));
  });
});
