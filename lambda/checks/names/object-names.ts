/**
 * Names as PostgreSQL shortens them: an identifier cut to 63 bytes
 * (NAMEDATALEN - 1) at a character's end, and the name it makes for a new
 * object (`<table>_<columns>_<label>`, makeObjectName) that keeps its label
 * whole. Checked on PostgreSQL 18 and 15.
 */

/** The longest name PostgreSQL keeps (NAMEDATALEN - 1 bytes). */
export const NAME_BYTES = 63;

/** `name` cut to at most `bytes` bytes of UTF-8, at a character's end (pg_mbcliplen); an identifier cut as PostgreSQL cuts it by default. */
export function cutToBytes(name: string, bytes = NAME_BYTES): string {
  if (Buffer.byteLength(name) <= bytes) return name;
  let out = '';
  let used = 0;
  for (const ch of name) {
    used += Buffer.byteLength(ch);
    if (used > bytes) break;
    out += ch;
  }
  return out;
}

/**
 * A name for a new object as PostgreSQL's makeObjectName makes one:
 * `first_middle…_label`, at most 63 bytes. The label (the last part: `pkey`,
 * `not_null`, `idx`) is kept whole; the first part and the middle ones
 * (joined by `_`) give up a byte at a time, the longer one first, and are
 * then cut back to a character's end (`<table>_<column>_not_null` of a
 * 63-byte table and a 62-byte column keeps 27 and 26 bytes of them).
 */
export function objectName(...parts: string[]): string {
  const [first = '', ...rest] = parts;
  const label = rest.pop();
  if (label === undefined) return cutToBytes(first);
  const middle = rest.length ? rest.join('_') : undefined;
  const room = NAME_BYTES - Buffer.byteLength(label) - 1 - (middle === undefined ? 0 : 1);
  let [a, b] = [Buffer.byteLength(first), middle === undefined ? 0 : Buffer.byteLength(middle)];
  while (a + b > room) {
    if (a > b) a--;
    else b--;
  }
  return [cutToBytes(first, a), ...(middle === undefined ? [] : [cutToBytes(middle, b)]), label].join('_');
}

/**
 * A name for a new object that `taken` does not hold, as PostgreSQL's
 * ChooseConstraintName picks one: `objectName(...parts)`, else its label with
 * 1, 2, … after it (`leads_name_not_null_proof1`), the other parts shortened
 * to keep the label whole (checked on PostgreSQL 18 and 15: `t_c_check`,
 * then `t_c_check1`).
 */
export function freeObjectName(taken: (name: string) => boolean, ...parts: string[]): string {
  const label = parts.pop() ?? '';
  for (let pass = 0; ; pass++) {
    const name = objectName(...parts, pass ? `${label}${pass}` : label);
    if (!taken(name)) return name;
  }
}
