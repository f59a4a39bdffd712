/**
 * The grammar of messages, by number: a message says `1 file` and
 * `3 files`, `it` and `them`, from these rather than a condition of its own.
 */

/** `one` when `n` is 1, else `many`: `it`/`them`, `is`/`are`. */
export const oneOrMany = (n: number, one: string, many: string): string => (n === 1 ? one : many);

/** The noun for `n` of it: `file`, `files` (`many` where the plural is not an s). */
export const noun = (n: number, word: string, many = `${word}s`): string => oneOrMany(n, word, many);

/** `n` and its noun: `1 file`, `3 files`. */
export const plural = (n: number, word: string, many?: string): string => `${n} ${noun(n, word, many)}`;

/** A verb agreeing with `n` things: `stays` for 1, `stay` for more. */
export const verb = (n: number, stem: string): string => oneOrMany(n, `${stem}s`, stem);

const joined = (items: readonly string[], last: string): string =>
  items.length < 2 ? items.join('') : `${items.slice(0, -1).join(', ')} ${last} ${items.at(-1)}`;

/** `a`, `a or b`, `a, b or c`. */
export const orList = (items: readonly string[]): string => joined(items, 'or');

/** `a`, `a and b`, `a, b and c`. */
export const andList = (items: readonly string[]): string => joined(items, 'and');

/** Up to `shown` items, then how many more: `a, b, c and 4 more`. */
export const firstFew = (items: readonly string[], shown: number): string =>
  items.length <= shown ? items.join(', ') : `${items.slice(0, shown).join(', ')} and ${items.length - shown} more`;

/** Every one of `n` things: `the 1 file`, `all 3 files`. */
export const theOneOrAll = (n: number, word: string): string => oneOrMany(n, `the 1 ${word}`, `all ${n} ${word}s`);
