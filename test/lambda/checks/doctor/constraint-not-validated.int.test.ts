import { afterAll, describe, expect, it } from 'vitest';
import { CONSTRAINT_NOT_VALIDATED } from '../../../../lambda/checks/doctor/constraint-not-validated';
import { dropDatabases, targets } from '../../../support/db';
import { findingsOfRule } from './bad-schema';

afterAll(dropDatabases);

describe.each(targets)('Rule: constraint-not-validated on $name', (target) => {
  const findings = findingsOfRule(target, CONSTRAINT_NOT_VALIDATED);

  it('finds the foreign key added NOT VALID, and no validated constraint', () => {
    expect(findings().map((f) => f.object)).toEqual(['lead_purchases.lead_purchases_buyer_fk']);
    expect(findings()[0]!.message).toBe('foreign key lead_purchases_buyer_fk on lead_purchases is NOT VALID');
  });

  it('validates a NOT VALID constraint', () => {
    expect(findings().find((x) => x.rule === 'constraint-not-validated')!.fix).toMatch(/^ALTER TABLE lead_purchases VALIDATE CONSTRAINT lead_purchases_buyer_fk;/);
  });
});
