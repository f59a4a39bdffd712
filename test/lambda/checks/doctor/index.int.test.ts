/** Doctor on a deliberately bad schema, and on the schema migrations/ produce. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DOCTOR_RULES } from '../../../../lambda/checks/doctor';
import { FK_MISSING } from '../../../../lambda/checks/doctor/fk-missing';
import { INVALID_INDEX } from '../../../../lambda/checks/doctor/invalid-index';
import type { Finding } from '../../../../lambda/checks/findings/finding';
import { catalogFingerprint } from '../../../support/catalog-fingerprint';
import { allMajors, dropDatabases, freshDatabase } from '../../../support/db';
import { runFixes } from '../../../support/schema-fixes';
import { badSchemaDatabase, byRule, findingsOn } from './bad-schema';

afterAll(dropDatabases);

describe.each(allMajors)('Function: doctor on $name', (target) => {
  let url: string;
  let findings: Finding[];

  beforeAll(async () => {
    url = await badSchemaDatabase(target, 'doctor');
    const before = await catalogFingerprint(url);
    findings = await findingsOn(url);
    expect(await catalogFingerprint(url)).toBe(before);
  });

  it('finds each problem of the bad schema, and nothing else', () => {
    expect(byRule(findings)).toEqual({
      'pk-without-default': ['counters.id', 'lead_purchases.id'],
      'fk-missing': ['lead_purchases.lead_id'],
      'fk-type-mismatch': ['orders.orders_buyer_fk'],
      'fk-without-index': ['lead_purchases.lead_purchases_buyer_fk', 'orders.orders_buyer_fk'],
      'invalid-index': ['dupes_code_key'],
      'constraint-not-validated': ['lead_purchases.lead_purchases_buyer_fk'],
      'extension-missing': ['tokens.id'],
    });
  });

  it('reports the findings rule by rule, in the order of DOCTOR_RULES', () => {
    const order = DOCTOR_RULES.map((r) => r.id);
    const ranks = findings.map((f) => order.indexOf(f.rule));
    expect(ranks).toEqual([...ranks].sort((a, b) => a - b));
  });

  it('runs only the rules it is given, in their order', async () => {
    expect(byRule(await findingsOn(url, [INVALID_INDEX, FK_MISSING]))).toEqual({
      'invalid-index': ['dupes_code_key'],
      'fk-missing': ['lead_purchases.lead_id'],
    });
  });
});

describe.each(allMajors)('doctor on the schema migrations/ produce, on $name', (target) => {
  it('finds no error', async () => {
    const url = await freshDatabase(target, 'doctor_fixed');
    await runFixes(url);
    const findings = await findingsOn(url);
    expect(findings.filter((f) => f.severity === 'error').map((f) => `${f.rule} ${f.object}`)).toEqual([]);
  });
});
