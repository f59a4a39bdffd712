/** Rule constraint-not-valid: the findings it reports, and what it lets pass. */
import { describe, expect, it } from 'vitest';
import { lint, rules } from '../pending';

describe('Rule: constraint-not-valid', () => {
  it('reports a foreign key added to an existing table without NOT VALID', async () => {
    const r = await lint('ALTER TABLE purchases ADD CONSTRAINT purchases_lead_fk FOREIGN KEY (lead_id) REFERENCES leads (id);');
    expect(r.findings.map((f) => f.rule)).toEqual(['constraint-not-valid']);
    expect(r.findings[0]!.fix).toContain('NOT VALID');
    expect(r.findings[0]!.fix).toContain('VALIDATE CONSTRAINT purchases_lead_fk');
  });
  it('reports a CHECK added to an existing table without NOT VALID', async () => {
    expect(await rules('ALTER TABLE leads ADD CONSTRAINT score_positive CHECK (score > 0);')).toEqual(['constraint-not-valid']);
  });
  it('reports a foreign key on a column added to an existing table with a DEFAULT, even DEFAULT NULL', async () => {
    const r = await lint('ALTER TABLE purchases ADD COLUMN other_lead uuid DEFAULT NULL REFERENCES leads (id);');
    expect(r.findings.map((f) => f.rule)).toEqual(['constraint-not-valid']);
    expect(r.findings[0]!.message).toBe('the foreign key on new column other_lead of existing table purchases is validated at once (it has a DEFAULT: PostgreSQL checks a new column\'s foreign key against every row unless the column is added without a default)');
  });
  it('does not report a foreign key on a column added without a default: PostgreSQL skips its validation', async () => {
    expect(await rules('ALTER TABLE purchases ADD COLUMN other_lead uuid REFERENCES leads (id);')).toEqual([]);
    expect(await rules('ALTER TABLE purchases ADD COLUMN IF NOT EXISTS other_lead uuid CONSTRAINT purchases_other_fk REFERENCES leads ON DELETE SET NULL;')).toEqual([]);
  });
  it('judges each new column by its own default: a DEFAULT on another column of the same ALTER TABLE changes nothing', async () => {
    expect(await rules('ALTER TABLE purchases ADD COLUMN other_lead uuid REFERENCES leads (id), ADD COLUMN qty int DEFAULT 1;')).toEqual([]);
  });
  it('reports a foreign key on a new column that a serial type or a generation expression fills', async () => {
    expect((await rules('ALTER TABLE leads ADD COLUMN n bigserial REFERENCES purchases (id);')).sort()).toEqual(['constraint-not-valid', 'volatile-default']);
    expect((await rules('ALTER TABLE leads ADD COLUMN g bigint GENERATED ALWAYS AS (score) STORED REFERENCES purchases (id);')).sort()).toEqual(['constraint-not-valid', 'volatile-default']);
  });
  it('reports a CHECK on a column added to an existing table, with or without a default', async () => {
    expect(await rules('ALTER TABLE purchases ADD COLUMN qty int CHECK (qty > 0);')).toEqual(['constraint-not-valid']);
  });
  it('accepts NOT VALID followed by VALIDATE CONSTRAINT in a later migration', async () => {
    expect(await rules('ALTER TABLE purchases ADD CONSTRAINT purchases_lead_fk FOREIGN KEY (lead_id) REFERENCES leads (id) NOT VALID;', 'ALTER TABLE purchases VALIDATE CONSTRAINT purchases_lead_fk;')).toEqual([]);
  });
  it('does not fire on a new table', async () => {
    expect(await rules('CREATE TABLE t (id int, lead_id uuid); ALTER TABLE t ADD CONSTRAINT t_fk FOREIGN KEY (lead_id) REFERENCES leads (id);')).toEqual([]);
  });

  it('fix: the ADD … NOT VALID and the VALIDATE are two migration files, not one block', async () => {
    const fix = (await lint('ALTER TABLE purchases ADD CONSTRAINT purchases_lead_fk FOREIGN KEY (lead_id) REFERENCES leads (id);')).findings[0]!.fix;
    expect(fix).toMatch(/^-- file 1 of 2: .*\nALTER TABLE purchases ADD CONSTRAINT purchases_lead_fk FOREIGN KEY \(lead_id\) REFERENCES leads \(id\) NOT VALID;/);
    expect(fix).toMatch(/\n-- file 2 of 2: a later migration\nALTER TABLE purchases VALIDATE CONSTRAINT purchases_lead_fk;/);
  });
  it('fix for a new column: the column first, its foreign key NOT VALID, then VALIDATE in a later file', async () => {
    const fix = (await lint('ALTER TABLE purchases ADD COLUMN other_lead uuid DEFAULT NULL REFERENCES leads (id) ON DELETE CASCADE;')).findings[0]!.fix;
    expect(fix).toContain('ALTER TABLE purchases ADD COLUMN other_lead uuid DEFAULT NULL;\nALTER TABLE purchases ADD CONSTRAINT purchases_other_lead_fkey FOREIGN KEY (other_lead) REFERENCES leads (id) ON DELETE CASCADE NOT VALID;');
    expect(fix).toContain('-- file 2 of 2: a later migration\nALTER TABLE purchases VALIDATE CONSTRAINT purchases_other_lead_fkey;');
  });
  it('names an unnamed constraint as PostgreSQL would, so the VALIDATE finds it', async () => {
    const fix = (await lint('ALTER TABLE leads ADD CHECK (score > 0);')).findings[0]!.fix;
    expect(fix).toContain('ALTER TABLE leads ADD CONSTRAINT leads_score_check CHECK (score > 0) NOT VALID;');
    expect(fix).toContain('ALTER TABLE leads VALIDATE CONSTRAINT leads_score_check;');
  });
  it('follows a renamed table: created and renamed in the pending set, it is still new', async () => {
    expect(await rules('CREATE TABLE orders_tmp (id int, lead_id uuid);\nALTER TABLE orders_tmp RENAME TO orders;', 'ALTER TABLE orders ADD CONSTRAINT orders_lead_fk FOREIGN KEY (lead_id) REFERENCES leads (id);')).toEqual([]);
  });

  it('lints ALTER TABLE IF EXISTS on a table no migration creates (an existing table)', async () => {
    expect(await rules('ALTER TABLE IF EXISTS audit_log ADD CONSTRAINT audit_log_at CHECK (at IS NOT NULL);')).toEqual(['constraint-not-valid']);
  });
});
