/** rewritesOnTypeChange: which type changes PostgreSQL makes without a rewrite (checked on real servers in type-change.int.test.ts). */
import { describe, expect, it } from 'vitest';
import { rewritesOnTypeChange } from '../../../../lambda/checks/lint';

describe('Function: rewritesOnTypeChange', () => {
  it('knows the safe cases', () => {
    expect(rewritesOnTypeChange('character varying(20)', 'text')).toBe(false);
    expect(rewritesOnTypeChange('text', 'character varying')).toBe(false);
    expect(rewritesOnTypeChange('text', 'character varying(5)')).toBe(true);
    expect(rewritesOnTypeChange('character varying(36)', 'uuid')).toBe(true);
  });
  it('reads a precision whether it is written before or after "with time zone"', () => {
    expect(rewritesOnTypeChange('timestamp(3) with time zone', 'timestamp with time zone')).toBe(false);
    expect(rewritesOnTypeChange('timestamp with time zone(3)', 'timestamp with time zone(6)')).toBe(false);
    expect(rewritesOnTypeChange('timestamp(6) with time zone', 'timestamp(3) with time zone')).toBe(true);
  });
});
