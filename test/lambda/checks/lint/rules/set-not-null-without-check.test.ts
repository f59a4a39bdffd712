/** Rule set-not-null-without-check: the findings it reports, and what it lets pass. */
import { describe, expect, it } from 'vitest';
import { lint, rules } from '../pending';

describe('Rule: set-not-null-without-check', () => {
  it('reports SET NOT NULL on an existing table and gives the four-step rewrite', async () => {
    const r = await lint('ALTER TABLE leads ALTER COLUMN name SET NOT NULL;');
    expect(r.findings.map((f) => f.rule)).toEqual(['set-not-null-without-check']);
    expect(r.findings[0]!.fix).toContain('CHECK (name IS NOT NULL) NOT VALID');
    expect(r.findings[0]!.fix).toContain('VALIDATE CONSTRAINT leads_name_not_null');
  });
  it('accepts SET NOT NULL after a CHECK (col IS NOT NULL) NOT VALID has been validated', async () => {
    expect(await rules(
      'ALTER TABLE leads ADD CONSTRAINT leads_name_nn CHECK (name IS NOT NULL) NOT VALID;',
      'ALTER TABLE leads VALIDATE CONSTRAINT leads_name_nn;\nALTER TABLE leads ALTER COLUMN name SET NOT NULL;',
    )).toEqual([]);
  });
  it('still reports SET NOT NULL when the CHECK was added NOT VALID but never validated', async () => {
    expect(await rules('ALTER TABLE leads ADD CONSTRAINT leads_name_nn CHECK (name IS NOT NULL) NOT VALID;\nALTER TABLE leads ALTER COLUMN name SET NOT NULL;'))
      .toEqual(['set-not-null-without-check']);
  });
});
