/**
 * A large INSERT … VALUES (a seed file, `pg_dump --inserts
 * --rows-per-insert`) parsed whole takes hundreds of MB: each row's constants
 * become nodes, in the parser's JSON and again as objects. The checks read
 * the INSERT's table, its columns, ON CONFLICT, RETURNING and any row that is
 * more than constants (a subquery, a function call); the other rows only make
 * the tree big. So in a text above THIN_ABOVE_CHARS, a VALUES list whose rows
 * after the first are all constants is cut after its first row before the
 * text is parsed; `cuts` says where, so that the caller maps the parser's
 * offsets back to the text's (and so its lines and columns), and `batches`
 * are the rows cut, a run of whole rows each, for the caller to check that
 * they parse.
 *
 * A scanner of its own, not the lexer's tokens: a token object per constant
 * is the memory this saves.
 */

/** Texts shorter than this are parsed as they are. */
export const THIN_ABOVE_CHARS = 64 * 1024;

/** The rows cut are checked in runs of about this many characters. */
export const ROWS_BATCH_CHARS = 64 * 1024;

/** Where text was cut out: at `char`/`byte` of the text handed out, `chars`/`bytes` of the original were. */
export interface Cut {
  char: number;
  byte: number;
  chars: number;
  bytes: number;
}

export interface ThinnedText {
  /** The text with the rows cut (the text itself when none were). */
  text: string;
  /** The cuts, in order. */
  cuts: Cut[];
  /** The rows cut, as ranges of the original text, each `(…), …, (…)`: whole rows, for checking that they parse. */
  batches: Array<[number, number]>;
}

/** The text with each VALUES list of constants cut after its first row; `text` unchanged when short or when none. */
export function thinValuesRows(text: string): ThinnedText {
  if (text.length < THIN_ABOVE_CHARS) return { text, cuts: [], batches: [] };
  const lists: RowsCut[] = [];
  const scan = new Scanner(text);
  while (scan.at < text.length) {
    if (scan.nextTopLevelWord() !== 'values') continue;
    const cut = plainRowsAfterFirst(scan);
    if (cut) lists.push(cut);
  }
  if (!lists.length) return { text, cuts: [], batches: [] };
  return { ...cutOut(text, lists), batches: lists.flatMap((list) => list.batches) };
}

/**
 * `text` without the ranges [from, to) (in order, apart), each replaced by
 * its `put` (ASCII, shorter than the range) when it has one, and the cuts
 * that say where each was: `put` reads as the range's first characters.
 */
export function cutOut(text: string, ranges: readonly { from: number; to: number; put?: string }[]): { text: string; cuts: Cut[] } {
  const parts: string[] = [];
  const cuts: Cut[] = [];
  let at = 0;
  let removed = { chars: 0, bytes: 0 };
  let byte = 0;
  for (const range of ranges) {
    const put = range.put ?? '';
    parts.push(text.slice(at, range.from), put);
    byte += utf8Length(text, at, range.from) + put.length;
    const chars = range.to - range.from - put.length;
    const bytes = utf8Length(text, range.from, range.to) - put.length;
    cuts.push({ char: range.from + put.length - removed.chars, byte: byte - removed.bytes, chars, bytes });
    removed = { chars: removed.chars + chars, bytes: removed.bytes + bytes };
    byte += bytes;
    at = range.to;
  }
  parts.push(text.slice(at));
  return { text: parts.join(''), cuts };
}

/** A byte offset into a text with `cuts` made, as an offset into the text before them. */
export function beforeCuts(cuts: readonly Cut[], byte: number): number {
  let shifted = byte;
  for (const cut of cuts) if (byte >= cut.byte) shifted += cut.bytes;
  return shifted;
}

/** A VALUES list's rows after its first: from the end of the first row to the end of the last, in runs of whole rows. */
interface RowsCut {
  from: number;
  to: number;
  batches: Array<[number, number]>;
}

/**
 * After VALUES: the rows `(…)` separated by commas. When there are more and
 * every one after the first is constants only, the span from the end of the
 * first row to the end of the last; undefined otherwise.
 */
function plainRowsAfterFirst(scan: Scanner): RowsCut | undefined {
  scan.skipSpace();
  if (scan.peek() !== C.Open) return undefined;
  scan.group();
  const from = scan.at;
  const batches: Array<[number, number]> = [];
  let batchStart = -1;
  let to = from;
  for (;;) {
    scan.skipSpace();
    if (scan.peek() !== C.Comma) break;
    scan.at++;
    scan.skipSpace();
    if (scan.peek() !== C.Open) return undefined;
    const start = scan.at;
    if (!scan.group()) return undefined;
    if (batchStart < 0) batchStart = start;
    to = scan.at;
    if (to - batchStart >= ROWS_BATCH_CHARS) {
      batches.push([batchStart, to]);
      batchStart = -1;
    }
  }
  scan.at = to;
  if (batchStart >= 0) batches.push([batchStart, to]);
  return to > from ? { from, to, batches } : undefined;
}

/** UTF-8 bytes of `text` from `from` to `to` (UTF-16 indexes), as Buffer.from writes them. */
function utf8Length(text: string, from: number, to: number): number {
  let n = 0;
  for (let k = from; k < to; k++) {
    const c = text.charCodeAt(k);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c <= 0xdbff && (text.charCodeAt(k + 1) & 0xfc00) === 0xdc00) {
      n += 4;
      k++;
    } else n += 3; // a lone surrogate is written as U+FFFD
  }
  return n;
}

const enum C {
  Tab = 9,
  Newline = 10,
  Return = 13,
  Space = 32,
  Dollar = 36,
  Quote = 39,
  Open = 40,
  Close = 41,
  Star = 42,
  Comma = 44,
  Dash = 45,
  Slash = 47,
  Zero = 48,
  Nine = 57,
  Semicolon = 59,
  UpperA = 65,
  UpperE = 69,
  UpperZ = 90,
  Backslash = 92,
  Underscore = 95,
  LowerA = 97,
  LowerE = 101,
  LowerZ = 122,
  DoubleQuote = 34,
}

/** A letter or `_`: a word's first character. */
function isWordStart(c: number): boolean {
  return (c >= C.UpperA && c <= C.UpperZ) || (c >= C.LowerA && c <= C.LowerZ) || c === C.Underscore || c >= 0x80;
}

/** A character a word (or a `$`-identifier) goes on with. */
function isWordPart(c: number): boolean {
  return isWordStart(c) || (c >= C.Zero && c <= C.Nine) || c === C.Dollar;
}

function isSpace(c: number): boolean {
  return c === C.Space || c === C.Newline || c === C.Tab || c === C.Return || c === 11 || c === 12;
}

/** Walks SQL text, stepping over strings, quoted identifiers, dollar quotes and comments (character codes: no string per character). */
class Scanner {
  at = 0;
  private depth = 0;
  constructor(private readonly text: string) {}

  peek(): number {
    return this.at < this.text.length ? this.text.charCodeAt(this.at) : -1;
  }

  /** The next word outside brackets (lower-cased), or '' at the end; steps over everything else. */
  nextTopLevelWord(): string {
    const t = this.text;
    while (this.at < t.length) {
      const c = t.charCodeAt(this.at);
      if (isWordStart(c) && (this.at === 0 || !isWordPart(t.charCodeAt(this.at - 1)))) {
        const start = this.at;
        while (this.at < t.length && isWordPart(t.charCodeAt(this.at))) this.at++;
        if (this.depth === 0) return t.slice(start, this.at).toLowerCase();
        continue;
      }
      if (c === C.Open) this.depth++;
      else if (c === C.Close) this.depth = Math.max(0, this.depth - 1);
      else if (c === C.Semicolon) this.depth = 0;
      if (!this.skipQuoted(c)) this.at++;
    }
    return '';
  }

  /** At `(`: steps past its `)`. True when the group held only constants: no brackets, dollar quotes or comments inside. */
  group(): boolean {
    const t = this.text;
    let depth = 0;
    let plain = true;
    while (this.at < t.length) {
      const c = t.charCodeAt(this.at);
      if (c === C.Open) {
        depth++;
        if (depth > 1) plain = false;
      } else if (c === C.Close) {
        depth--;
        if (depth === 0) {
          this.at++;
          return plain;
        }
      } else if (c === C.Dollar || (c === C.Dash && t.charCodeAt(this.at + 1) === C.Dash) || (c === C.Slash && t.charCodeAt(this.at + 1) === C.Star)) {
        plain = false;
      } else if (c === C.Semicolon) {
        return false;
      }
      if (!this.skipQuoted(c)) this.at++;
    }
    return false;
  }

  skipSpace(): void {
    while (this.at < this.text.length && isSpace(this.text.charCodeAt(this.at))) this.at++;
  }

  /** Steps over a string, quoted identifier, dollar quote or comment starting here (`c` is its first character); false when none does. */
  private skipQuoted(c: number): boolean {
    const t = this.text;
    const k = this.at;
    if (c === C.Quote) {
      const e = t.charCodeAt(k - 1);
      return this.skipString((e === C.UpperE || e === C.LowerE) && !isWordPart(t.charCodeAt(k - 2)));
    }
    if (c === C.DoubleQuote) return this.skipUntil(C.DoubleQuote, k + 1, true);
    if (c === C.Dash && t.charCodeAt(k + 1) === C.Dash) return this.skipUntil(C.Newline, k + 2, false);
    if (c === C.Slash && t.charCodeAt(k + 1) === C.Star) return this.skipBlockComment();
    if (c === C.Dollar && !(k > 0 && isWordPart(t.charCodeAt(k - 1)))) return this.skipDollar();
    return false;
  }

  private skipString(escapes: boolean): boolean {
    const t = this.text;
    let k = this.at + 1;
    while (k < t.length) {
      const c = t.charCodeAt(k);
      if (escapes && c === C.Backslash) {
        k += 2;
        continue;
      }
      if (c === C.Quote) {
        if (t.charCodeAt(k + 1) === C.Quote) {
          k += 2;
          continue;
        }
        break;
      }
      k++;
    }
    this.at = Math.min(t.length, k + 1);
    return true;
  }

  private skipUntil(end: number, from: number, doubled: boolean): boolean {
    const t = this.text;
    const mark = String.fromCharCode(end);
    let k = from;
    for (;;) {
      k = t.indexOf(mark, k);
      if (k < 0) {
        this.at = t.length;
        return true;
      }
      if (doubled && t.charCodeAt(k + 1) === end) {
        k += 2;
        continue;
      }
      this.at = k + 1;
      return true;
    }
  }

  private skipBlockComment(): boolean {
    const t = this.text;
    let depth = 0;
    let k = this.at;
    while (k < t.length) {
      const c = t.charCodeAt(k);
      if (c === C.Slash && t.charCodeAt(k + 1) === C.Star) {
        depth++;
        k += 2;
        continue;
      }
      if (c === C.Star && t.charCodeAt(k + 1) === C.Slash) {
        depth--;
        k += 2;
        if (depth === 0) break;
        continue;
      }
      k++;
    }
    this.at = k;
    return true;
  }

  private skipDollar(): boolean {
    const m = /^\$([A-Za-z_][A-Za-z0-9_]*)?\$/.exec(this.text.slice(this.at, this.at + 64));
    if (!m) return false;
    const end = this.text.indexOf(m[0], this.at + m[0].length);
    this.at = end < 0 ? this.text.length : end + m[0].length;
    return true;
  }
}
