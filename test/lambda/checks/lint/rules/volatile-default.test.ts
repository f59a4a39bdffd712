/** Rule volatile-default: the findings it reports, and what it lets pass. */
import { describe, expect, it } from 'vitest';
import { lint, rules } from '../pending';

describe('Rule: volatile-default', () => {
  it.each(['clock_timestamp()', 'random()', 'gen_random_uuid()'])('reports ADD COLUMN … DEFAULT %s on an existing table', async (expr) => {
    const r = await lint(`ALTER TABLE leads ADD COLUMN x ${expr.startsWith('gen') ? 'uuid' : expr.startsWith('random') ? 'float8' : 'timestamptz'} DEFAULT ${expr};`);
    expect(r.findings.map((f) => f.rule)).toEqual(['volatile-default']);
    expect(r.findings[0]!.message).toContain(expr);
  });
  it('reports ADD COLUMN of a serial type and a stored generated column', async () => {
    expect(await rules('ALTER TABLE leads ADD COLUMN n bigserial;')).toEqual(['volatile-default']);
    expect(await rules('ALTER TABLE leads ADD COLUMN s int GENERATED ALWAYS AS (score * 2) STORED;')).toEqual(['volatile-default']);
  });
  it('accepts a constant or now() default (stored once, no rewrite)', async () => {
    expect(await rules("ALTER TABLE leads ADD COLUMN created_at timestamptz NOT NULL DEFAULT now(), ADD COLUMN source text DEFAULT 'web';")).toEqual([]);
  });
  it('does not fire on a new table', async () => {
    expect(await rules('CREATE TABLE t (id int); ALTER TABLE t ADD COLUMN at timestamptz DEFAULT clock_timestamp();')).toEqual([]);
  });
});
