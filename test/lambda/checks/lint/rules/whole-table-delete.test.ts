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

  it('reports a DELETE whose WHERE every row matches, and keeps that WHERE in the batches', async () => {
    const r = await lint('ALTER TABLE purchases ADD COLUMN archived_at timestamptz;\nDELETE FROM purchases WHERE archived_at IS NULL;');
    expect(r.findings).toMatchObject([{ rule: 'whole-table-delete', line: 2 }]);
    expect(r.findings[0]!.message).toContain('(its WHERE matches every row: archived_at was added by this run without a default, so it is NULL in every row)');
    expect(fixFiles(r.findings[0]!.fix)[0]).toContain(
      'DELETE FROM purchases WHERE (sg_done IS NULL OR id > sg_done) AND id <= sg_upto AND (archived_at IS NULL);',
    );
  });

  it('judges a DELETE with USING and a WHERE as possibly narrower', async () => {
    expect(await rules('DELETE FROM purchases USING leads AS l WHERE true;')).toEqual([]);
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
