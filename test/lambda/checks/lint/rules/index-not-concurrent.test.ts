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

  it('reports ADD COLUMN … UNIQUE on an existing table (its index is built under ACCESS EXCLUSIVE)', async () => {
    const r = await lint('ALTER TABLE leads ADD COLUMN handle text UNIQUE;');
    expect(r.findings.map((f) => f.rule)).toEqual(['index-not-concurrent']);
    expect(r.findings[0]!.message).toContain('ADD COLUMN handle … UNIQUE on existing table leads');
    expect(r.findings[0]!.fix).toContain('ALTER TABLE leads ADD COLUMN handle text;');
    expect(r.findings[0]!.fix).toContain('CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS leads_handle_key ON leads (handle);');
    expect(r.findings[0]!.fix).toContain('ALTER TABLE leads ADD CONSTRAINT leads_handle_key UNIQUE USING INDEX leads_handle_key;');
  });
  it('reports ADD COLUMN … PRIMARY KEY on an existing table', async () => {
    expect(await rules('ALTER TABLE audit_log ADD COLUMN id bigint NOT NULL DEFAULT 0 PRIMARY KEY;')).toEqual(['index-not-concurrent']);
  });
  it('accepts ADD COLUMN … UNIQUE on a new table', async () => {
    expect(await rules('CREATE TABLE t (a int);\nALTER TABLE t ADD COLUMN handle text UNIQUE;')).toEqual([]);
  });
  it('accepts CREATE INDEX IF NOT EXISTS of an index an earlier migration created (a no-op)', async () => {
    expect(await rules('-- schemaguard:no-transaction\nCREATE INDEX CONCURRENTLY IF NOT EXISTS leads_name ON leads (name);', 'CREATE INDEX IF NOT EXISTS leads_name ON leads (name);')).toEqual([]);
  });
  it('follows a table created and renamed in the pending set: still new', async () => {
    expect(await rules('CREATE TABLE accounts_v2 (id int, email text);', 'ALTER TABLE accounts_v2 RENAME TO accounts;\nCREATE INDEX accounts_email ON accounts (email);')).toEqual([]);
  });
  it('follows ALTER TABLE … SET SCHEMA: the moved table is still new', async () => {
    expect(await rules('CREATE SCHEMA app;\nCREATE TABLE accounts (id int);\nALTER TABLE accounts SET SCHEMA app;', 'CREATE INDEX accounts_id ON app.accounts (id);')).toEqual([]);
  });
  it('resolves unqualified names through the file\'s search_path, and starts each file from the default', async () => {
    expect(await rules("CREATE SCHEMA app;\nSET search_path = app;\nCREATE TABLE users (id int);\nCREATE INDEX users_id ON users (id);")).toEqual([]);
    expect(await rules("CREATE SCHEMA app;\nSET search_path = app;\nCREATE TABLE users (id int);", 'CREATE INDEX users_id ON users (id);')).toEqual(['index-not-concurrent']);
  });
});
