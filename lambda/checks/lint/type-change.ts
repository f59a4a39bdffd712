/**
 * Which `ALTER COLUMN … TYPE` changes PostgreSQL makes without rewriting the
 * table: binary-compatible types, and a modifier that only widens. Every pair
 * listed here (and a sample of rewriting ones) is run against a real
 * PostgreSQL 18 (15 too in the full matrix) by type-change.int.test.ts,
 * reading the table's file node before and after. Anything else counts as a
 * rewrite.
 *
 * A USING clause that computes the value (anything but the column itself,
 * or the column cast to the new type) rewrites the table whatever the types:
 * PostgreSQL skips the rewrite only when the transform is the column as it is
 * (checked on PostgreSQL 18 and 15: `TYPE text USING lower(v)` from varchar
 * gives the table a new file node, `USING v::text` does not).
 */
import { as, typeNameText, type Node } from '../parser/parse';

interface ParsedType {
  base: string;
  mods: number[];
}

function parseType(t: string): ParsedType | undefined {
  const m = /^([a-z ]+?)(?:\((\d+)(?:,(\d+))?\))?((?: with(?:out)? time zone)?)$/.exec(t);
  if (!m) return undefined;
  const mods = [m[2], m[3]].filter((x): x is string => x !== undefined).map(Number);
  return { base: `${m[1]}${m[4] ?? ''}`, mods };
}

const TEXTUAL = new Set(['character varying', 'text']);
/** Types whose modifier is a precision or length that may only grow. */
const WIDENING = new Set(['character varying', 'bit varying', 'timestamp without time zone', 'timestamp with time zone', 'time without time zone', 'interval']);
/** Binary-compatible pairs, `from>to`, whatever the first type's modifier, when the second has none (`bit(8)` → `bit varying`; `bit varying(8)` is a length check). */
const COMPATIBLE = new Set(['cidr>inet', 'xml>text', 'xml>character varying', 'bit>bit varying']);

const TIMESTAMPS = new Set(['timestamp without time zone', 'timestamp with time zone']);

/**
 * timestamp ↔ timestamptz, the precision kept or raised: PostgreSQL 12 and
 * later rewrite the table for it only when the session's TimeZone is not UTC
 * (checked on 18 and 15 by the file node: none in UTC, a rewrite in
 * Europe/Paris). `rewritesOnTypeChange` counts it as a rewrite.
 */
export function isZoneChange(before: string, after: string): boolean {
  const a = parseType(before);
  const b = parseType(after);
  if (!a || !b || a.base === b.base || !TIMESTAMPS.has(a.base) || !TIMESTAMPS.has(b.base)) return false;
  return b.mods.length === 0 || b.mods[0] >= (a.mods[0] ?? 6);
}

/** True unless the change is known to be binary-compatible (no rewrite). */
export function rewritesOnTypeChange(before: string, after: string): boolean {
  if (before === after) return false;
  const a = parseType(before);
  const b = parseType(after);
  if (!a || !b) return true;
  if (COMPATIBLE.has(`${a.base}>${b.base}`) && b.mods.length === 0) return false;
  if (TEXTUAL.has(a.base) && b.base === 'text') return false;
  if (TEXTUAL.has(a.base) && b.base === 'character varying' && b.mods.length === 0) return false;
  if (a.base !== b.base) return true;
  if (b.mods.length === 0) return !(WIDENING.has(a.base) || a.base === 'numeric');
  if (a.mods.length === 0) return true;
  if (a.base === 'numeric') return (a.mods[1] ?? 0) !== (b.mods[1] ?? 0) || b.mods[0] < a.mods[0];
  return !WIDENING.has(a.base) || b.mods[0] < a.mods[0];
}

/**
 * Whether an ALTER COLUMN … TYPE's USING clause (`ColumnDef.raw_default`)
 * computes each row's value: it is not the column (by its name, or qualified
 * by its table), nor the column cast to the type it is changed to.
 */
export function usingTransforms(def: Node | undefined, column: string): boolean {
  let expr: unknown = def?.raw_default;
  if (expr === undefined) return false;
  const target = typeNameText(def?.typeName);
  for (let cast = as(expr, 'TypeCast'); cast; cast = as(expr, 'TypeCast')) {
    if (typeNameText(cast.typeName) !== target) return true;
    expr = cast.arg;
  }
  const fields = as(expr, 'ColumnRef')?.fields;
  if (!Array.isArray(fields) || fields.length === 0) return true;
  const last = as(fields[fields.length - 1], 'String')?.sval;
  return last !== column;
}
