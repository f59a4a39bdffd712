/** Rule whole-table-delete: the findings it reports, and what it lets pass (APPLIED: leads with a uuid key, purchases with a bigint key). */
import { describe, expect, it } from 'vitest';
import { fixFiles } from '../../../../../lambda/checks/lint/fix';
import { lint, rules } from '../pending';

describe('Rule: whole-table-delete', () => {
  it('reports a DELETE without WHERE of an existing table, as a warning, and no UPDATE rule', async () => {
    const r = await lint('DELETE FROM purchases;');
    expect(r.findings).toMatchObject([{ rule: 'whole-table-delete', severity: 'warning', line: 1 }]);
    expect(r.findings[0]!.message).toContain("until the file's COMMIT");
  });

  it.each([
    ['a DELETE with WHERE', 'DELETE FROM leads WHERE score IS NULL;'],
    ['a table created in the pending set', 'CREATE TABLE fresh (id int PRIMARY KEY);\nDELETE FROM fresh;'],
    ['TRUNCATE', 'TRUNCATE purchases;'],
  ])('lets %s pass', async (_what, sql) => {
    expect(await rules(sql)).toEqual([]);
  });

  it('deletes by ranges of the one-column key in a DO block, and names TRUNCATE with its trade-offs', async () => {
    const [finding] = (await lint('DELETE FROM purchases -- all of them\n;')).findings;
    const [file] = fixFiles(finding!.fix);
    expect(file).toContain('DELETE FROM purchases WHERE (sg_done IS NULL OR id > sg_done) AND id <= sg_upto;');
    expect(file).toContain('TRUNCATE purchases;');
    expect(file).toContain('not MVCC-safe');
  });

  it('gives advice, not a DO block, for a table without a known key', async () => {
    const [finding] = (await lint('DELETE FROM elsewhere;')).findings;
    const [file] = fixFiles(finding!.fix);
    expect(file).toContain('loops over ranges of its primary key');
    expect(file).not.toContain('DO $$');
  });
});
