/** Rule index-not-concurrent: the findings it reports, and what it lets pass. */
import { describe, expect, it } from 'vitest';
import { lint, rules } from '../pending';

describe('Rule: index-not-concurrent', () => {
  it('reports CREATE INDEX without CONCURRENTLY on an existing table, at the table name', async () => {
    const r = await lint('CREATE INDEX leads_name ON leads (name);');
    expect(r.findings).toHaveLength(1);
    const f = r.findings[0]!;
    expect(f).toMatchObject({ rule: 'index-not-concurrent', severity: 'error', file: '2_pending.sql', line: 1, column: 28 });
    expect(f.message).toContain('leads_name');
    expect(f.fix).toContain('CREATE INDEX CONCURRENTLY IF NOT EXISTS leads_name ON leads');
    expect(f.fix).toContain('schemaguard:no-transaction');
  });
  it('reports ADD CONSTRAINT UNIQUE on an existing table (its index is built while writes wait)', async () => {
    expect(await rules('ALTER TABLE leads ADD CONSTRAINT leads_code_key UNIQUE (code);')).toEqual(['index-not-concurrent']);
  });
  it('accepts ADD CONSTRAINT UNIQUE USING INDEX', async () => {
    expect(await rules('ALTER TABLE leads ADD CONSTRAINT leads_code_key UNIQUE USING INDEX leads_code_idx;')).toEqual([]);
  });
  it('does not fire on a table created in the same migration', async () => {
    expect(await rules('CREATE TABLE t (id int); CREATE INDEX t_id ON t (id);')).toEqual([]);
  });
  it('does not fire on a table created by an earlier pending migration of the same run', async () => {
    expect(await rules('CREATE TABLE t (id int);', 'CREATE INDEX t_id ON t (id);')).toEqual([]);
  });
  it('fires on a table created by an applied migration', async () => {
    expect(await rules('CREATE INDEX p_lead ON purchases (lead_id);')).toEqual(['index-not-concurrent']);
  });
  it('treats a table no migration creates as existing', async () => {
    expect(await rules('CREATE INDEX x_a ON somewhere_else (a);')).toEqual(['index-not-concurrent']);
  });
  it('accepts CREATE INDEX CONCURRENTLY in a no-transaction file', async () => {
    expect(await rules('-- schemaguard:no-transaction\nCREATE INDEX CONCURRENTLY IF NOT EXISTS leads_name ON leads (name);')).toEqual([]);
  });
});
