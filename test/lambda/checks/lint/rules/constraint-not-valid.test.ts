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
  it('reports a foreign key on a column added to an existing table', async () => {
    expect(await rules('ALTER TABLE purchases ADD COLUMN other_lead uuid REFERENCES leads (id);')).toEqual(['constraint-not-valid']);
  });
  it('accepts NOT VALID followed by VALIDATE CONSTRAINT in a later migration', async () => {
    expect(await rules('ALTER TABLE purchases ADD CONSTRAINT purchases_lead_fk FOREIGN KEY (lead_id) REFERENCES leads (id) NOT VALID;', 'ALTER TABLE purchases VALIDATE CONSTRAINT purchases_lead_fk;')).toEqual([]);
  });
  it('does not fire on a new table', async () => {
    expect(await rules('CREATE TABLE t (id int, lead_id uuid); ALTER TABLE t ADD CONSTRAINT t_fk FOREIGN KEY (lead_id) REFERENCES leads (id);')).toEqual([]);
  });
});
