/**
 * A large INSERT … VALUES (a seed file, `pg_dump --inserts
 * --rows-per-insert`) parsed whole takes hundreds of MB: each row's constants
 * become nodes, in the parser's JSON and again as objects. The checks read
 * the INSERT's table, its columns, ON CONFLICT, RETURNING and any row that is
 * more than constants (a subquery, a function call); the other rows only make
 * the tree big. So in a text above THIN_ABOVE_CHARS the rows after the first
 * that are only constants are blanked before it is parsed: each character
 * becomes as many spaces as it has UTF-8 bytes and newlines stay, so every
 * byte offset, line and column the parser reports is the text's own. The
 * caller checks the blanked rows parse (`blankedRows`), a batch at a time.
 *
 * A scanner of its own, not the lexer's tokens: a token object per constant
 * is the memory this saves.
 */

/** Texts shorter than this are parsed as they are. */
export const THIN_ABOVE_CHARS = 64 * 1024;

export interface ThinnedText {
  /** The text with the plain rows blanked (the text itself when none were). */
  text: string;
  /** The blanked rows' text, each `(…)`, for checking that they parse. */
  blankedRows: string[];
}

/** The text with the plain VALUES rows after each list's first blanked; `text` unchanged when short or when none. */
export function thinValuesRows(text: string): ThinnedText {
  if (text.length < THIN_ABOVE_CHARS) return { text, blankedRows: [] };
  const spans: Array<[number, number]> = [];
  const scan = new Scanner(text);
  while (scan.at < text.length) {
    const word = scan.nextTopLevelWord();
    if (word === 'values') spans.push(...plainRowsAfterFirst(scan));
  }
  if (!spans.length) return { text, blankedRows: [] };
  return { text: blank(text, spans), blankedRows: spans.map(([from, to]) => text.slice(text.indexOf('(', from), to)) };
}

/**
 * After VALUES: the rows `(…)` separated by commas. Returns, for each plain
 * row after the first, the span from the comma before it to its `)`.
 */
function plainRowsAfterFirst(scan: Scanner): Array<[number, number]> {
  const spans: Array<[number, number]> = [];
  scan.skipSpace();
  if (scan.peek() !== '(') return spans;
  scan.group();
  for (;;) {
    const comma = scan.at;
    scan.skipSpace();
    if (scan.peek() !== ',') { scan.at = comma; return spans; }
    scan.at++;
    scan.skipSpace();
    if (scan.peek() !== '(') return spans;
    const plain = scan.group();
    if (plain) spans.push([comma, scan.at]);
  }
}

/** Each character of the spans as spaces, one per UTF-8 byte; newlines kept. */
function blank(text: string, spans: Array<[number, number]>): string {
  const parts: string[] = [];
  let at = 0;
  for (const [from, to] of spans) {
    parts.push(text.slice(at, from));
    const piece = text.slice(from, to);
    // ASCII without newlines: one space per character.
    parts.push(/^[\x00-\x09\x0b-\x7f]*$/.test(piece) ? ' '.repeat(piece.length) : blankPiece(piece));
    at = to;
  }
  parts.push(text.slice(at));
  return parts.join('');
}

function blankPiece(piece: string): string {
  let out = '';
  for (const ch of piece) out += ch === '\n' ? '\n' : ' '.repeat(Buffer.byteLength(ch, 'utf8'));
  return out;
}

const IDENT = /[A-Za-z0-9_$\u0080-\uffff]/;

/** Walks SQL text, stepping over strings, quoted identifiers, dollar quotes and comments. */
class Scanner {
  at = 0;
  private depth = 0;
  constructor(private readonly text: string) {}

  peek(): string | undefined {
    return this.text[this.at];
  }

  /** The next word outside brackets (lower-cased), or '' at the end; steps over everything else. */
  nextTopLevelWord(): string {
    const t = this.text;
    while (this.at < t.length) {
      const c = t[this.at]!;
      if (/[A-Za-z_]/.test(c) && (this.at === 0 || !IDENT.test(t[this.at - 1]!))) {
        const start = this.at;
        while (this.at < t.length && IDENT.test(t[this.at]!)) this.at++;
        if (this.depth === 0) return t.slice(start, this.at).toLowerCase();
        continue;
      }
      if (c === '(') this.depth++;
      else if (c === ')') this.depth = Math.max(0, this.depth - 1);
      else if (c === ';') this.depth = 0;
      if (!this.skipQuoted()) this.at++;
    }
    return '';
  }

  /** At `(`: steps past its `)`. True when the group held only constants: no brackets, dollar quotes or comments inside. */
  group(): boolean {
    const t = this.text;
    let depth = 0;
    let plain = true;
    while (this.at < t.length) {
      const c = t[this.at]!;
      if (c === '(') {
        depth++;
        if (depth > 1) plain = false;
      } else if (c === ')') {
        depth--;
        if (depth === 0) { this.at++; return plain; }
      } else if (c === '$' || (c === '-' && t[this.at + 1] === '-') || (c === '/' && t[this.at + 1] === '*')) {
        plain = false;
      } else if (c === ';') {
        return false;
      }
      if (!this.skipQuoted()) this.at++;
    }
    return false;
  }

  skipSpace(): void {
    while (this.at < this.text.length && /\s/.test(this.text[this.at]!)) this.at++;
  }

  /** Steps over a string, quoted identifier, dollar quote or comment starting here; false when none does. */
  private skipQuoted(): boolean {
    const t = this.text;
    const c = t[this.at]!;
    if (c === "'") return this.skipString(/[eE]/.test(t[this.at - 1] ?? '') && !IDENT.test(t[this.at - 2] ?? ''));
    if (c === '"') return this.skipUntil('"', this.at + 1, true);
    if (c === '-' && t[this.at + 1] === '-') return this.skipUntil('\n', this.at + 2, false);
    if (c === '/' && t[this.at + 1] === '*') return this.skipBlockComment();
    if (c === '$' && !IDENT.test(t[this.at - 1] ?? '')) return this.skipDollar();
    return false;
  }

  private skipString(escapes: boolean): boolean {
    const t = this.text;
    let k = this.at + 1;
    while (k < t.length) {
      if (escapes && t[k] === '\\') { k += 2; continue; }
      if (t[k] === "'") {
        if (t[k + 1] === "'") { k += 2; continue; }
        break;
      }
      k++;
    }
    this.at = Math.min(t.length, k + 1);
    return true;
  }

  private skipUntil(end: string, from: number, doubled: boolean): boolean {
    const t = this.text;
    let k = from;
    for (;;) {
      k = t.indexOf(end, k);
      if (k < 0) { this.at = t.length; return true; }
      if (doubled && t[k + 1] === end) { k += 2; continue; }
      this.at = k + 1;
      return true;
    }
  }

  private skipBlockComment(): boolean {
    const t = this.text;
    let depth = 0;
    let k = this.at;
    while (k < t.length) {
      if (t[k] === '/' && t[k + 1] === '*') { depth++; k += 2; continue; }
      if (t[k] === '*' && t[k + 1] === '/') { depth--; k += 2; if (depth === 0) break; continue; }
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
