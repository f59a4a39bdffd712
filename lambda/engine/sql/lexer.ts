import { present } from '../errors/present';
/**
 * The SQL lexer: the one place that knows where PostgreSQL's strings, quoted
 * identifiers, dollar quotes and comments begin and end. Everything that reads
 * SQL text — the statement splitter, the statement classifier, the directive
 * reader, the Data API's placeholder rewrite — reads it through these tokens,
 * so none of them can be fooled by a keyword inside a literal or a comment.
 *
 * It follows PostgreSQL's scanner (src/backend/parser/scan.l) for those
 * boundaries, with standard_conforming_strings on:
 *
 * - '…' is a string with '' for a quote; a backslash is an ordinary character;
 * - E'…' (or e'…') also takes backslash escapes, so E'it\'s' is one string;
 * - "…" is a quoted identifier with "" for a quote;
 * - $$…$$ and $tag$…$tag$ are dollar-quoted strings; $1 is a parameter; a $
 *   inside an identifier (a$b) is part of it;
 * - -- runs to the end of the line; /* … *\/ nests, as PostgreSQL's does.
 *
 * It never throws: input that ends inside a token yields that token with
 * `unterminated` set, and the caller decides.
 */

export type TokenKind =
  /** Keyword or bare identifier: a letter or _ then letters, digits, _ or $. */
  | 'word'
  /** `"…"`. */
  | 'quoted-identifier'
  /** `'…'` or `E'…'`. */
  | 'string'
  /** `$$…$$` or `$tag$…$tag$`. */
  | 'dollar-string'
  /** `$1`, `$2` … */
  | 'parameter'
  /** `42`, `3.14`, `1e-5`. */
  | 'number'
  /** `-- …` to the end of the line (the newline is not part of it). */
  | 'line-comment'
  /** `/* … *\/`, nested. */
  | 'block-comment'
  /** Any other single character: `;`, `(`, `)`, `,`, `.`, `=`, `\` … */
  | 'symbol';

export interface Token {
  kind: TokenKind;
  /** The token as written. */
  text: string;
  /** Offset of its first character in the input. */
  offset: number;
  /** Offset just past its last character. */
  end: number;
  /** 1-based line of its first character (counted from `firstLine`). */
  line: number;
  /** 1-based column of its first character. */
  column: number;
  /** Set when the input ends inside the token (a string, identifier, dollar quote or comment left open). */
  unterminated?: true;
}

export interface LexOptions {
  /** Line number of the input's first line (for text cut from a larger file). @default 1 */
  firstLine?: number;
  /** Column of the input's first character (for text cut from the middle of a line). @default 1 */
  firstColumn?: number;
}

/** Options of a cursor that starts inside its input: the text before `start` is only looked back at (an `E` after an identifier). */
export interface CursorOptions extends LexOptions {
  /** Offset of the first character to read; `firstLine` and `firstColumn` are its line and column. @default 0 */
  start?: number;
}

const NEWLINE = 10;
const IDENT_CHAR = /[A-Za-z0-9_$\u0080-\uffff]/;
const NUMBER = /[0-9]+(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?/y;
const PARAMETER = /\$[0-9]+/y;
const DOLLAR_TAG = /\$(?:[A-Za-z_\u0080-\uffff][A-Za-z0-9_\u0080-\uffff]*)?\$/y;

/**
 * The lexer itself: a cursor over `input` that moves from token to token
 * without allocating (the statement scanner reads whole files through it;
 * `lexSql` hands out Token objects built from it). After `next()` returns
 * true, `kind`, `offset`, `end`, `line`, `column` and `unterminated`
 * describe the current token.
 */
export class SqlCursor {
  kind: TokenKind = 'symbol';
  offset = 0;
  end = 0;
  line: number;
  column = 1;
  unterminated = false;
  private lineStart: number;

  constructor(
    private readonly input: string,
    options: CursorOptions = {},
  ) {
    const start = options.start ?? 0;
    this.offset = start;
    this.end = start;
    this.line = options.firstLine ?? 1;
    this.lineStart = start + 1 - (options.firstColumn ?? 1);
  }

  /** Move to the next token; false at the end of the input. */
  next(): boolean {
    const input = this.input;
    const n = input.length;
    let i = this.end;
    // Newlines inside the previous token (a comment, a string) count too.
    for (let k = this.offset; k < i; k++) {
      if (input.charCodeAt(k) === NEWLINE) {
        this.line++;
        this.lineStart = k + 1;
      }
    }
    for (; i < n; i++) {
      const c = input.charCodeAt(i);
      if (c === NEWLINE) {
        this.line++;
        this.lineStart = i + 1;
      } else if (!isSpace(c)) break;
    }
    this.offset = i;
    if (i >= n) {
      this.end = n;
      return false;
    }
    const end = tokenEnd(this, input, i);
    this.unterminated = end < 0;
    this.end = end < 0 ? n : end;
    this.column = i - this.lineStart + 1;
    return true;
  }

  /** Go on from `position` (past text that is not SQL): the next token starts there or after it; its lines are counted. */
  skipTo(position: number): void {
    this.end = Math.max(this.end, position);
  }

  /** The current token's text. */
  get text(): string {
    return this.input.slice(this.offset, this.end);
  }

  /** The current token as an object of its own. */
  token(): Token {
    const t: Token = { kind: this.kind, text: this.text, offset: this.offset, end: this.end, line: this.line, column: this.column };
    if (this.unterminated) t.unterminated = true;
    return t;
  }
}

/** The tokens of `input`, in order; whitespace is skipped. */
export function* lexSql(input: string, options: LexOptions = {}): Generator<Token, void, undefined> {
  const cursor = new SqlCursor(input, options);
  while (cursor.next()) yield cursor.token();
}

/** All tokens of `input` at once (for short texts; `lexSql` streams). */
export function tokenize(input: string, options: LexOptions = {}): Token[] {
  return [...lexSql(input, options)];
}

/** True for tokens that only comment: they separate, they never mean. */
export function isComment(token: Token): boolean {
  return token.kind === 'line-comment' || token.kind === 'block-comment';
}

/** The dollar tag that opens a dollar-quoted string token (`$$`, `$body$`). */
export function dollarTag(token: Token): string {
  DOLLAR_TAG.lastIndex = 0;
  return DOLLAR_TAG.exec(token.text)?.[0] ?? '$$';
}

function isSpace(c: number): boolean {
  // space, \t, \r, \f, \v
  return c === 32 || c === 9 || c === 13 || c === 12 || c === 11;
}

const DASH = 45;
const SLASH = 47;
const STAR = 42;
const QUOTE = 39;
const DOUBLE_QUOTE = 34;
const DOLLAR = 36;

/** Sets the kind of the token that starts at `i` and returns the offset just past it (-1: the input ends inside it). */
function tokenEnd(cursor: { kind: TokenKind }, input: string, i: number): number {
  const c = input.charCodeAt(i);
  const next = input.charCodeAt(i + 1);
  if (c === DASH && next === DASH) {
    cursor.kind = 'line-comment';
    return lineEnd(input, i);
  }
  if (c === SLASH && next === STAR) {
    cursor.kind = 'block-comment';
    return blockCommentEnd(input, i);
  }
  if (c === QUOTE) {
    cursor.kind = 'string';
    return quotedEnd(input, i + 1, "'", false);
  }
  if ((c === 69 || c === 101) && next === QUOTE && !afterIdentChar(input, i)) {
    cursor.kind = 'string';
    return quotedEnd(input, i + 2, "'", true);
  }
  if (c === DOUBLE_QUOTE) {
    cursor.kind = 'quoted-identifier';
    return quotedEnd(input, i + 1, '"', false);
  }
  if (c === DOLLAR && !afterIdentChar(input, i)) {
    const tag = stickyMatch(DOLLAR_TAG, input, i);
    if (tag) {
      cursor.kind = 'dollar-string';
      const close = input.indexOf(tag, i + tag.length);
      return close < 0 ? -1 : close + tag.length;
    }
    const parameter = stickyMatch(PARAMETER, input, i);
    if (parameter) {
      cursor.kind = 'parameter';
      return i + parameter.length;
    }
  }
  if (isIdentStart(c)) {
    cursor.kind = 'word';
    return wordEnd(input, i + 1);
  }
  if (c >= 48 && c <= 57) {
    cursor.kind = 'number';
    return i + present(stickyMatch(NUMBER, input, i)).length;
  }
  cursor.kind = 'symbol';
  return i + 1;
}

/** A letter, _ or any character from U+0080 on (PostgreSQL's ident_start). */
function isIdentStart(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c === 95 || (c >= 0x80 && c <= 0xffff);
}

/** Past the identifier characters from `k` on (ident_cont: also digits and $). */
function wordEnd(input: string, k: number): number {
  const n = input.length;
  for (; k < n; k++) {
    const c = input.charCodeAt(k);
    if (!(isIdentStart(c) || (c >= 48 && c <= 57) || c === DOLLAR)) break;
  }
  return k;
}

/** An E or $ right after an identifier character belongs to that identifier or number (xE'…' is x, E, then a plain string). */
function afterIdentChar(input: string, i: number): boolean {
  return i > 0 && IDENT_CHAR.test(input[i - 1]);
}

function stickyMatch(pattern: RegExp, input: string, at: number): string | undefined {
  pattern.lastIndex = at;
  return pattern.exec(input)?.[0];
}

function lineEnd(input: string, i: number): number {
  const end = input.indexOf('\n', i);
  return end < 0 ? input.length : end;
}

/** Past the `*\/` that closes the comment opened at `i`, counting nested comments. */
function blockCommentEnd(input: string, i: number): number {
  const n = input.length;
  let depth = 0;
  for (let k = i; k < n; k++) {
    if (input[k] === '/' && input[k + 1] === '*') {
      depth++;
      k++;
    } else if (input[k] === '*' && input[k + 1] === '/') {
      depth--;
      k++;
      if (depth === 0) return k + 1;
    }
  }
  return -1;
}

/**
 * A string, quoted identifier or dollar-quoted string that a piece of text
 * left open, as far as reading on needs to know it: what closes it (its
 * quote, or its tag), whether a backslash escapes (E'…'), and the state at
 * the piece's end: the next character escaped (after an odd backslash), a
 * quote last that a quote next would double, the tail of a dollar-quoted
 * body that a closing tag may begin in.
 */
export interface OpenToken {
  kind: 'string' | 'quoted-identifier' | 'dollar-string';
  close: string;
  backslashes: boolean;
  escaped: boolean;
  quoteLast: boolean;
  overlap: string;
}

/** The open token `token` (unterminated, as the cursor read it in `input`) leaves at the end of `input`. */
export function openToken(input: string, token: { kind: TokenKind; offset: number }): OpenToken | undefined {
  const { kind, offset } = token;
  if (kind === 'dollar-string') {
    const close = present(stickyMatch(DOLLAR_TAG, input, offset));
    return stillOpen(readOn({ kind, close, backslashes: false, escaped: false, quoteLast: false, overlap: '' }, input.slice(offset + close.length)));
  }
  if (kind !== 'string' && kind !== 'quoted-identifier') return undefined;
  const backslashes = input.charCodeAt(offset) !== QUOTE && input.charCodeAt(offset) !== DOUBLE_QUOTE;
  const close = kind === 'string' ? "'" : '"';
  return stillOpen(readOn({ kind, close, backslashes, escaped: false, quoteLast: false, overlap: '' }, input.slice(offset + (backslashes ? 2 : 1))));
}

function stillOpen(r: number | OpenToken): OpenToken | undefined {
  return typeof r === 'number' ? undefined : r;
}

/**
 * Reads on in `text` inside the open token: the offset just past its end in
 * `text` (0: it ended where the text before stopped), or the token still
 * open at `text`'s end. The same rules as a token read whole.
 */
export function readOn(open: OpenToken, text: string): number | OpenToken {
  if (open.kind === 'dollar-string') {
    const search = open.overlap + text;
    const at = search.indexOf(open.close);
    if (at >= 0) return at + open.close.length - open.overlap.length;
    return { ...open, overlap: search.slice(Math.max(0, search.length - open.close.length + 1)) };
  }
  const n = text.length;
  let k = 0;
  if (open.quoteLast) {
    // The quote that ended the text before is doubled by this one, or it closed the token there.
    if (text[0] !== open.close) return 0;
    k = 1;
  } else if (open.escaped) k = 1;
  while (k < n) {
    const ch = text[k];
    if (open.backslashes && ch === '\\') {
      k += 2;
      continue;
    }
    if (ch === open.close) {
      if (k + 1 === n) return { ...open, escaped: false, quoteLast: true };
      if (text[k + 1] !== open.close) return k + 1;
      k += 2;
      continue;
    }
    k++;
  }
  return { ...open, escaped: k > n, quoteLast: false };
}

/** Past the `quote` that closes a quoted token whose body starts at `from`; a doubled quote is part of the body. */
function quotedEnd(input: string, from: number, quote: string, backslashEscapes: boolean): number {
  const n = input.length;
  let k = from;
  while (k < n) {
    const ch = input[k];
    if (backslashEscapes && ch === '\\') {
      k += 2;
      continue;
    }
    if (ch === quote) {
      if (input[k + 1] !== quote) return k + 1;
      k += 2;
      continue;
    }
    k++;
  }
  return -1;
}
