/** Rule fk-type-mismatch: the findings it reports, and what it lets pass. */
import { describe, expect, it } from 'vitest';
import { lint, rules } from '../pending';

describe('Rule: fk-type-mismatch', () => {
  it('reports a varchar column referencing a uuid key, naming both types', async () => {
    const r = await lint('ALTER TABLE purchases ADD CONSTRAINT legacy_fk FOREIGN KEY (legacy_lead) REFERENCES leads (id) NOT VALID;');
    expect(r.findings.map((f) => f.rule)).toEqual(['fk-type-mismatch']);
    expect(r.findings[0]!.message).toBe('purchases.legacy_lead (character varying(36)) references leads.id (uuid): the types differ');
  });
  it('reports an inline REFERENCES in CREATE TABLE (the referenced primary key by default)', async () => {
    expect(await rules('CREATE TABLE notes (id bigint PRIMARY KEY, lead_id text REFERENCES leads);')).toEqual(['fk-type-mismatch']);
  });
  it('accepts equal types', async () => {
    expect(await rules('CREATE TABLE notes (id bigint PRIMARY KEY, lead_id uuid REFERENCES leads (id));')).toEqual([]);
  });
});
