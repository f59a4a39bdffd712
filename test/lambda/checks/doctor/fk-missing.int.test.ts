import { afterAll, describe, expect, it } from 'vitest';
import { FK_MISSING } from '../../../../lambda/checks/doctor/fk-missing';
import { dropDatabases, targets } from '../../../support/db';
import { findingsOfRule } from './bad-schema';

afterAll(dropDatabases);

describe.each(targets)('Rule: fk-missing on $name', (target) => {
  const findings = findingsOfRule(target, FK_MISSING);

  it('finds the *_id column no foreign key constrains, and none that one does (even NOT VALID)', () => {
    expect(findings().map((f) => f.object)).toEqual(['lead_purchases.lead_id']);
    expect(findings()[0]!.severity).toBe('warning');
  });

  it('recognises the table a *_id column points at, and the type it must take first', () => {
    const f = findings().find((x) => x.rule === 'fk-missing')!;
    expect(f.message).toBe('lead_purchases.lead_id (character varying(36)) has no foreign key; it looks like a reference to leads.id (uuid), whose type differs');
    expect(f.fix).toContain('ALTER TABLE lead_purchases ALTER COLUMN lead_id TYPE uuid USING lead_id::uuid;');
    expect(f.fix).toContain('FOREIGN KEY (lead_id) REFERENCES leads (id) NOT VALID;');
  });
});
