/**
 * A search_path value read as PostgreSQL reads it (SplitIdentifierString, as
 * `SET search_path` stores it and `SHOW search_path` gives it back), checked
 * against `current_schemas(false)` on PostgreSQL 15 and 18:
 *
 * - names separated by commas, whitespace around each (space, tab, newline,
 *   carriage return, form feed; and vertical tab from PostgreSQL 16);
 * - a quoted name as written, `""` inside for a quote, commas and
 *   whitespace included (`"a,b"` is one schema);
 * - an unquoted one up to whitespace or a comma, A-Z folded to lower case
 *   (`PUBLIC` is public, `É` stays);
 * - each cut to 63 bytes, as an identifier is;
 * - `$user` (quoted or not) is kept as written: the role's name, which the
 *   caller knows.
 *
 * An empty value (or whitespace) is an empty path; `''` given to SET is
 * stored as `""`, one schema of no name, which none has.
 */
import { cutToBytes } from './object-names';

const SPACE = /[ \t\n\r\f\v]/;

/**
 * The schemas of `value`, in order; undefined where PostgreSQL refuses the
 * value (`invalid value for parameter "search_path"`: an unclosed quote,
 * two names without a comma, an empty one between commas).
 */
export function searchPathSchemas(value: string): string[] | undefined {
  const schemas: string[] = [];
  let at = skipSpace(value, 0);
  if (at === value.length) return schemas;
  for (;;) {
    const name = value[at] === '"' ? quotedName(value, at) : unquotedName(value, at);
    if (!name) return undefined;
    schemas.push(cutToBytes(name.name));
    at = skipSpace(value, name.end);
    if (at === value.length) return schemas;
    if (value[at] !== ',') return undefined;
    at = skipSpace(value, at + 1);
  }
}

function skipSpace(value: string, at: number): number {
  while (at < value.length && SPACE.test(value[at])) at++;
  return at;
}

/** `"…"` from `at` (its opening quote): the name with `""` read as one quote, and where it ends. */
function quotedName(value: string, at: number): { name: string; end: number } | undefined {
  let name = '';
  for (let i = at + 1; ; ) {
    const close = value.indexOf('"', i);
    if (close < 0) return undefined;
    name += value.slice(i, close);
    if (value[close + 1] !== '"') return { name, end: close + 1 };
    name += '"';
    i = close + 2;
  }
}

/** A bare name from `at`, up to whitespace or a comma, A-Z folded; undefined when empty. */
function unquotedName(value: string, at: number): { name: string; end: number } | undefined {
  let end = at;
  while (end < value.length && value[end] !== ',' && !SPACE.test(value[end])) end++;
  if (end === at) return undefined;
  return { name: value.slice(at, end).replace(/[A-Z]+/g, (u) => u.toLowerCase()), end };
}
