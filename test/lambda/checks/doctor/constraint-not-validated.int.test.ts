import { afterAll, describe, expect, it } from 'vitest';
import { CONSTRAINT_NOT_VALIDATED } from '../../../../lambda/checks/doctor/constraint-not-validated';
import { fullMatrixMajors, dropDatabases, rows } from '../../../support/db';
import { applyFix, findingsOfRule, findingsOnSchema } from './bad-schema';

afterAll(dropDatabases);

describe.each(fullMatrixMajors)('Rule: constraint-not-validated on $name', (target) => {
  const findings = findingsOfRule(target, CONSTRAINT_NOT_VALIDATED);

  it('finds the foreign key added NOT VALID, and no validated constraint', () => {
    expect(findings().map((f) => f.object)).toEqual(['lead_purchases.lead_purchases_buyer_fk']);
    expect(findings()[0]!.message).toBe('foreign key lead_purchases_buyer_fk on lead_purchases is NOT VALID');
  });

  it('validates a NOT VALID constraint', () => {
    expect(findings().find((x) => x.rule === 'constraint-not-validated')!.fix).toMatch(
      /^ALTER TABLE lead_purchases VALIDATE CONSTRAINT lead_purchases_buyer_fk;/,
    );
  });
});

describe.each(fullMatrixMajors)('Rule: constraint-not-validated on partitions and inheritance, on $name', (target) => {
  it('reports a NOT VALID constraint once, on the table it was added to, and its VALIDATE covers the copies', async () => {
    const { url, findings } = await findingsOnSchema(
      target,
      'doctor_notvalid_parts',
      `
      CREATE TABLE events (id bigint, kind text, at date) PARTITION BY RANGE (at);
      CREATE TABLE events_2025 PARTITION OF events FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');
      CREATE TABLE events_2026 PARTITION OF events FOR VALUES FROM ('2026-01-01') TO ('2027-01-01');
      ALTER TABLE events ADD CONSTRAINT events_kind_check CHECK (kind <> '') NOT VALID;
      CREATE TABLE measurements (value numeric);
      CREATE TABLE measurements_old () INHERITS (measurements);
      ALTER TABLE measurements ADD CONSTRAINT measurements_value_check CHECK (value >= 0) NOT VALID;
    `,
      [CONSTRAINT_NOT_VALIDATED],
    );
    expect(findings.map((f) => f.object)).toEqual(['events.events_kind_check', 'measurements.measurements_value_check']);
    for (const f of findings) await applyFix(url, f.fix);
    expect(await rows(url, 'SELECT conrelid::regclass::text AS t FROM pg_constraint WHERE NOT convalidated')).toEqual([]);
  });
});
