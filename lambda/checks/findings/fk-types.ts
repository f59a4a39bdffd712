/**
 * Why a foreign key between columns of different types matters, for lint
 * and doctor alike. Types are named as format_type() writes them (lint's
 * model and doctor's catalog query both do).
 *
 * smallint, integer and bigint are one btree operator family in PostgreSQL
 * (integer_ops): the key's checks and joins compare them without a cast and
 * use the indexes on either side. What differs is the range: a narrower
 * column cannot reference the keys past its maximum (the insert fails with
 * 22003, integer out of range); a wider one holds every key, so only the
 * declared types disagree. Any other pair either has no equality operator
 * (PostgreSQL refuses the foreign key) or compares through a cast, which
 * leaves the index on the cast side unused. An array references an array
 * only of the same element type: integer[] → bigint[], text[] →
 * varchar[] and d[] → bigint[] (d a domain over bigint) are all refused
 * (42804, checked on PostgreSQL 15 and 18); a domain over an array is its
 * base type.
 *
 * text and varchar are one type to a key: the cast between them is binary
 * both ways, PostgreSQL builds the key on text = text, and a lookup of
 * either type uses the index on either side (EXPLAIN: Index Cond, checked
 * on PostgreSQL 15 and 18), as doctor's sameKeyType has it. char(n) is
 * not: bpchar compares with its own operators and padding (a text column
 * referencing a char(10) key holds both 'b' and 'b  ' for the key 'b'), and
 * the side cast to the other type is only a filter of its index.
 */
import type { Severity } from './finding';

const INTEGER_MAX: Record<string, string> = { smallint: '32,767', integer: '2,147,483,647', bigint: '9,223,372,036,854,775,807' };
const INTEGER_BYTES: Record<string, number> = { smallint: 2, integer: 4, bigint: 8 };

export interface KeyColumn {
  /** e.g. `orders.buyer_id` */
  name: string;
  /** The type as format_type() names it (a domain's base type). */
  type: string;
}

export interface FkTypeVerdict {
  why: string;
  /** `warning` when every key fits the referencing column (a wider integer); otherwise the rule's own. */
  severity?: Severity;
}

/** The reason (and, for a wider integer column, a lower severity) for a foreign key `column` → `referenced` of different types. */
export function fkTypeVerdict(column: KeyColumn, referenced: KeyColumn, otherwise: string): FkTypeVerdict {
  if (isArray(column.type) || isArray(referenced.type)) {
    return {
      why: `PostgreSQL refuses this foreign key (42804, "foreign key constraint … cannot be implemented"): an array column references only an array of the same element type, ${column.type} is not ${referenced.type} (nor is a domain's array its base type's array)`,
    };
  }
  const own = INTEGER_BYTES[column.type];
  const ref = INTEGER_BYTES[referenced.type];
  if (own === undefined || ref === undefined) return { why: otherwise };
  const shared = `${column.type} and ${referenced.type} are one operator family, so the key's checks and joins use the indexes on both sides`;
  if (own < ref) {
    return {
      why: `${shared}; but ${column.name} cannot hold every key of ${referenced.name}: once the key passes ${INTEGER_MAX[column.type]}, a row referencing it fails to insert (22003 integer out of range)`,
    };
  }
  return { why: `${shared}, and ${column.name} holds every key of ${referenced.name}: only the declared types disagree`, severity: 'warning' };
}

/** Both sides name one key type (format_type names, modifiers stripped): equal, or text and varchar. */
export function sameKeyType(a: string, b: string): boolean {
  return a === b || (TEXTUAL.has(a) && TEXTUAL.has(b));
}

const TEXTUAL = new Set(['text', 'character varying']);

function isArray(type: string): boolean {
  return type.endsWith('[]');
}
