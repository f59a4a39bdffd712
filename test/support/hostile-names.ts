/**
 * Names an attacker who can create objects (or a careless one) may give
 * them, to prove that SQL schemaguard prints or runs keeps each one inside
 * its quoted identifier, literal or comment: each carries a statement that
 * would drop `victim` if it escaped.
 */
export const HOSTILE_NAMES: readonly string[] = [
  'chi\nDROP TABLE victim; --',
  'cr\rDROP TABLE victim; --',
  'crlf\r\nDROP TABLE victim; --',
  'star */ DROP TABLE victim; /*',
  "quote'); DROP TABLE victim; --",
  'dq"; DROP TABLE victim; --',
  'back\\slash\\n\\',
  'sep\u2028DROP TABLE victim; --\u2029',
  'nel\u0085DROP TABLE victim; --',
  'bidi\u202eDROP TABLE victim; --\u202c',
  'tab\tDROP TABLE victim; --',
  '$$; DROP TABLE victim; $$',
  'vt\u000bff\u000cbell\u0007',
  'ünïcødé 名前',
];

/** One hostile name for a role in a fixture: `base` followed by a line break that would end a comment. */
export function hostile(base: string): string {
  return `${base}\nDROP TABLE victim; --`;
}
