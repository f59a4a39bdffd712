/** The key of a unique index's definition, as pg_get_indexdef writes it, read back for the duplicate-rows query. */
import { describe, expect, it } from 'vitest';
import { duplicateRowsQuery, uniqueKeyOf } from '../../../../lambda/checks/doctor/duplicate-rows';

describe('Function: uniqueKeyOf', () => {
  it('reads columns, expressions, quoted names, INCLUDE, NULLS NOT DISTINCT and WHERE; not a plain index', () => {
    expect(
      uniqueKeyOf(
        'CREATE UNIQUE INDEX u ON public.t USING btree (a, lower(b) DESC, ((c + 1)), "Odd""Name" text_pattern_ops) INCLUDE (d) WHERE (e IS NULL)',
        'public',
        't',
      ),
    ).toEqual({ schema: 'public', table: 't', keys: ['a', 'lower(b)', '((c + 1))', '"Odd""Name"'], predicate: 'e IS NULL', nullsNotDistinct: false });
    expect(uniqueKeyOf('CREATE UNIQUE INDEX u ON s.t USING btree (a) NULLS NOT DISTINCT', 's', 't')).toMatchObject({
      keys: ['a'],
      predicate: null,
      nullsNotDistinct: true,
    });
    expect(uniqueKeyOf('CREATE INDEX i ON public.t USING btree (a)', 'public', 't')).toBeUndefined();
  });

  it("gives the query doctor's invalid-index gives for the same key", () => {
    expect(
      duplicateRowsQuery(uniqueKeyOf('CREATE UNIQUE INDEX u ON public.users USING btree (lower(email)) WHERE (deleted_at IS NULL)', 'public', 'users')!),
    ).toBe(
      'SELECT (lower(email)), count(*) FROM users WHERE (deleted_at IS NULL) AND (lower(email)) IS NOT NULL GROUP BY (lower(email)) HAVING count(*) > 1 LIMIT 20;  -- a UNIQUE build fails again while these exist: keep one row of each first',
    );
  });
});
