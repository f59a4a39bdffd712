/** Rule unnamed-concurrent-index: the findings it reports, and what it lets pass. */
import { describe, expect, it } from 'vitest';
import { lint, rules } from '../pending';

const NO_TX = '-- schemaguard:no-transaction\n';
const FIX = `-- file 1 of 1: in place of the statement\n${NO_TX}`;

describe('Rule: unnamed-concurrent-index', () => {
  it('reports an unnamed concurrent build in a no-transaction file; the fix names it as PostgreSQL would', async () => {
    const r = await lint(`${NO_TX}CREATE INDEX CONCURRENTLY ON purchases (lead_id, legacy_lead);`);
    expect(r.findings).toMatchObject([
      {
        rule: 'unnamed-concurrent-index',
        severity: 'warning',
        line: 2,
        message: 'CREATE INDEX CONCURRENTLY without a name: a rerun after a failed build cannot find its INVALID index, and builds another beside it',
        fix: `${FIX}CREATE INDEX CONCURRENTLY IF NOT EXISTS purchases_lead_id_legacy_lead_idx ON purchases (lead_id, legacy_lead);`,
      },
    ]);
  });

  it("names a function call's key by the function and another expression expr, as PostgreSQL does (leads_lower_idx, leads_name_expr_idx on 15 and 18), keeping UNIQUE and the method", async () => {
    const r = await lint(
      `${NO_TX}CREATE UNIQUE INDEX CONCURRENTLY ON leads USING btree (lower(name));`,
      `${NO_TX}CREATE INDEX CONCURRENTLY ON leads (name, (score + 1));`,
    );
    expect(r.findings.map((f) => f.fix)).toEqual([
      `${FIX}CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS leads_lower_idx ON leads USING btree (lower(name));`,
      `${FIX}CREATE INDEX CONCURRENTLY IF NOT EXISTS leads_name_expr_idx ON leads (name, (score + 1));`,
    ]);
  });

  // Regression: a cast column was named expr (leads_lower_expr_idx); PostgreSQL names it by the column (index-name.int.test.ts checks many shapes on 18, and on 15 in the full matrix).
  it('names a cast column by the column, a repeated name with a number, and INCLUDE columns too, as PostgreSQL does', async () => {
    const r = await lint(`${NO_TX}CREATE INDEX CONCURRENTLY ON leads (lower(name), (score::int), lower(code)) INCLUDE (price);`);
    expect(r.findings.map((f) => f.fix)).toEqual([
      `${FIX}CREATE INDEX CONCURRENTLY IF NOT EXISTS leads_lower_score_lower1_price_idx ON leads (lower(name), (score::int), lower(code)) INCLUDE (price);`,
    ]);
  });

  it('lets a named build pass, with or without IF NOT EXISTS (a rerun finds a named leftover)', async () => {
    expect(await rules(`${NO_TX}CREATE INDEX CONCURRENTLY IF NOT EXISTS leads_name_idx ON leads (name);`)).toEqual([]);
    expect(await rules(`${NO_TX}CREATE INDEX CONCURRENTLY leads_name_idx ON leads (name);`)).toEqual([]);
  });

  it('leaves a transactional file to concurrently-in-transaction', async () => {
    expect(await rules('CREATE INDEX CONCURRENTLY ON leads (name);')).toEqual(['concurrently-in-transaction']);
  });
});
