/** Rule concurrently-in-transaction: the findings it reports, and what it lets pass. */
import { describe, expect, it } from 'vitest';
import { lint, rules } from '../pending';

describe('Rule: concurrently-in-transaction', () => {
  it('reports CREATE INDEX CONCURRENTLY in a transactional file (the loader refuses it too)', async () => {
    const r = await lint('CREATE TABLE t (id int);\nCREATE INDEX CONCURRENTLY t_id ON t (id);');
    expect(r.findings).toMatchObject([{ rule: 'concurrently-in-transaction', line: 2 }]);
  });
  it('reports DROP INDEX CONCURRENTLY and REINDEX CONCURRENTLY', async () => {
    expect(await rules('DROP INDEX CONCURRENTLY IF EXISTS i;')).toEqual(['concurrently-in-transaction']);
    expect(await rules('REINDEX (CONCURRENTLY) INDEX i;')).toEqual(['concurrently-in-transaction']);
  });
  // Regression: mattermost's -- morph:nontransactional is a plain comment to schemaguard; the fix did not say so.
  it("names another tool's no-transaction marker in the fix, and the directive to write instead", async () => {
    const r = await lint('-- morph:nontransactional\nCREATE INDEX CONCURRENTLY IF NOT EXISTS i ON t (id);');
    expect(r.findings[0]!.fix.split('\n').slice(1, 3)).toEqual([
      '-- schemaguard:no-transaction',
      '-- this file carries morph (mattermost)\'s no-transaction marker "-- morph:nontransactional" (line 1), which schemaguard reads as a plain comment: write -- schemaguard:no-transaction on the file\'s first line instead',
    ]);
  });
});
