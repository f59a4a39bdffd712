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
    ['an UPDATE with WHERE', 'UPDATE leads SET score = 0 WHERE score IS NULL;'],
    ['a table created in the pending set', 'CREATE TABLE fresh (id int PRIMARY KEY, n int);\nUPDATE fresh SET n = 0;'],
    ['a table created by an earlier pending file', ['CREATE TABLE fresh (id int PRIMARY KEY, n int);', 'UPDATE fresh SET n = 0;']],
    ['an UPDATE inside a DO block', "DO $$ BEGIN UPDATE leads SET score = 0; END $$;"],
  ])('lets %s pass', async (_what, sql) => {
    expect(await rules(...(Array.isArray(sql) ? sql : [sql]))).toEqual([]);
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
