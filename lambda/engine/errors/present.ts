/**
 * Lookups whose answer the code itself guarantees: an entry a map was filled
 * with a line before, a match group the pattern always captures, the session
 * an open lock holds. TypeScript cannot follow such a guarantee, and a `!`
 * would let a broken one surface later as an unrelated TypeError; these throw
 * at the lookup, naming what was missing.
 */

/** A value the code's own invariants promise was missing: a schemaguard bug, never bad input, so no exit code of its own. */
export class MissingValueError extends Error {
  override readonly name = 'MissingValueError';
  constructor(what: string) {
    super(`schemaguard bug: ${what} was missing where the code guarantees it; please report this with the command that raised it`);
  }
}

/** `value`, or a MissingValueError naming `what` when it is null or undefined. */
export function present<T>(value: T, what = 'a value'): NonNullable<T> {
  if (value === undefined || value === null) throw new MissingValueError(what);
  return value;
}

/** The entry of `map` under `key`, or a MissingValueError naming the key. */
export function get<K, V>(map: ReadonlyMap<K, V>, key: K): V {
  // has() rather than an undefined check: a map may hold undefined as a value.
  if (!map.has(key)) throw new MissingValueError(`the entry ${JSON.stringify(String(key))}`);
  return map.get(key) as V;
}
