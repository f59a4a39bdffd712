/**
 * Splits SQL text into statements the way psql does: semicolons end a
 * statement only outside strings ('…', E'…', $tag$…$tag$), quoted identifiers,
 * comments (-- and nested /* *\/), parentheses, and the BEGIN … END body of a
 * SQL-standard `CREATE FUNCTION/PROCEDURE … BEGIN ATOMIC`.
 *
 * Pure function over a string; it also reports, for each statement, the words
 * that appear outside strings and comments, so callers can look for keywords
 * such as CONCURRENTLY without being fooled by a comment or a literal.
 */
import { InputError } from './errors';

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
}

export interface SplitOptions {
  /** Name used in error messages. */
  file?: string;
  /** Line number of the input's first line (for text cut from a larger file). */
  firstLine?: number;
}

const IDENT_START = /[A-Za-z_\u0080-\uffff]/;
const IDENT_CHAR = /[A-Za-z0-9_$\u0080-\uffff]/;

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

/** Statements and the top-level line comments (never those inside strings or bodies). */
export function scanSql(input: string, options: SplitOptions = {}): ScanResult {
  const firstLine = options.firstLine ?? 1;
  const out: SqlStatement[] = [];
  const comments: LineComment[] = [];
  let i = 0;
  let line = firstLine;
  let lineStart = 0;

  // Current statement state.
  let stmtStart = -1;
  let stmtLine = 0;
  let stmtColumn = 0;
  let words: string[] = [];
  let wordLines: number[] = [];
  let parenDepth = 0;
  let beginDepth = 0;

  const fail = (what: string, atLine: number, fix: string): never => {
    throw new InputError(`${options.file ?? 'SQL'}:${atLine}: ${what}`, { file: options.file, line: atLine, fix });
  };

  const markStart = (): void => {
    if (stmtStart < 0) {
      stmtStart = i;
      stmtLine = line;
      stmtColumn = i - lineStart + 1;
    }
  };

  const isCreateRoutine = (): boolean => {
    const w = words;
    if (w[0] !== 'create') return false;
    if (w[1] === 'function' || w[1] === 'procedure') return true;
    return w[1] === 'or' && w[2] === 'replace' && (w[3] === 'function' || w[3] === 'procedure');
  };

  const finish = (end: number, terminated: boolean): void => {
    if (stmtStart >= 0) {
      const text = input.slice(stmtStart, end).replace(/\s+$/, '');
      if (text.length > 0) {
        out.push({ text, line: stmtLine, column: stmtColumn, offset: stmtStart, words, wordLines, terminated });
      }
    }
    stmtStart = -1;
    words = [];
    wordLines = [];
    parenDepth = 0;
    beginDepth = 0;
  };

  const advanceTo = (end: number): void => {
    for (let k = i; k < end; k++) {
      if (input.charCodeAt(k) === 10) {
        line++;
        lineStart = k + 1;
      }
    }
    i = end;
  };

  const n = input.length;
  while (i < n) {
    const c = input[i]!;
    const next = input[i + 1];

    if (c === '\n') {
      line++;
      i++;
      lineStart = i;
      continue;
    }
    if (c === ' ' || c === '\t' || c === '\r' || c === '\f' || c === '\v') {
      i++;
      continue;
    }
    // Line comment.
    if (c === '-' && next === '-') {
      const end = input.indexOf('\n', i);
      const stop = end < 0 ? n : end;
      comments.push({ line, text: input.slice(i, stop), ownLine: input.slice(lineStart, i).trim() === '' });
      i = stop;
      continue;
    }
    // Block comment, nested as PostgreSQL nests them.
    if (c === '/' && next === '*') {
      const startLine = line;
      let depth = 0;
      let k = i;
      for (; k < n; k++) {
        if (input[k] === '/' && input[k + 1] === '*') { depth++; k++; }
        else if (input[k] === '*' && input[k + 1] === '/') { depth--; k++; if (depth === 0) { k++; break; } }
      }
      if (depth !== 0) fail('unterminated /* comment', startLine, 'close the comment with */');
      advanceTo(k);
      continue;
    }

    markStart();

    // psql meta-commands are not SQL.
    if (c === '\\') {
      fail(`psql meta-command "${input.slice(i, i + 12).split(/\s/)[0]}" is not SQL`, line,
        'remove psql meta-commands (\\i, \\set, \\connect …); schemaguard sends SQL to the server as written');
    }

    // String literals: '…', E'…', also B'…', X'…', N'…', U&'…'.
    if (c === "'" || ((c === 'E' || c === 'e') && next === "'" && !IDENT_CHAR.test(input[i - 1] ?? ' '))) {
      const escapes = c !== "'";
      const startLine = line;
      let k = escapes ? i + 2 : i + 1;
      for (;;) {
        if (k >= n) fail('unterminated quoted string', startLine, "close the string with ' (write '' for a quote inside it)");
        const ch = input[k];
        if (escapes && ch === '\\') { k += 2; continue; }
        if (ch === "'") {
          if (input[k + 1] === "'") { k += 2; continue; }
          k++;
          break;
        }
        k++;
      }
      advanceTo(k);
      continue;
    }
    // Quoted identifier.
    if (c === '"') {
      const startLine = line;
      let k = i + 1;
      for (;;) {
        if (k >= n) fail('unterminated quoted identifier', startLine, 'close the identifier with " (write "" for a quote inside it)');
        if (input[k] === '"') {
          if (input[k + 1] === '"') { k += 2; continue; }
          k++;
          break;
        }
        k++;
      }
      advanceTo(k);
      continue;
    }
    // Dollar quote ($$ or $tag$); $1 is a parameter, and a $ inside an identifier is not a quote.
    if (c === '$' && !IDENT_CHAR.test(input[i - 1] ?? ' ')) {
      const m = /^\$([A-Za-z_\u0080-\uffff][A-Za-z0-9_\u0080-\uffff]*)?\$/.exec(input.slice(i, i + 64));
      if (m) {
        const tag = m[0];
        const startLine = line;
        const end = input.indexOf(tag, i + tag.length);
        if (end < 0) fail(`unterminated dollar-quoted string ${tag}`, startLine, `close the body with ${tag}`);
        advanceTo(end + tag.length);
        continue;
      }
    }
    if (c === '(') { parenDepth++; i++; continue; }
    if (c === ')') { if (parenDepth > 0) parenDepth--; i++; continue; }
    if (c === ';') {
      if (parenDepth === 0 && beginDepth === 0) {
        finish(i, true);
        i++;
        continue;
      }
      i++;
      continue;
    }
    if (IDENT_START.test(c)) {
      let k = i + 1;
      while (k < n && IDENT_CHAR.test(input[k]!)) k++;
      const word = input.slice(i, k).toLowerCase();
      words.push(word);
      wordLines.push(line);
      if (parenDepth === 0 && isCreateRoutine()) {
        if (word === 'begin') beginDepth++;
        else if (word === 'case' && beginDepth >= 1) beginDepth++;
        else if (word === 'end' && beginDepth > 0) beginDepth--;
      }
      i = k;
      continue;
    }
    i++;
  }
  finish(n, false);
  return { statements: out, comments };
}

/** 1-based line within the input of a 1-based character `position` inside `statement`. */
export function lineOfPosition(statement: SqlStatement, position: number | undefined): number {
  if (!position || position < 1) return statement.line;
  const before = statement.text.slice(0, position - 1);
  let newlines = 0;
  for (let k = 0; k < before.length; k++) if (before.charCodeAt(k) === 10) newlines++;
  return statement.line + newlines;
}

/** The first `count` words of a statement joined, for classifying it ("create index"). */
export function leadingWords(statement: SqlStatement, count: number): string {
  return statement.words.slice(0, count).join(' ');
}
