/** Rule column-type-rewrite: the findings it reports, and what it lets pass. */
import { describe, expect, it } from 'vitest';
import { lint, rules } from '../pending';

describe('Rule: column-type-rewrite', () => {
  it('reports a type change that rewrites an existing table, naming both types', async () => {
    const r = await lint('ALTER TABLE leads ALTER COLUMN score TYPE bigint;');
    expect(r.findings.map((f) => f.rule)).toEqual(['column-type-rewrite']);
    expect(r.findings[0]!.message).toContain('from integer to bigint');
  });
  it('accepts binary-compatible changes: varchar(20) → varchar(40) and text, numeric precision up', async () => {
    expect(await rules('ALTER TABLE leads ALTER COLUMN code TYPE varchar(40);')).toEqual([]);
    expect(await rules('ALTER TABLE leads ALTER COLUMN code TYPE text;')).toEqual([]);
    expect(await rules('ALTER TABLE leads ALTER COLUMN price TYPE numeric(12,2);')).toEqual([]);
  });
  it('reports narrowing varchar and a change of numeric scale', async () => {
    expect(await rules('ALTER TABLE leads ALTER COLUMN code TYPE varchar(10);')).toEqual(['column-type-rewrite']);
    expect(await rules('ALTER TABLE leads ALTER COLUMN price TYPE numeric(12,4);')).toEqual(['column-type-rewrite']);
  });
  it('reports a change whose current type is unknown, and says so', async () => {
    const r = await lint('ALTER TABLE somewhere_else ALTER COLUMN a TYPE text;');
    expect(r.findings[0]!.message).toContain('not known from the migrations');
  });
});
