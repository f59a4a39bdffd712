/** table-rewrite: the statements that copy a whole existing table under ACCESS EXCLUSIVE (their lock and rewrite are the form table's, run on PostgreSQL 18 and 15). */
import { describe, expect, it } from 'vitest';
import { lintAfter } from '../pending';

const EXISTING = `CREATE TABLE leads (id bigint PRIMARY KEY, score int);
CREATE TABLE events (id bigint PRIMARY KEY);
CREATE MATERIALIZED VIEW lead_scores AS SELECT id, score FROM leads;
CREATE INDEX leads_score ON leads (score);`;

const rules = async (sql: string, existing = EXISTING) => (await lintAfter(existing, sql)).findings.map((f) => [f.rule, f.severity, f.message]);

describe('Rule: table-rewrite', () => {
  it.each([
    ['VACUUM FULL leads;', 'VACUUM FULL leads copies the table into new storage under ACCESS EXCLUSIVE'],
    ['VACUUM (FULL, ANALYZE) leads, events;', 'VACUUM FULL leads, events copies each table into new storage'],
    ['VACUUM FULL;', 'VACUUM FULL without a table rewrites every table of the database'],
    ['CLUSTER leads USING leads_pkey;', 'CLUSTER leads copies the table'],
    ['CLUSTER;', 'CLUSTER without a table rewrites every table clustered before'],
    ['REFRESH MATERIALIZED VIEW lead_scores;', 'REFRESH MATERIALIZED VIEW lead_scores computes the view anew'],
    ['ALTER TABLE leads SET UNLOGGED;', 'ALTER TABLE leads SET UNLOGGED copies it into new storage'],
    ['ALTER TABLE leads SET LOGGED;', 'ALTER TABLE leads SET LOGGED copies it'],
    ['ALTER TABLE leads SET TABLESPACE pg_default;', 'ALTER TABLE leads SET TABLESPACE copies it'],
    ['ALTER TABLE leads SET ACCESS METHOD heap;', 'ALTER TABLE leads SET ACCESS METHOD copies it'],
    ['ALTER MATERIALIZED VIEW lead_scores SET TABLESPACE pg_default;', 'ALTER MATERIALIZED VIEW lead_scores SET TABLESPACE copies it'],
    ['VACUUM (FULL true) leads;', 'VACUUM FULL leads copies the table'],
    ['ALTER INDEX leads_score SET TABLESPACE fast;', 'ALTER INDEX leads_score SET TABLESPACE copies the index into fast under ACCESS EXCLUSIVE on it'],
    [
      'ALTER TABLE ALL IN TABLESPACE pg_default SET TABLESPACE fast;',
      'ALTER TABLE ALL IN TABLESPACE pg_default SET TABLESPACE fast copies every table of pg_default',
    ],
    ['ALTER INDEX ALL IN TABLESPACE pg_default OWNED BY app SET TABLESPACE fast;', 'copies every index of pg_default owned by the roles named'],
  ])('reports %s', async (sql, message) => {
    const found = await rules(sql);
    expect(found).toHaveLength(1);
    expect(found[0]![0]).toBe('table-rewrite');
    expect(found[0]![1]).toBe('warning');
    expect(found[0]![2]).toContain(message);
  });

  it('moves an index online: a new index in the tablespace, the old one dropped, both CONCURRENTLY in a file of their own', async () => {
    const [f] = (await lintAfter(EXISTING, 'ALTER INDEX leads_score SET TABLESPACE fast;')).findings;
    expect(f!.fix).toContain('-- schemaguard:no-transaction');
    expect(f!.fix).toMatch(/CREATE \[UNIQUE\] INDEX CONCURRENTLY leads_score_moved ON <its table> USING … \(…\) TABLESPACE fast;/);
    expect(f!.fix).toContain('DROP INDEX CONCURRENTLY leads_score;');
    expect(f!.fix).toContain('ALTER INDEX leads_score_moved RENAME TO leads_score;');
  });

  it('passes ALTER INDEX … SET (storage parameter) and the move of an index on a table the same run creates', async () => {
    expect(await rules('ALTER INDEX leads_score SET (fillfactor = 80);')).toEqual([]);
    expect(await rules('CREATE TABLE fresh (id int);\nCREATE INDEX fresh_id ON fresh (id);\nALTER INDEX fresh_id SET TABLESPACE fast;')).toEqual([]);
  });

  it('reports one ALTER TABLE with two storage changes once, and two such statements each', async () => {
    expect(await rules('ALTER TABLE leads SET UNLOGGED, SET TABLESPACE pg_default;')).toHaveLength(1);
    expect(await rules('ALTER TABLE leads SET UNLOGGED;\nALTER TABLE events SET UNLOGGED;')).toHaveLength(2);
  });

  it('passes SET TABLESPACE of a partitioned table, which moves no partition (only their default), and VACUUM with FULL off', async () => {
    const partitioned =
      "CREATE TABLE ledger (id int, at date) PARTITION BY RANGE (at);\nCREATE TABLE ledger_2026 PARTITION OF ledger FOR VALUES FROM ('2026-01-01') TO ('2027-01-01');";
    expect(await rules('ALTER TABLE ledger SET TABLESPACE pg_default;', partitioned)).toEqual([]);
    expect(await rules('ALTER TABLE ledger_2026 SET TABLESPACE pg_default;', partitioned)).toHaveLength(1);
    expect(await rules('VACUUM (FULL false) leads;\nVACUUM (FULL off, ANALYZE) leads;\nVACUUM (FULL 0) leads;')).toEqual([]);
  });

  it("puts VACUUM FULL's kept statement in a no-transaction file, as PostgreSQL never runs VACUUM in a transaction block", async () => {
    const [f] = (await lintAfter(EXISTING, 'VACUUM FULL leads;')).findings;
    expect(f!.fix).toContain('-- schemaguard:no-transaction\n');
    expect(f!.fix).toContain('-- schemaguard:allow table-rewrite leads is small');
    expect(f!.fix.endsWith('VACUUM FULL leads;')).toBe(true);
    const [alter] = (await lintAfter(EXISTING, 'ALTER TABLE leads SET UNLOGGED;')).findings;
    expect(alter!.fix).not.toContain('no-transaction');
  });

  it.each([
    'REFRESH MATERIALIZED VIEW CONCURRENTLY lead_scores;',
    'REFRESH MATERIALIZED VIEW lead_scores WITH NO DATA;',
    'VACUUM leads;',
    'VACUUM (ANALYZE) leads;',
    'ALTER TABLE leads SET (fillfactor = 90);',
  ])('passes %s', async (sql) => {
    expect(await rules(sql)).toEqual([]);
  });

  it('passes a table or view the same run creates', async () => {
    const sql =
      'CREATE TABLE fresh (id int);\nVACUUM FULL fresh;\nALTER TABLE fresh SET UNLOGGED;\nCREATE MATERIALIZED VIEW fresh_ids AS SELECT id FROM fresh;\nREFRESH MATERIALIZED VIEW fresh_ids;\n';
    expect(await rules(sql, '')).toEqual([]);
  });

  it('names the online form for a materialized view, and none for the others', async () => {
    const [view] = (await lintAfter(EXISTING, 'REFRESH MATERIALIZED VIEW lead_scores;')).findings;
    expect(view!.fix).toContain('REFRESH MATERIALIZED VIEW CONCURRENTLY lead_scores;');
    const [table] = (await lintAfter(EXISTING, 'CLUSTER leads USING leads_pkey;')).findings;
    expect(table!.fix).toContain('PostgreSQL has no online form');
  });
});
