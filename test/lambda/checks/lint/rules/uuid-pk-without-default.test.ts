/** Rule uuid-pk-without-default: the findings it reports, and what it lets pass. */
import { describe, expect, it } from 'vitest';
import { lint, rules } from '../pending';

describe('Rule: uuid-pk-without-default', () => {
  // Regression: an error on every table of an application that generates its ids (supabase/auth: 16), with no way to turn the rule off for a project.
  it('reports id uuid PRIMARY KEY without a default as a warning (the application may generate its ids), also on a new table', async () => {
    const r = await lint('CREATE TABLE lead_purchases (id uuid PRIMARY KEY, lead_id uuid);');
    expect(r.findings).toHaveLength(1);
    expect(r.findings[0]).toMatchObject({ rule: 'uuid-pk-without-default', severity: 'warning', line: 1, column: 30 });
    expect(r.findings[0]!.fix).toContain('DEFAULT gen_random_uuid()');
  });
  it('reports a table-level PRIMARY KEY (id) too', async () => {
    expect(await rules('CREATE TABLE t (id uuid NOT NULL, PRIMARY KEY (id));')).toEqual(['uuid-pk-without-default']);
  });
  it("reports a key not named id as a warning too, its fix naming the allow (it may copy another table's id)", async () => {
    const r = await lint('CREATE TABLE audit (purchase_id uuid PRIMARY KEY);');
    expect(r.findings[0]).toMatchObject({ rule: 'uuid-pk-without-default', severity: 'warning' });
  });
  it('accepts a uuid key with a default', async () => {
    expect(await rules('CREATE TABLE t (id uuid PRIMARY KEY DEFAULT gen_random_uuid());')).toEqual([]);
  });

  it("accepts a uuid key that is also a foreign key (a 1:1 table takes the other table's id)", async () => {
    expect(await rules('CREATE TABLE lead_profiles (lead_id uuid PRIMARY KEY REFERENCES leads (id), bio text);')).toEqual([]);
    expect(await rules('CREATE TABLE lead_notes (id uuid PRIMARY KEY REFERENCES leads ON DELETE CASCADE, body text);')).toEqual([]);
    expect(await rules('CREATE TABLE lead_flags (id uuid NOT NULL, flag text, PRIMARY KEY (id), FOREIGN KEY (id) REFERENCES leads (id));')).toEqual([]);
  });
  it('fix: the CREATE TABLE with the default on the key', async () => {
    const r = await lint('CREATE TABLE lead_purchases (id uuid PRIMARY KEY, lead_id uuid);');
    expect(r.findings[0]!.fix.split('\n')[0]).toBe('CREATE TABLE lead_purchases (id uuid DEFAULT gen_random_uuid() PRIMARY KEY, lead_id uuid);');
  });
  // Regression: pg_dump's form (the column in CREATE TABLE, the key in a later ALTER TABLE ONLY … ADD CONSTRAINT) was not reported, though id uuid PRIMARY KEY was.
  it("reports pg_dump's form: the key added by ALTER TABLE ONLY … ADD CONSTRAINT … PRIMARY KEY, with a SET DEFAULT before it", async () => {
    const r = await lint('CREATE TABLE tokens (id uuid NOT NULL, body text);\nALTER TABLE ONLY tokens ADD CONSTRAINT tokens_pkey PRIMARY KEY (id);');
    expect(r.findings.map((f) => [f.rule, f.line, f.message])).toEqual([['uuid-pk-without-default', 2, 'tokens.id is a uuid primary key without a DEFAULT']]);
    expect(r.findings[0]!.fix.split('\n').slice(0, 2)).toEqual([
      'ALTER TABLE tokens ALTER COLUMN id SET DEFAULT gen_random_uuid();',
      'ALTER TABLE ONLY tokens ADD CONSTRAINT tokens_pkey PRIMARY KEY (id);',
    ]);
    expect(
      await rules(
        'CREATE TABLE tokens (id uuid NOT NULL);\nALTER TABLE ONLY tokens ALTER COLUMN id SET DEFAULT gen_random_uuid();\nALTER TABLE ONLY tokens ADD CONSTRAINT tokens_pkey PRIMARY KEY (id);',
      ),
    ).toEqual([]);
    expect(
      await rules('CREATE TABLE tokens (id uuid DEFAULT gen_random_uuid() NOT NULL);\nALTER TABLE ONLY tokens ADD CONSTRAINT tokens_pkey PRIMARY KEY (id);'),
    ).toEqual([]);
  });
});
