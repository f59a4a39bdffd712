/** Rule index-not-concurrent: the findings it reports, and what it lets pass. */
import { describe, expect, it } from 'vitest';
import { lint, lintAfter, rules } from '../pending';

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
  // Regression: lint said nothing of a plain REINDEX (plan showed its locks); it rebuilds under SHARE on the table and ACCESS EXCLUSIVE on each index.
  it('reports REINDEX TABLE and REINDEX INDEX without CONCURRENTLY on an existing table; the fix adds CONCURRENTLY in a no-transaction file', async () => {
    const r = await lint('REINDEX TABLE leads;', 'REINDEX (VERBOSE) INDEX leads_pkey;');
    expect(r.findings.map((f) => `${f.file}:${f.line} ${f.rule}: ${f.message}`)).toEqual([
      '2_pending.sql:1 index-not-concurrent: REINDEX table leads without CONCURRENTLY',
      '3_pending.sql:1 index-not-concurrent: REINDEX index leads_pkey without CONCURRENTLY',
    ]);
    expect(r.findings[0]!.fix).toContain('-- schemaguard:no-transaction\nREINDEX TABLE CONCURRENTLY leads;');
    expect(r.findings[1]!.fix).toContain('REINDEX (VERBOSE) INDEX CONCURRENTLY leads_pkey;');
  });
  it('accepts REINDEX … CONCURRENTLY, REINDEX of a table, index or schema the pending migrations made, and REINDEX SYSTEM (no CONCURRENTLY form)', async () => {
    expect(await rules('-- schemaguard:no-transaction\nREINDEX TABLE CONCURRENTLY leads;')).toEqual([]);
    expect(await rules('CREATE TABLE t (id int);\nCREATE INDEX t_id ON t (id);', 'REINDEX TABLE t;\nREINDEX INDEX t_id;')).toEqual([]);
    expect(await rules('-- schemaguard:no-transaction\nREINDEX SCHEMA CONCURRENTLY public;\nREINDEX (VERBOSE) DATABASE CONCURRENTLY app;')).toEqual([]);
    expect(await rules('CREATE SCHEMA fresh;', '-- schemaguard:no-transaction\nREINDEX SCHEMA fresh;')).toEqual([]);
    expect(await rules('-- schemaguard:no-transaction\nREINDEX SYSTEM;')).toEqual([]);
  });

  it('reports REINDEX SCHEMA of a schema a pending migration renamed, or moved an existing table into', async () => {
    const renamed = await lintAfter(
      'CREATE SCHEMA app;\nCREATE TABLE app.a (id int);',
      'ALTER SCHEMA app RENAME TO core;',
      '-- schemaguard:no-transaction\nREINDEX SCHEMA core;',
    );
    expect(renamed.findings.map((f) => f.rule)).toEqual(['renaming-schema', 'index-not-concurrent']);
    expect(await rules('CREATE SCHEMA fresh;\nALTER TABLE leads SET SCHEMA fresh;', '-- schemaguard:no-transaction\nREINDEX SCHEMA fresh;')).toContain(
      'index-not-concurrent',
    );
  });

  // Regression: REINDEX SCHEMA and DATABASE were left to plan; they rebuild every table's indexes in turn with REINDEX TABLE's locks.
  it('reports REINDEX SCHEMA and DATABASE without CONCURRENTLY; the fix adds it after the keyword', async () => {
    const r = await lint('-- schemaguard:no-transaction\nREINDEX SCHEMA public;\nREINDEX (VERBOSE) DATABASE app;\nREINDEX DATABASE;');
    expect(r.findings.map((f) => `${f.file}:${f.line} ${f.rule}: ${f.message}`)).toEqual([
      '2_pending.sql:2 index-not-concurrent: REINDEX schema public without CONCURRENTLY',
      '2_pending.sql:3 index-not-concurrent: REINDEX database app without CONCURRENTLY',
      '2_pending.sql:4 index-not-concurrent: REINDEX database without CONCURRENTLY',
    ]);
    expect(r.findings[0]!.fix).toContain('-- schemaguard:no-transaction\nREINDEX SCHEMA CONCURRENTLY public;');
    expect(r.findings[1]!.fix).toContain('REINDEX (VERBOSE) DATABASE CONCURRENTLY app;');
    expect(r.findings[2]!.fix).toContain('REINDEX DATABASE CONCURRENTLY;');
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
    expect(
      await rules(
        '-- schemaguard:no-transaction\nCREATE INDEX CONCURRENTLY IF NOT EXISTS leads_name ON leads (name);',
        'CREATE INDEX IF NOT EXISTS leads_name ON leads (name);',
      ),
    ).toEqual([]);
  });
  it('follows a table created and renamed in the pending set: still new', async () => {
    expect(
      await rules(
        'CREATE TABLE accounts_v2 (id int, email text);',
        'ALTER TABLE accounts_v2 RENAME TO accounts;\nCREATE INDEX accounts_email ON accounts (email);',
      ),
    ).toEqual([]);
  });
  it('follows ALTER TABLE … SET SCHEMA: the moved table is still new', async () => {
    expect(
      await rules(
        'CREATE SCHEMA app;\nCREATE TABLE accounts (id int);\nALTER TABLE accounts SET SCHEMA app;',
        'CREATE INDEX accounts_id ON app.accounts (id);',
      ),
    ).toEqual([]);
  });
  it("resolves unqualified names through the file's search_path, and starts each file from the default", async () => {
    expect(await rules('CREATE SCHEMA app;\nSET search_path = app;\nCREATE TABLE users (id int);\nCREATE INDEX users_id ON users (id);')).toEqual([]);
    expect(await rules('CREATE SCHEMA app;\nSET search_path = app;\nCREATE TABLE users (id int);', 'CREATE INDEX users_id ON users (id);')).toEqual([
      'index-not-concurrent',
    ]);
  });
});

describe('Rule: index-not-concurrent on a partitioned table', () => {
  const LEDGER = `CREATE TABLE ledger (id bigint, at date NOT NULL, kind text) PARTITION BY RANGE (at);
CREATE TABLE ledger_2025 PARTITION OF ledger FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');
CREATE TABLE ledger_2026 PARTITION OF ledger FOR VALUES FROM ('2026-01-01') TO ('2027-01-01');
CREATE TABLE ledger_old (id bigint, at date NOT NULL, kind text);
ALTER TABLE ledger ATTACH PARTITION ledger_old FOR VALUES FROM ('2020-01-01') TO ('2025-01-01');
ALTER TABLE ledger DETACH PARTITION ledger_2026;`;

  it("prints the parent's index ON ONLY, then each partition's built CONCURRENTLY and attached (PostgreSQL refuses CONCURRENTLY on the parent)", async () => {
    const r = await lintAfter(LEDGER, 'CREATE INDEX ledger_kind ON ledger USING btree (kind) WHERE kind IS NOT NULL;');
    expect(r.findings.map((f) => f.rule)).toEqual(['index-not-concurrent']);
    expect(r.findings[0]!.message).toBe("CREATE INDEX ledger_kind on partitioned table ledger builds every partition's index while blocking writes");
    expect(r.findings[0]!.fix.split('\n').filter((l) => !l.startsWith('--'))).toEqual([
      "CREATE INDEX IF NOT EXISTS ledger_kind ON ONLY ledger USING btree (kind) WHERE kind IS NOT NULL;  -- the parent's index alone: invalid until every partition's is attached",
      'CREATE INDEX CONCURRENTLY IF NOT EXISTS ledger_2025_kind_idx ON ledger_2025 USING btree (kind) WHERE kind IS NOT NULL;',
      'ALTER INDEX ledger_kind ATTACH PARTITION ledger_2025_kind_idx;',
      'CREATE INDEX CONCURRENTLY IF NOT EXISTS ledger_old_kind_idx ON ledger_old USING btree (kind) WHERE kind IS NOT NULL;',
      'ALTER INDEX ledger_kind ATTACH PARTITION ledger_old_kind_idx;',
    ]);
    expect(r.findings[0]!.fix).toContain('-- schemaguard:no-transaction');
  });

  it('leaves out a partition dropped by a migration, and prints the steps as a template when no migration creates a partition', async () => {
    const dropped = await lintAfter(`${LEDGER}\nDROP TABLE ledger_old;`, 'CREATE INDEX ledger_kind ON ledger (kind);');
    expect(dropped.findings[0]!.fix).not.toContain('ledger_old');
    const none = await lintAfter(
      'CREATE SCHEMA app; CREATE TABLE app.events (id bigint, at date) PARTITION BY LIST (at);',
      'CREATE INDEX events_id ON app.events (id);',
    );
    expect(none.findings[0]!.fix.split('\n').slice(2)).toEqual([
      "CREATE INDEX IF NOT EXISTS events_id ON ONLY app.events (id);  -- the parent's index alone: invalid until every partition's is attached",
      '-- for each partition (the migrations lint read create none), with its own index name:',
      '--   CREATE INDEX CONCURRENTLY IF NOT EXISTS <partition_idx> ON <partition> (id);',
      '--   ALTER INDEX app.events_id ATTACH PARTITION <partition_idx>;',
      '-- partitions created later get their own index; if a build fails, schemaguard drops the INVALID index it left, so the file can run again',
    ]);
  });

  it('accepts CREATE INDEX … ON ONLY a partitioned table (it builds nothing), and a partitioned table created in the pending files', async () => {
    expect((await lintAfter(LEDGER, 'CREATE INDEX ledger_kind ON ONLY ledger (kind);')).findings).toEqual([]);
    expect((await lintAfter(undefined, LEDGER, 'CREATE INDEX ledger_kind ON ledger (kind);')).findings).toEqual([]);
  });
  // Regression: CREATE INDEX CONCURRENTLY on a partitioned table passed lint and plan, though PostgreSQL always refuses it (0A000).
  it('reports CREATE INDEX CONCURRENTLY on a partitioned table as an error (PostgreSQL refuses it), with the ON ONLY route; no other rule on it', async () => {
    const r = await lintAfter(LEDGER, '-- schemaguard:no-transaction\nCREATE INDEX CONCURRENTLY IF NOT EXISTS ledger_kind ON ledger (kind);');
    expect(r.findings.map((f) => [f.rule, f.severity, f.message])).toEqual([
      [
        'index-not-concurrent',
        'error',
        'CREATE INDEX CONCURRENTLY ledger_kind on partitioned table ledger: PostgreSQL refuses it (0A000), and the migration fails',
      ],
    ]);
    expect(r.findings[0]!.fix.split('\n').filter((l) => !l.startsWith('--'))).toEqual([
      "CREATE INDEX IF NOT EXISTS ledger_kind ON ONLY ledger (kind);  -- the parent's index alone: invalid until every partition's is attached",
      'CREATE INDEX CONCURRENTLY IF NOT EXISTS ledger_2025_kind_idx ON ledger_2025 (kind);',
      'ALTER INDEX ledger_kind ATTACH PARTITION ledger_2025_kind_idx;',
      'CREATE INDEX CONCURRENTLY IF NOT EXISTS ledger_old_kind_idx ON ledger_old (kind);',
      'ALTER INDEX ledger_kind ATTACH PARTITION ledger_old_kind_idx;',
    ]);
    const unnamedInTransaction = await lintAfter(LEDGER, 'CREATE UNIQUE INDEX CONCURRENTLY ON ledger (id, at);');
    expect(unnamedInTransaction.findings.map((f) => [f.rule, f.message])).toEqual([
      ['index-not-concurrent', 'CREATE UNIQUE INDEX CONCURRENTLY on partitioned table ledger: PostgreSQL refuses it (0A000), and the migration fails'],
    ]);
  });
  it('reports CREATE INDEX CONCURRENTLY on a partitioned table the pending files create, and ON ONLY: the fix drops CONCURRENTLY', async () => {
    const created = await lintAfter(
      undefined,
      'CREATE TABLE p (id int, at date) PARTITION BY RANGE (at);',
      '-- schemaguard:no-transaction\nCREATE INDEX CONCURRENTLY IF NOT EXISTS p_id_idx ON p (id);',
    );
    expect(created.findings.map((f) => [f.file, f.rule, f.severity, f.fix.split('\n')[0]])).toEqual([
      ['3_pending.sql', 'index-not-concurrent', 'error', 'CREATE INDEX IF NOT EXISTS p_id_idx ON p (id);'],
    ]);
    const only = await lintAfter(LEDGER, '-- schemaguard:no-transaction\nCREATE INDEX CONCURRENTLY ledger_id ON ONLY ledger (id);');
    expect(only.findings.map((f) => f.fix.split('\n')[0])).toEqual(['CREATE INDEX ledger_id ON ONLY ledger (id);']);
  });
  it('a plain table keeps CREATE INDEX CONCURRENTLY unreported', async () => {
    expect(
      (await lintAfter('CREATE TABLE t (id int);', '-- schemaguard:no-transaction\nCREATE INDEX CONCURRENTLY IF NOT EXISTS t_id ON t (id);')).findings,
    ).toEqual([]);
  });
  it("a primary key's fix proves NOT NULL only for the columns no validated CHECK (name IS NOT NULL AND …) proves already", async () => {
    const before =
      "ALTER TABLE purchases ADD CONSTRAINT purchases_legacy_nn CHECK (legacy_lead IS NOT NULL AND legacy_lead <> '') NOT VALID;\nALTER TABLE purchases ADD CONSTRAINT purchases_lead_nn CHECK (lead_id IS NOT NULL) NOT VALID;";
    const validated = 'ALTER TABLE purchases VALIDATE CONSTRAINT purchases_legacy_nn;';
    const fix = (await lint(before, validated, 'ALTER TABLE purchases ADD CONSTRAINT purchases_key PRIMARY KEY (legacy_lead, lead_id);')).findings.find(
      (f) => f.rule === 'index-not-concurrent',
    )!.fix;
    expect(fix).toContain('SET NOT NULL');
    expect(fix).toContain('ALTER COLUMN lead_id SET NOT NULL');
    expect(fix).not.toContain('ALTER COLUMN legacy_lead SET NOT NULL');
  });
});
