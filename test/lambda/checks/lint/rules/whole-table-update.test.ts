/** Rule whole-table-update: the findings it reports, and what it lets pass (APPLIED: leads with a uuid key, purchases with a bigint key). */
import { describe, expect, it } from 'vitest';
import { fixFiles } from '../../../../../lambda/checks/lint/fix';
import { lint, rules } from '../pending';

describe('Rule: whole-table-update', () => {
  it('reports an UPDATE without WHERE of an existing table, as a warning at its line', async () => {
    const r = await lint('SELECT 1;\nUPDATE purchases SET legacy_lead = NULL;');
    expect(r.findings).toMatchObject([{ rule: 'whole-table-update', severity: 'warning', line: 2 }]);
    expect(r.findings[0]!.message).toContain("until the file's COMMIT");
  });

  it('says the locks last until the statement ends in a no-transaction file', async () => {
    const r = await lint('-- schemaguard:no-transaction\nUPDATE leads SET score = 0;');
    expect(r.findings[0]!.message).toContain('until the statement ends');
  });

  it.each([
    ['an UPDATE with WHERE', 'UPDATE leads SET score = 0 WHERE score > 3;'],
    ['a table created in the pending set', 'CREATE TABLE fresh (id int PRIMARY KEY, n int);\nUPDATE fresh SET n = 0;'],
    ['a table created by an earlier pending file', ['CREATE TABLE fresh (id int PRIMARY KEY, n int);', 'UPDATE fresh SET n = 0;']],
    ['an UPDATE inside a DO block', 'DO $$ BEGIN UPDATE leads SET score = 0; END $$;'],
    [
      'the backfill statement (it runs in batches, each its own transaction)',
      "ALTER TABLE leads ADD COLUMN status text;\n-- schemaguard:backfill\nUPDATE leads SET status = 'new' WHERE status IS NULL;",
    ],
  ])('lets %s pass', async (_what, sql) => {
    expect(await rules(...(Array.isArray(sql) ? sql : [sql]))).toEqual([]);
  });

  describe('a WHERE every row matches', () => {
    const ADD = 'ALTER TABLE leads ADD COLUMN status text;';
    it.each([
      [
        'IS NULL of a column added just before without a default (the usual backfill)',
        `${ADD}\nUPDATE leads SET status = 'new' WHERE status IS NULL;`,
        'status was added by this run without a default, so it is NULL in every row',
      ],
      ['the same, the column added by an earlier pending file', [ADD, "UPDATE leads SET status = 'new' WHERE status IS NULL;"], 'status was added by this run'],
      [
        'the same, qualified by an alias, the column renamed since',
        `${ADD}\nALTER TABLE leads RENAME COLUMN status TO state;\nUPDATE leads AS l SET state = 'new' WHERE l.state IS NULL;`,
        'state was added by this run',
      ],
      [
        'the same on a table no migration created',
        "ALTER TABLE elsewhere ADD COLUMN status text;\nUPDATE elsewhere SET status = 'new' WHERE status IS NULL;",
        'status was added by this run',
      ],
      ['WHERE true', 'UPDATE leads SET score = 0 WHERE true;', 'WHERE true'],
      ['two equal constants', "UPDATE leads SET score = 0 WHERE 1 = 1 AND 'a' = 'a';", 'it compares two equal constants, and it compares two equal constants'],
      ['IS NOT NULL of the primary key', 'UPDATE leads SET score = 0 WHERE id IS NOT NULL;', 'id is NOT NULL in every row'],
      ['an OR with one part that every row matches', 'UPDATE leads SET score = 0 WHERE score > 3 OR leads.id IS NOT NULL;', 'id is NOT NULL in every row'],
    ])('reports %s', async (_what, sql, reason) => {
      const r = await lint(...(Array.isArray(sql) ? sql : [sql]));
      expect(r.findings.map((f) => f.rule)).toEqual(['whole-table-update']);
      expect(r.findings[0]!.message).toContain('in one statement (its WHERE matches every row: ');
      expect(r.findings[0]!.message).toContain(reason);
    });

    it.each([
      ['a column added with a DEFAULT', "ALTER TABLE leads ADD COLUMN status text DEFAULT 'new';\nUPDATE leads SET status = 'old' WHERE status IS NULL;"],
      [
        'a column of a domain with a DEFAULT',
        "CREATE DOMAIN lead_status AS text DEFAULT 'new';\nALTER TABLE leads ADD COLUMN status lead_status;\nUPDATE leads SET status = 'old' WHERE status IS NULL;",
      ],
      [
        'a column written by an UPDATE before',
        `${ADD}\nUPDATE leads SET status = 'new' WHERE score > 3;\nUPDATE leads SET status = 'old' WHERE status IS NULL;`,
      ],
      [
        'a column written by a MERGE before',
        `${ADD}\nMERGE INTO leads AS l USING purchases AS p ON p.lead_id = l.id WHEN MATCHED THEN UPDATE SET status = 'bought';\nUPDATE leads SET status = 'new' WHERE status IS NULL;`,
      ],
      [
        'a column written by a DO block before (lint cannot follow it)',
        `${ADD}\nDO $$ BEGIN UPDATE leads SET status = 'new' WHERE score > 3; END $$;\nUPDATE leads SET status = 'old' WHERE status IS NULL;`,
      ],
      [
        'a column whose type changed since',
        `${ADD}\nALTER TABLE leads ALTER COLUMN status TYPE varchar(20) USING coalesce(status, name);\nUPDATE leads SET status = 'old' WHERE status IS NULL;`,
      ],
      [
        'a column added IF NOT EXISTS (it may be there already, with values)',
        "ALTER TABLE elsewhere ADD COLUMN IF NOT EXISTS status text;\nUPDATE elsewhere SET status = 'new' WHERE status IS NULL;",
      ],
      [
        'a column of a table the pending set created',
        'CREATE TABLE fresh (id int PRIMARY KEY);\nALTER TABLE fresh ADD COLUMN n int;\nUPDATE fresh SET n = 0 WHERE n IS NULL;',
      ],
      ['IS NULL of a column the applied migrations made', 'UPDATE leads SET score = 0 WHERE score IS NULL;'],
      ['IS NULL narrowed by a range', `${ADD}\nUPDATE leads SET status = 'new' WHERE status IS NULL AND score <= 5000;`],
      ['a column of another table in FROM', `${ADD}\nUPDATE leads SET status = 'new' FROM purchases AS p WHERE status IS NULL AND p.lead_id = leads.id;`],
      ['a column qualified by another name', `${ADD}\nUPDATE leads SET status = 'new' WHERE other.status IS NULL;`],
      ['two different constants', 'UPDATE leads SET score = 0 WHERE 1 = 2;'],
    ])('lets %s pass', async (_what, sql) => {
      // (The type change is column-type-rewrite's to report.)
      expect(await rules(sql)).not.toContain('whole-table-update');
    });

    it('batches with its own WHERE kept after the range', async () => {
      const [finding] = (await lint(`${ADD}\nUPDATE leads SET status = 'new' WHERE status IS NULL -- every row\n;`)).findings;
      const [file] = fixFiles(finding!.fix);
      expect(file).toContain("UPDATE leads SET status = 'new' WHERE (sg_done IS NULL OR id > sg_done) AND id <= sg_upto AND (status IS NULL);");
    });

    it("does not mistake a subquery's WHERE for its own", async () => {
      const [finding] = (await lint(`${ADD}\nUPDATE leads SET status = (SELECT 'x' WHERE true) WHERE true;`)).findings;
      expect(fixFiles(finding!.fix)[0]).toContain(
        "UPDATE leads SET status = (SELECT 'x' WHERE true) WHERE (sg_done IS NULL OR id > sg_done) AND id <= sg_upto AND (true);",
      );
    });
  });

  it('batches by the one-column primary key: the SET as written, the range after it, a trailing comment left out', async () => {
    const [finding] = (await lint("UPDATE purchases SET legacy_lead = 'x' /* inline */, lead_id = NULL -- backfill\n;")).findings;
    const [file] = fixFiles(finding!.fix);
    expect(file).toContain('-- schemaguard:no-transaction');
    expect(file).toContain('sg_done purchases.id%TYPE;');
    expect(file).toContain("UPDATE purchases SET legacy_lead = 'x' /* inline */, lead_id = NULL WHERE (sg_done IS NULL OR id > sg_done) AND id <= sg_upto;");
    expect(file).toContain('ORDER BY id LIMIT 5000');
    expect(file).not.toContain('-- backfill');
  });

  it.each([
    ['no primary key known (a table no migration created)', 'UPDATE elsewhere SET a = 1;'],
    ['a FROM clause', 'UPDATE purchases SET legacy_lead = l.code FROM leads AS l;'],
    ['RETURNING', 'UPDATE purchases SET legacy_lead = NULL RETURNING id;'],
  ])('gives advice, not a DO block, for %s', async (_what, sql) => {
    const [finding] = (await lint(sql)).findings.filter((f) => f.rule === 'whole-table-update');
    const [file] = fixFiles(finding!.fix);
    expect(file).toContain('loops over ranges of its primary key');
    expect(file).not.toContain('DO $$');
  });
});
