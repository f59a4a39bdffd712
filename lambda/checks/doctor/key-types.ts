/**
 * When two key columns hold the same values, as SQL over type oids: a
 * domain counts as its base type (through nested domains), and types that
 * are binary-coercible both ways (varchar and text) count as one, since the
 * key's index serves either side without a cast.
 */

/**
 * SQL: the base type of the type `typeOid` (itself, unless it is a domain).
 * Only a domain's chain is followed: this runs once per key column, and the
 * recursion's join is a hash join over all of pg_type.
 */
export function baseType(typeOid: string): string {
  return `(SELECT CASE WHEN s.typbasetype = 0 THEN s.oid ELSE (WITH RECURSIVE chain(oid, base) AS (
              SELECT s.oid, s.typbasetype
              UNION ALL SELECT t.oid, t.typbasetype FROM pg_type t JOIN chain ON t.oid = chain.base)
            SELECT oid FROM chain WHERE base = 0) END
             FROM pg_type s WHERE s.oid = ${typeOid})`;
}

/** SQL: base types `a` and `b` (oid expressions, see `baseType`) hold the same key values. */
export function sameKeyType(a: string, b: string): string {
  const coercible = (from: string, to: string) => `EXISTS (SELECT 1 FROM pg_cast WHERE castsource = ${from} AND casttarget = ${to} AND castmethod = 'b')`;
  return `(${a} = ${b} OR (${coercible(a, b)} AND ${coercible(b, a)}))`;
}
