/**
 * Splits SQL text into statements the way psql does: semicolons end a
 * statement only outside strings ('…', E'…', $tag$…$tag$), quoted identifiers,
 * comments (-- and nested /* *\/), parentheses, and the BEGIN … END body of a
 * SQL-standard `CREATE FUNCTION/PROCEDURE … BEGIN ATOMIC`.
 *
 * Pure function over a string, built on the token stream of `lexer.ts`. For
 * each statement it also reports the words that appear outside strings and
 * comments, which is what `classify.ts` reads to tell a VACUUM from a
 * SELECT without being fooled by a comment or a literal.
 */
import { InputError } from '../errors/errors';
import { dollarTag, openToken, readOn, SqlCursor, type OpenToken, type Token } from './lexer';
import { present } from '../errors/present';

export interface SqlStatement {
  /** The statement text, from its first token to the character before its `;`. */
  text: string;
  /** 1-based line of the first token within the whole input. */
  line: number;
  /** 1-based column of the first token. */
  column: number;
  /** Offset of the first token in the input. */
  offset: number;
  /** Lower-cased words (keywords and bare identifiers) outside strings and comments, in order. */
  words: string[];
  /** Lines (1-based, within the input) of each entry of `words`. */
  wordLines: number[];
  /** True when the statement was ended by `;` (false for a trailing statement without one). */
  terminated: boolean;
  /**
   * A statement longer than the scanner's window: its text as UTF-8 in
   * pieces, in order, and its length in characters; `text` decodes them
   * when first read. A driver sends the pieces as they are. Not enumerable:
   * a statement compares equal however its text was cut.
   */
  readonly textPieces?: { readonly bytes: readonly Uint8Array[]; readonly length: number };
}

export interface SplitOptions {
  /** Name used in error messages. */
  file?: string;
  /** Line number of the input's first line (for text cut from a larger file). */
  firstLine?: number;
  /**
   * Reads the text of a statement longer than a window from the input again
   * (its offset and length in characters), when and if it is asked for,
   * instead of keeping it: a pass that needs a long statement's words only
   * (loading a file, to validate it) then holds none of its text.
   * @default - the text is kept, as UTF-8 pieces
   */
  readText?: (offset: number, length: number) => Iterable<string>;
  /**
   * With `readText`: only a statement longer than this many characters is
   * read again; a shorter one keeps its pieces (reading the input again
   * costs more than holding them).
   * @default 0
   */
  rereadAbove?: number;
  /**
   * Patterns `textIncludes` will be asked about a statement read again
   * (`readText`; each a match of at most 64 characters): looked for while its
   * text passes, so that asking reads nothing again.
   * @default - none
   */
  watch?: readonly RegExp[];
}

/** A `--` comment outside any literal, with the line it is on. */
export interface LineComment {
  line: number;
  /** The comment including its leading `--`. */
  text: string;
  /** True when only whitespace precedes the comment on its line. */
  ownLine: boolean;
}

export interface ScanResult {
  statements: SqlStatement[];
  comments: LineComment[];
}

export function splitSql(input: string, options: SplitOptions = {}): SqlStatement[] {
  return scanSql(input, options).statements;
}

/**
 * Statements and the top-level line comments (never those inside strings or
 * bodies). Throws InputError, with the line, for a string, identifier, dollar
 * quote or comment left open, and for a psql meta-command.
 */
export function scanSql(input: string, options: SplitOptions = {}): ScanResult {
  const out: ScanResult = { statements: [], comments: [] };
  const scanner = new StatementScanner({ statement: (st) => out.statements.push(st), comment: (c) => out.comments.push(c) }, options);
  scanner.push(input);
  scanner.end();
  return out;
}

/**
 * The scanner reads at most this much new text at a time, so what it has found
 * and not yet handed out stays small even when it is given a whole file.
 */
export const SCAN_WINDOW = 64 * 1024;

/**
 * Text kept from before a window for the checks that look back (an array
 * slice's `[` before a colon: 4,000 characters; an `E` after an identifier).
 */
const CONTEXT = 8 * 1024;

/** Text a symbol needs after it to be read (a `${placeholder}`: 200 characters; a meta-command's name). */
const LOOKAHEAD = 256;

/** Where the scanner hands what it found, in the order it appears in the text. */
export interface ScanSink {
  statement(statement: SqlStatement): void;
  comment?(comment: LineComment): void;
  /**
   * Bad input after which the text still reads as it would have (a psql
   * meta-command, psql variable or another tool's placeholder: the scanner
   * steps over it), or the text left open that ends it (`leftOpen`).
   * Without this, each is thrown.
   */
  problem?(error: InputError, leftOpen?: boolean): void;
}

/** What a scan found, in the order of the text. */
type Found = { statement: SqlStatement } | { comment: LineComment } | { problem: InputError };

/**
 * The splitter fed piece by piece (a file read in chunks): each statement and
 * top-level line comment reaches the sink, in order, as soon as the text
 * that follows it shows it complete. Each character is read once: a window
 * is read up to the last token it may hold only in part, and that token is
 * read again with the next piece. A statement longer than a window is kept as
 * the pieces of its text and joined once, when it ends, so memory follows the
 * longest statement (once), not the file. Offsets, lines and columns count
 * from the start of the whole input.
 */
export class StatementScanner {
  /** Text not read yet: from the start of a token the last window may have held in part. */
  private tail = '';
  /** Up to CONTEXT characters of the text before `tail`, already read (for the checks that look back). */
  private context = '';
  /** Pieces not read yet: while the token in `tail` is longer than they are, reading it again would cost more than it finds. */
  private pending: string[] = [];
  private pendingLength = 0;
  /** Where `tail` starts in the input, and whether only whitespace precedes it on its line. */
  private at = { offset: 0, line: 1, column: 1, blankBefore: true };
  private readonly collector: StatementCollector;
  /**
   * Inside a COPY … FROM stdin's data (psql reads it up to a line \.): the
   * rest of the COPY's line (`line`), or the data lines (`data`).
   */
  private copyData: false | 'line' | 'data' = false;
  /**
   * A string or dollar-quoted body longer than a window, still open where the
   * last window ended, and where it began: read on from where it stopped, not
   * again from its start, so a long body is read once.
   */
  private long?: { open: OpenToken; token: Token };

  constructor(
    private readonly sink: ScanSink,
    private readonly options: SplitOptions = {},
  ) {
    this.at.line = options.firstLine ?? 1;
    this.collector = new StatementCollector(options.readText, options.rereadAbove, options.watch);
  }

  /**
   * The next piece of the input (a long one is taken in windows of
   * SCAN_WINDOW characters). Each scan joins up to CONTEXT characters of the
   * text before it again: give pieces of kilobytes, not characters.
   */
  push(piece: string): void {
    for (let k = 0; k < piece.length; k += SCAN_WINDOW) this.pushWindow(k === 0 && piece.length <= SCAN_WINDOW ? piece : piece.slice(k, k + SCAN_WINDOW));
  }

  private pushWindow(piece: string): void {
    this.pending.push(piece);
    this.pendingLength += piece.length;
    // A token (a string, a body) spanning many pieces is read again only once the text after it has doubled: linear in all.
    if (this.pendingLength >= this.tail.length) this.scan(false);
  }

  /** The input is complete: a statement without a final `;` is handed out, anything left open is refused. */
  end(): void {
    this.scan(true);
    this.tail = '';
    this.context = '';
  }

  private scan(final: boolean): void {
    const start = this.context.length;
    const window = [this.context, this.tail, ...this.pending].join('');
    this.pending = [];
    this.pendingLength = 0;
    const found: Found[] = [];
    const collector = this.collector;
    collector.read(window, this.at.offset - start, start);
    let hold = window.length;
    const token = new SqlCursor(window, { start, firstLine: this.at.line, firstColumn: this.at.column });
    if (this.copyData) {
      const skip = this.skipCopyData(window, start, final);
      if ('hold' in skip) return this.keep(window, start, skip.hold);
      token.skipTo(skip.at);
    }
    if (this.long && !this.readOnLong(window, start, final, token, found)) return;
    while (token.next()) {
      const kind = token.kind;
      if (!final && token.unterminated && window.length - token.offset >= SCAN_WINDOW) {
        // Longer than a window already: read on from here with the next piece, not again from its start.
        // Its text is kept up to the window's last whole character (a surrogate pair the window's end cut is read with the next).
        const stop = wholeCharacters(window);
        const open = openToken(window.slice(0, stop), token);
        if (open) {
          // The token as its error names it (kind, line, the tag): not its text, which would hold the window.
          this.long = { open, token: { ...token.token(), text: window.slice(token.offset, token.offset + open.close.length + 2) } };
          collector.add(token);
          hold = stop;
          break;
        }
      }
      if (
        !final &&
        (token.unterminated ||
          token.end === window.length ||
          (kind === 'symbol' && needsLookahead(window, token.offset)) ||
          (kind === 'number' && window.length - token.end < 3))
      ) {
        hold = token.offset;
        break;
      }
      // What ended before the bad token reaches the sink first: it may refuse one of them with a better reason.
      if (token.unterminated) return this.stop(found, unterminated(token.token(), this.options.file));
      if (kind === 'line-comment') {
        found.push({ comment: this.lineComment(window, token) });
        continue;
      }
      if (kind === 'block-comment') continue;
      const notSql = kind === 'symbol' ? this.notSql(window, token, final) : undefined;
      // One that may go on in the next piece is read again with it.
      if (notSql === 'more' || (notSql && !final && notSql.end >= window.length)) {
        hold = token.offset;
        break;
      }
      if (notSql) {
        if (!this.sink.problem) throw this.handOut(found, notSql.error);
        found.push({ problem: notSql.error });
        token.skipTo(notSql.end);
        continue;
      }
      const statement = collector.add(token);
      if (!statement) continue;
      found.push({ statement });
      if (!isCopyFromStdin(statement.words)) continue;
      // The data lines after a COPY … FROM stdin are not SQL: stepped over, as psql sends them apart.
      this.copyData = 'line';
      const skip = this.skipCopyData(window, token.end, final);
      if ('hold' in skip) {
        hold = skip.hold;
        break;
      }
      token.skipTo(skip.at);
    }
    const last = final ? collector.finish(window.length, false) : collector.carry(hold);
    if (last) found.push({ statement: last });
    this.handOut(found, undefined);
    this.keep(window, start, hold);
  }

  /**
   * The string or body longer than a window that the last window left open,
   * read on from where it stopped: true when it ended in this window (the
   * scan goes on after it), false when it is still open (kept for the next
   * piece) or the input ended inside it (refused).
   */
  private readOnLong(window: string, start: number, final: boolean, token: SqlCursor, found: Found[]): boolean {
    const long = present(this.long);
    const stop = final ? window.length : wholeCharacters(window);
    const end = readOn(long.open, window.slice(start, stop));
    if (typeof end === 'number') {
      this.long = undefined;
      token.skipTo(start + end);
      return true;
    }
    if (final) {
      this.stop(found, unterminated(long.token, this.options.file));
      return false;
    }
    long.open = end;
    this.collector.carry(stop);
    this.keep(window, start, stop);
    return false;
  }

  /**
   * Past the data lines of the COPY … FROM stdin being read, from `from` on:
   * where the SQL goes on, or where to read again with the next piece (a data
   * line not yet whole may be the \. that ends them).
   */
  private skipCopyData(window: string, from: number, final: boolean): { at: number } | { hold: number } {
    if (this.copyData === 'line') {
      const newline = window.indexOf('\n', from);
      if (newline < 0 && !final) return { hold: window.length };
      from = newline < 0 ? window.length : newline + 1;
      this.copyData = 'data';
    }
    const end = copyDataEnd(window, from, final);
    if (end === undefined) return { hold: Math.max(from, window.lastIndexOf('\n') + 1) };
    this.copyData = false;
    return { at: end };
  }

  /**
   * A psql meta-command, psql variable or placeholder at the token, with
   * its error and where the text goes on; 'more' when the window ends
   * before its end is known.
   */
  private notSql(window: string, token: SqlCursor, final: boolean): { error: InputError; end: number } | 'more' | undefined {
    const file = this.options.file;
    const at = token.offset;
    if (window.charCodeAt(at) === BACKSLASH) {
      // A meta-command takes the rest of its line.
      const newline = window.indexOf('\n', at);
      if (newline < 0 && !final) return 'more';
      return { error: metaCommand(window, token.token(), file), end: newline < 0 ? window.length : newline };
    }
    if (isPsqlVariable(window, at, this.collector.inBrackets)) {
      const variable = psqlVariableText(window, at);
      return { error: psqlVariable(variable, token.token(), file), end: at + variable.length };
    }
    const ahead = window.slice(at, at + 200);
    const placeholder = FLYWAY_PLACEHOLDER.exec(ahead)?.[0];
    if (placeholder) return { error: flywayPlaceholder(placeholder, token.token(), file), end: at + placeholder.length };
    const template = GO_TEMPLATE.exec(ahead)?.[0];
    if (template) return { error: goTemplate(template, token.token(), file), end: at + template.length };
    return undefined;
  }

  /** Text left open ends the input: thrown, or (to a sink that takes problems) handed over after what came before it. */
  private stop(found: Found[], error: InputError): void {
    if (!this.sink.problem) throw this.handOut(found, error);
    this.handOut(found, undefined);
    this.sink.problem(error, true);
  }

  /** Hands what was found to the sink, in order; returns `error`, for the caller to throw. */
  private handOut<E>(found: Found[], error: E): E {
    for (const f of found) {
      if ('statement' in f) this.sink.statement(f.statement);
      else if ('comment' in f) this.sink.comment?.(f.comment);
      else this.sink.problem?.(f.problem);
    }
    return error;
  }

  private lineComment(window: string, token: SqlCursor): LineComment {
    // A line that began before the kept context: what preceded it on that line is known only as blank or not.
    const lineStart = token.offset - token.column + 1;
    const blank = window.slice(Math.max(0, lineStart), token.offset).trim() === '' && (lineStart >= 0 || this.at.blankBefore);
    return { line: token.line, text: token.text, ownLine: blank };
  }

  /** Keep `window` from `hold` on to read with the next piece (and the text before it as context), and where that text starts. */
  private keep(window: string, start: number, hold: number): void {
    let { line, column, blankBefore } = this.at;
    const lastNewline = hold > start ? window.lastIndexOf('\n', hold - 1) : -1;
    if (lastNewline >= start) {
      for (let k = window.indexOf('\n', start); k >= 0 && k <= lastNewline; k = window.indexOf('\n', k + 1)) line++;
      column = hold - lastNewline;
      blankBefore = window.slice(lastNewline + 1, hold).trim() === '';
    } else {
      column += hold - start;
      blankBefore &&= window.slice(start, hold).trim() === '';
    }
    this.at = { offset: this.at.offset + hold - start, line, column, blankBefore };
    this.tail = window.slice(hold);
    this.context = window.slice(Math.max(0, hold - CONTEXT), hold);
  }
}

/**
 * A statement whose text came in pieces (it began a window or more before its
 * end; its first token makes it non-empty): decoded only when `text` is read,
 * so a reader that needs its words only (loading a file) never decodes it, and
 * a driver sends the bytes as they are.
 */
function longStatement(pieces: NonNullable<SqlStatement['textPieces']>, at: Omit<SqlStatement, 'text'>): SqlStatement {
  let text: string | undefined;
  // Each piece ends at a token's start: none cuts a character in two.
  const statement = {
    ...at,
    get text(): string {
      return (text ??= pieces.bytes.map((b) => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('utf8')).join(''));
    },
  };
  return Object.defineProperty(statement, 'textPieces', { value: pieces, enumerable: false }) as SqlStatement;
}

/** `readText` for input held whole: a long statement's text is a slice of it, made when asked for. */
export function sliceOf(input: string): (offset: number, length: number) => Iterable<string> {
  return (offset, length) => [input.slice(offset, offset + length)];
}

/**
 * A statement read again from its input (`readText`): its length, its text
 * in parts (as `textParts` gives them), and which of the patterns watched as
 * it passed (`watched`) its text holds (`found`).
 */
const rereads = new WeakMap<SqlStatement, { length: number; parts: () => Iterable<string>; watched: readonly RegExp[]; found: ReadonlySet<RegExp> }>();

/** A statement longer than a window whose text is read from the input again when first asked for (`readText`). */
function rereadStatement(
  readText: (offset: number, length: number) => Iterable<string>,
  length: number,
  at: Omit<SqlStatement, 'text'>,
  watched: readonly RegExp[],
  found: ReadonlySet<RegExp>,
): SqlStatement {
  let text: string | undefined;
  const statement = {
    ...at,
    get text(): string {
      return (text ??= [...readText(at.offset, length)].join(''));
    },
  };
  // Once read whole, not read again.
  rereads.set(statement, { length, parts: () => (text !== undefined ? [text] : readText(at.offset, length)), watched, found });
  return statement;
}

/** The longest match a watched pattern may have (`SplitOptions.watch`), as `textIncludes`'s reach. */
const WATCH_REACH = 64;

/**
 * `text` without the whitespace at its end, as PostgreSQL's scanner counts
 * it (space, tab, newline, CR, form feed, vertical tab): JavaScript's
 * trimEnd also takes a no-break space, which PostgreSQL reads as part of an
 * identifier (`AS a\u00a0`), and which the lexer reads so.
 */
function trimSqlEnd(text: string): string {
  let end = text.length;
  for (let c = text.charCodeAt(end - 1); end > 0 && (c === 32 || (c >= 9 && c <= 13)); c = text.charCodeAt(--end - 1));
  return end === text.length ? text : text.slice(0, end);
}

/** The end of `text`'s whole characters: before a high surrogate at its end, whose pair is in the text that follows. */
function wholeCharacters(text: string): number {
  const last = text.charCodeAt(text.length - 1);
  return last >= 0xd800 && last <= 0xdbff ? text.length - 1 : text.length;
}

/** The statement's length in characters, without decoding a long one's text. */
export function statementLength(s: SqlStatement): number {
  return s.textPieces?.length ?? rereads.get(s)?.length ?? s.text.length;
}

/**
 * A symbol whose meaning depends on what follows it (`\name`, `:name`,
 * `${name}`, `$tag$`, `{{ .Name }}`), too near the window's end to tell; a
 * `$` whose tag runs on to the window's end, however long. (A number is held
 * the same way when the window ends within 2 characters of it: `1e` may go
 * on as `1e5`.)
 */
function needsLookahead(window: string, at: number): boolean {
  const c = window.charCodeAt(at);
  if (c === DOLLAR && tagRunsToEnd(window, at + 1)) return true;
  if (window.length - at >= LOOKAHEAD) return false;
  return c === BACKSLASH || c === COLON || c === DOLLAR || c === BRACE;
}

/** Whether the characters from `from` on are all a dollar tag's (letters, digits, _, non-ASCII) to the end of `text`. */
function tagRunsToEnd(text: string, from: number): boolean {
  for (let k = from; k < text.length; k++) {
    const c = text.charCodeAt(k);
    if (!((c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c === 95 || c >= 0x80)) return false;
  }
  return true;
}

const BACKSLASH = 92;
const OPEN = 40;
const CLOSE = 41;
const SEMICOLON = 59;
const OPEN_BRACKET = 91;
const CLOSE_BRACKET = 93;
const COLON = 58;
const DOLLAR = 36;
const BRACE = 123;

/**
 * Groups tokens into statements: `;` ends one unless inside parentheses or a
 * BEGIN ATOMIC body. It reads window after window; a statement that goes on
 * past a window keeps the text it has so far as pieces.
 */
class StatementCollector {
  /** Where the statement not yet ended begins (offset in the whole input), once it has. */
  private start?: { offset: number; line: number; column: number };
  /**
   * The text of the statement not yet ended, from windows read before, as
   * UTF-8 (outside the JavaScript heap: a statement of many megabytes is
   * neither copied from generation to generation nor kept once read), its
   * length in characters, and the whitespace after it (kept apart: the text
   * ends at its last non-space character).
   */
  private pieces: Uint8Array[] = [];
  private length = 0;
  /** The statement went on past a window: its text is in `pieces`, or — once longer than `rereadAbove` — read again through `readText`. */
  private cut = false;
  private reread = false;
  private space = '';
  private words: string[] = [];
  private wordLines: number[] = [];
  private parenDepth = 0;
  /** `[` not yet closed in the statement (a colon inside is an array slice's, not a psql variable's). */
  private bracketDepth = 0;
  private beginDepth = 0;
  private input = '';
  /** Offset of the window in the whole input, and where its new text starts (before it: context already read). */
  private base = 0;
  private from = 0;

  /** The watched patterns found in the statement's text so far, and its last characters (a match may go on into the next part). */
  private found = new Set<RegExp>();
  private watchTail = '';

  constructor(
    private readonly readText?: (offset: number, length: number) => Iterable<string>,
    private readonly rereadAbove = 0,
    private readonly watch: readonly RegExp[] = [],
  ) {}

  /** Whether a `[` of the statement so far is still open (tokens only: one in a string or a comment does not count). */
  get inBrackets(): boolean {
    return this.bracketDepth > 0;
  }

  /** The next window: `base` is its offset in the whole input, `from` where its unread text starts. */
  read(input: string, base: number, from: number): void {
    this.input = input;
    this.base = base;
    this.from = from;
  }

  /** The statement the token ends, if it ends one. */
  add(token: SqlCursor): SqlStatement | undefined {
    this.start ??= { offset: this.base + token.offset, line: token.line, column: token.column };
    if (token.kind === 'word') {
      this.addWord(token);
      return undefined;
    }
    if (token.kind !== 'symbol') return undefined;
    const c = this.input.charCodeAt(token.offset);
    if (c === OPEN_BRACKET) this.bracketDepth++;
    else if (c === CLOSE_BRACKET && this.bracketDepth > 0) this.bracketDepth--;
    else if (c === OPEN) this.parenDepth++;
    else if (c === CLOSE && this.parenDepth > 0) this.parenDepth--;
    else if (c === SEMICOLON && this.parenDepth === 0 && this.beginDepth === 0) return this.finish(token.offset, true);
    return undefined;
  }

  /** The window is read up to `end`: the unfinished statement keeps its text so far. */
  carry(end: number): undefined {
    const from = this.start ? Math.max(this.from, this.start.offset - this.base) : end;
    if (end > from) this.keepText(this.input.slice(from, end));
    return undefined;
  }

  private keepText(text: string): void {
    const all = this.space + text;
    const kept = trimSqlEnd(all);
    this.space = all.slice(kept.length);
    if (kept.length === 0) return;
    this.length += kept.length;
    this.cut = true;
    if (this.watch.length > 0) this.lookFor(kept);
    // Long enough to be read again: its pieces so far are let go.
    if (this.readText && this.length > this.rereadAbove) {
      this.reread = true;
      this.pieces = [];
    }
    if (!this.reread) this.pieces.push(Buffer.from(kept, 'utf8'));
  }

  /** Which watched patterns the statement's next part of text holds. */
  private lookFor(kept: string): void {
    const text = this.watchTail + kept;
    for (const pattern of this.watch) if (!this.found.has(pattern) && pattern.test(text)) this.found.add(pattern);
    this.watchTail = text.slice(-WATCH_REACH);
  }

  /** Ends the statement at `end` (the offset of its `;`, or of the input's end) and returns it, if it has text. */
  finish(end: number, terminated: boolean): SqlStatement | undefined {
    const start = this.start;
    let statement: SqlStatement | undefined;
    if (start) {
      const rest = this.input.slice(Math.max(this.from, start.offset - this.base), end);
      const at = { line: start.line, column: start.column, offset: start.offset, words: this.words, wordLines: this.wordLines, terminated };
      if (this.cut) {
        if (trimSqlEnd(rest).length > 0) this.keepText(rest);
        statement = this.reread
          ? rereadStatement(present(this.readText), this.length, at, this.watch, this.found)
          : longStatement({ bytes: this.pieces, length: this.length }, at);
      } else {
        const text = trimSqlEnd(this.space + rest);
        if (text.length > 0) statement = { text, ...at };
      }
    }
    this.start = undefined;
    this.pieces = [];
    this.length = 0;
    this.cut = false;
    this.reread = false;
    this.found = new Set();
    this.watchTail = '';
    this.space = '';
    this.words = [];
    this.wordLines = [];
    this.parenDepth = 0;
    this.bracketDepth = 0;
    this.beginDepth = 0;
    return statement;
  }

  private addWord(token: SqlCursor): void {
    const word = token.text.toLowerCase();
    this.words.push(word);
    this.wordLines.push(token.line);
    // The body of CREATE FUNCTION … BEGIN ATOMIC … END holds semicolons; CASE … END nests inside it.
    if (this.parenDepth > 0 || !this.isCreateRoutine()) return;
    if (word === 'begin') this.beginDepth++;
    else if (word === 'case' && this.beginDepth >= 1) this.beginDepth++;
    else if (word === 'end' && this.beginDepth > 0) this.beginDepth--;
  }

  private isCreateRoutine(): boolean {
    const w = this.words;
    if (w[0] !== 'create') return false;
    if (w[1] === 'function' || w[1] === 'procedure') return true;
    return w[1] === 'or' && w[2] === 'replace' && (w[3] === 'function' || w[3] === 'procedure');
  }
}

/** What an open token is called, and how to close it (dollar quotes name their tag). */
const UNTERMINATED: Partial<Record<Token['kind'], { what: string; fix: string }>> = {
  string: { what: 'unterminated quoted string', fix: "close the string with ' (write '' for a quote inside it)" },
  'quoted-identifier': { what: 'unterminated quoted identifier', fix: 'close the identifier with " (write "" for a quote inside it)' },
  'block-comment': { what: 'unterminated /* comment', fix: 'close the comment with */' },
};

function unterminated(token: Token, file: string | undefined): InputError {
  const tag = token.kind === 'dollar-string' ? dollarTag(token) : undefined;
  const { what, fix } = tag ? { what: `unterminated dollar-quoted string ${tag}`, fix: `close the body with ${tag}` } : present(UNTERMINATED[token.kind]);
  return new InputError(`${file ?? 'SQL'}:${token.line}: ${what}`, { file, line: token.line, fix });
}

/** Whether a statement's words are a `COPY … FROM stdin`, whose data lines follow it in a psql script. */
export function isCopyFromStdin(words: readonly string[]): boolean {
  return words[0] === 'copy' && words.some((x, k) => x === 'from' && words[k + 1] === 'stdin');
}

/**
 * Where the data lines of a COPY … FROM stdin, from the line that starts at
 * `from`, end: after the line \. that ends them, as psql reads them; the
 * end of the input when it has none. Undefined when the window ends first
 * and more input follows.
 */
function copyDataEnd(window: string, from: number, final: boolean): number | undefined {
  for (let k = from; k < window.length; ) {
    const newline = window.indexOf('\n', k);
    if (newline < 0) break;
    if (window.charCodeAt(k) === BACKSLASH && window.slice(k, newline).trimEnd() === '\\.') return newline + 1;
    k = newline + 1;
  }
  return final ? window.length : undefined;
}

/** psql meta-commands (\i, \set …) are not SQL: the server would reject them, so refuse them with the line. */
function metaCommand(input: string, token: Token, file: string | undefined): InputError {
  const command = input.slice(token.offset, token.offset + 12).split(/\s/)[0];
  return new InputError(`${file ?? 'SQL'}:${token.line}: psql meta-command "${command}" is not SQL`, {
    file,
    line: token.line,
    value: command,
    fix: /^\\(un)?restrict$/.test(command ?? '')
      ? 'delete the \\restrict and \\unrestrict lines: recent pg_dump releases (15.18 among them) write them around a plain dump for psql, which then refuses any other meta-command in between; the SQL between them is what schemaguard runs'
      : 'remove psql meta-commands (\\i, \\set, \\connect …); schemaguard sends SQL to the server as written',
  });
}

/**
 * psql's variable interpolation, `:'name'` (as a literal), `:"name"` (as
 * an identifier) or `:name` (as written): a colon right before a quote or a
 * name, after neither an operand nor `[` (an array slice: `a[1:n]`,
 * `a[lo:hi]`) nor `:` (a cast: `x::text`).
 */
function isPsqlVariable(input: string, at: number, inBrackets: boolean): boolean {
  if (input.charCodeAt(at) !== COLON) return false;
  const next = input[at + 1] ?? '';
  if (next !== "'" && next !== '"' && !/[A-Za-z_]/.test(next)) return false;
  // Inside brackets it is an array slice whatever comes before it (`vals[index:index]`: a column may be called index).
  if (inBrackets) return false;
  // After an operand or a `[` it is an array slice (`v[1:"hi"]`, `v[:"hi"]`), after a `:` a cast.
  let k = at - 1;
  // Bounded (within the context a window keeps): the answer must not depend on where the text was cut.
  const floor = Math.max(0, at - 4000);
  while (k >= floor && /\s/.test(input[k])) k--;
  if (k < floor) return true;
  if (/\w/.test(input[k])) {
    // A keyword before it (FROM :"t", LIMIT :'n') is no operand.
    let start = k;
    while (start > floor && /[\w$]/.test(input[start - 1])) start--;
    return KEYWORDS_BEFORE_VALUE.has(input.slice(start, k + 1).toLowerCase());
  }
  return !/[$)\]"'[:]/.test(input[k]);
}

/** Words after which a value or a name comes, not a slice's lower bound. */
const KEYWORDS_BEFORE_VALUE = new Set([
  'select',
  'from',
  'where',
  'and',
  'or',
  'not',
  'values',
  'set',
  'into',
  'table',
  'join',
  'on',
  'by',
  'as',
  'in',
  'is',
  'then',
  'else',
  'when',
  'returning',
  'limit',
  'offset',
  'like',
  'ilike',
  'update',
  'insert',
  'delete',
  'to',
  'owner',
  'schema',
  'exists',
  'default',
  'using',
  'with',
  // Where psql scripts put a name (ALTER ROLE :role, GRANT … TO :role, CREATE INDEX … ON :tbl …): reserved words, or words no slice bound is called.
  'role',
  'user',
  'database',
  'index',
  'view',
  'sequence',
  'column',
  'references',
  'trigger',
  'function',
  'procedure',
  'extension',
  'domain',
  'authorization',
  // Where they put a value: CREATE ROLE … PASSWORD :'pw', VALID UNTIL :'d', SET TABLESPACE :ts, FETCH FIRST :n ROWS, BETWEEN :lo AND :hi.
  'password',
  'until',
  'tablespace',
  'first',
  'next',
  'between',
  'having',
]);

/** The psql variable at `at` as written (`:name`, `:'name'`, `:"name"`). */
function psqlVariableText(input: string, at: number): string {
  return /^:(?:'[^']*'|"[^"]*"|[A-Za-z_][A-Za-z0-9_]*)/.exec(input.slice(at, at + 80))?.[0] ?? input.slice(at, at + 12);
}

function psqlVariable(variable: string, token: Token, file: string | undefined): InputError {
  return new InputError(`${file ?? 'SQL'}:${token.line}: psql variable ${variable} is not SQL`, {
    file,
    line: token.line,
    value: variable,
    fix: "write the value itself: psql replaces its variables (:name, :'name', :\"name\") before sending, schemaguard sends SQL to the server as written; for a value that differs per environment, set it in the database (ALTER DATABASE … SET app.name = …) and read it with current_setting('app.name')",
  });
}

/** Flyway's placeholder, `${name}` or `${flyway:defaultSchema}`, where SQL has no `${`. */
const FLYWAY_PLACEHOLDER = /^\$\{[A-Za-z_][\w.:-]*\}/;

function flywayPlaceholder(placeholder: string, token: Token, file: string | undefined): InputError {
  return new InputError(`${file ?? 'SQL'}:${token.line}: Flyway placeholder ${placeholder} is not SQL`, {
    file,
    line: token.line,
    value: placeholder,
    fix: "write the value itself: Flyway replaces its placeholders before sending, schemaguard sends SQL to the server as written (inside strings and function bodies too, where they are not refused); for ${flyway:defaultSchema} write the schema's name; for a value that differs per environment, set it in the database (ALTER DATABASE … SET app.name = …) and read it with current_setting('app.name')",
  });
}

/** 1-based line within the input of a 1-based character `position` inside `statement` (a long one is read a piece at a time). */
export function lineOfPosition(statement: SqlStatement, position: number | undefined): number {
  if (!position || position < 1) return statement.line;
  let left = position - 1;
  let newlines = 0;
  for (const part of textParts(statement)) {
    const n = Math.min(left, part.length);
    for (let k = 0; k < n; k++) if (part.charCodeAt(k) === 10) newlines++;
    left -= n;
    if (left === 0) break;
  }
  return statement.line + newlines;
}

/**
 * A statement's text in order: whole, or for a long statement (`textPieces`)
 * a piece at a time, each decoded when reached, so a reader that stops early
 * or looks at each piece alone never holds the whole text.
 */
export function* textParts(statement: TextOf): Generator<string, void, undefined> {
  const pieces = statement.textPieces;
  const again = rereads.get(statement as SqlStatement);
  if (pieces) for (const b of pieces.bytes) yield Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('utf8');
  else if (again) yield* again.parts();
  else if (statement.text !== undefined) yield statement.text;
}

/** What `textParts` reads: a statement, or words with the text they came from (none: nothing to read). */
type TextOf = Pick<SqlStatement, 'textPieces'> & { readonly text?: string };

/**
 * Whether `pattern` (no flag g or y; a match at most `reach` characters
 * long) matches somewhere in a statement's text, read a part at a time.
 */
export function textIncludes(statement: TextOf, pattern: RegExp, reach = WATCH_REACH): boolean {
  // A statement read again from its input that was watched for the pattern as it passed: nothing to read.
  const again = rereads.get(statement as SqlStatement);
  if (again?.watched.includes(pattern)) return again.found.has(pattern);
  let before = '';
  for (const part of textParts(statement)) {
    const text = before + part;
    if (pattern.test(text)) return true;
    before = text.slice(-reach);
  }
  return false;
}

/** The first `chars` characters of a statement's text, or a few more (a long one's pieces are taken whole). */
export function textHead(statement: SqlStatement, chars: number): string {
  if (!statement.textPieces) return statement.text.slice(0, chars);
  const parts: string[] = [];
  let length = 0;
  for (const part of textParts(statement)) {
    parts.push(part);
    length += part.length;
    if (length >= chars) break;
  }
  return parts.join('');
}

/**
 * Go's template actions, `{{ .Name }}`, `{{ if … }}`, `{{- end }}` (a file
 * written for a tool that runs text/template over it before sending): SQL
 * has no `{{` outside a string. One line at most.
 */
const GO_TEMPLATE = /^\{\{[^\n]*?\}\}|^\{\{[^\n]{0,40}/;

function goTemplate(action: string, token: Token, file: string | undefined): InputError {
  return new InputError(`${file ?? 'SQL'}:${token.line}: Go template action ${action} is not SQL`, {
    file,
    line: token.line,
    value: action,
    fix: "write the SQL the template gives: a tool that renders Go templates ({{ .Name }}, {{ if … }}) does so before sending, schemaguard sends the file to the server as written (inside strings and function bodies too, where it is not refused). Render it once and commit the result as the migration; for a value that differs per environment, set it in the database (ALTER DATABASE … SET app.name = …) and read it with current_setting('app.name')",
  });
}
