import { afterAll, describe, expect, it } from 'vitest';
import { FK_TYPE_MISMATCH } from '../../../../lambda/checks/doctor/fk-type-mismatch';
import { dropDatabases, targets } from '../../../support/db';
import { findingsOfRule } from './bad-schema';

afterAll(dropDatabases);

describe.each(targets)('Rule: fk-type-mismatch on $name', (target) => {
  const findings = findingsOfRule(target, FK_TYPE_MISMATCH);

  it('finds the foreign key between an integer and a bigint, and none between equal types', () => {
    expect(findings().map((f) => f.object)).toEqual(['orders.orders_buyer_fk']);
    expect(findings()[0]!.severity).toBe('error');
  });

  it('names both types of a mismatched foreign key', () => {
    expect(findings().find((x) => x.rule === 'fk-type-mismatch')!.message)
      .toBe('foreign key orders_buyer_fk: orders.buyer_id (integer) references buyers(id) (bigint)'.replace('buyers(id)', 'buyers.id'));
  });

  it('changes the column to the referenced type', () => {
    expect(findings()[0]!.fix).toMatch(/^ALTER TABLE orders ALTER COLUMN buyer_id TYPE bigint;/);
  });
});
