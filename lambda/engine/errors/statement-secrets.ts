import { present } from './present';
/**
 * Passwords written in SQL: `CREATE/ALTER ROLE|USER … [ENCRYPTED] PASSWORD '…'`,
 * a user mapping's `OPTIONS (password '…')`, and a libpq connection string in
 * a literal (`dblink_connect('host=h password=…')`). A statement reaches
 * errors, `--json`, plan/lint output and logs, so its literal is masked
 * wherever text leaves the engine (redact.ts), and the words themselves are
 * learned too, since the server echoes an unquoted one (`syntax error at or
 * near "S3cret"`). Every literal after PASSWORD counts (`'S3cret' 'PW'`
 * continue across a newline), with comments or no space before it
 * (`PASSWORD'S3cret'`).
 *
 * Text that went through JSON.stringify is read as well: its whitespace may be
 * `\n`, `\t` or `\r` escapes.
 */

const GAP = String.raw`(?:\s|\\[nrt])+`;
/**
 * Whitespace and comments between PASSWORD and its literal, or between the
 * parts of a literal continued on the next line. A comment ends at its
 * first end (`*\/`, a newline) and is at most 500 characters, so the match
 * stays linear over a long text with many "password"s.
 */
const GAP_OR_COMMENT = String.raw`(?:\s|\\[nrt]|/\*(?:[^*]|\*(?!/)){0,500}\*/|--(?:[^\n\\]|\\(?!n)){0,500}(?:\n|\\n))+`;
/** An E'' literal: backslash escapes, '' doubled. */
const E_LITERAL = String.raw`[eE]'(?:[^'\\]|''|\\[\s\S])*(?:'|$)`;
/** A standard or U&'' literal: '' doubled, backslashes are characters. */
const LITERAL = String.raw`(?:[uU]&)?'(?:[^']|'')*(?:'|$)`;
/** $$…$$ or $tag$…$tag$; an unterminated one runs to the end of the text (a statement shortened for display). */
const DOLLAR = String.raw`\$(?<tag>[A-Za-z_][A-Za-z_0-9]*)?\$[\s\S]*?(?:\$\k<tag>\$|$)`;

/**
 * `PASSWORD` (or the option name `"password"`) and the literal after it:
 * `head` keeps the word and the gap. Without a gap (`PASSWORD'S3cret'`,
 * which the lexer reads as two tokens) it counts only where a statement has
 * it (`tightInStatement`), not in prose (`the password's`).
 */
const PASSWORD_LITERAL = new RegExp(
  String.raw`(?<head>(?:\b|(?<=\\[nrt]))password"?(?<gap>${GAP_OR_COMMENT})?)(?<literal>${E_LITERAL}|${LITERAL}|${DOLLAR})`,
  'gi',
);
/**
 * A literal right after another one (sticky, from where the last one
 * ended): PostgreSQL joins string literals separated by a newline into one
 * (`PASSWORD 'S3cret'\n'PW'`), and two on one line are a syntax error whose
 * message repeats the second (`syntax error at or near "'PW'"`). Both halves
 * are the password.
 */
const NEXT_LITERAL = new RegExp(String.raw`${GAP_OR_COMMENT}(${E_LITERAL}|${LITERAL}|${DOLLAR})`, 'y');
/** How far before a `password'…'` written without a gap its statement's start is looked for. */
const TIGHT_WINDOW = 1000;
/**
 * An option of a user mapping (`OPTIONS (user 'u', password'…')`, `ADD`/`SET`
 * in ALTER): the text before the word ends so, read over its last 200
 * characters (whitespace, not comments, between).
 */
const OPTION_POSITION = /(?:[(,]|\b(?:add|set))(?:\s|\\[nrt])*"?$/i;
/** CREATE/ALTER ROLE, USER (and USER MAPPING) or GROUP, comments and newlines between the words allowed. */
const ROLE_STATEMENT = new RegExp(String.raw`\b(?:create|alter)${GAP_OR_COMMENT}(?:role|user|group)\b`, 'i');
/** The same with an unquoted word, which only a statement has (the server refuses it and echoes the word). */
const PASSWORD_WORD = new RegExp(String.raw`(?:\b|(?<=\\[nrt]))password"?${GAP}(?!null\b)([A-Za-z0-9_][^\s;,)'"]*)`, 'gi');
/** A single-quoted literal that holds a libpq `password=` keyword. */
const CONNINFO_LITERAL = /'(?:[^']|'')*\bpassword\s*=(?:[^']|'')*'/gi;
/** The keyword's value inside such a literal: bare, or in (doubled) single quotes. */
const CONNINFO_VALUE = /(\bpassword\s*=\s*)(''(?:[^']|'''')*''|[^\s']+)/gi;

const MASK = '****';

/** The literal's quoting with `****` for its contents: `'****'`, `E'****'`, `$q$****$q$`. */
function maskLiteral(literal: string): string {
  if (literal.startsWith('$')) {
    const tag = present(/^\$[A-Za-z_0-9]*\$/.exec(literal))[0];
    return `${tag}${MASK}${tag}`;
  }
  const open = literal.indexOf("'");
  return `${literal.slice(0, open + 1)}${MASK}'`;
}

/** What a literal holds, without its quoting (doubled quotes and escapes left as written). */
function literalContents(literal: string): string {
  if (literal.startsWith('$')) {
    const tag = present(/^\$[A-Za-z_0-9]*\$/.exec(literal))[0];
    const body = literal.slice(tag.length);
    return body.endsWith(tag) ? body.slice(0, -tag.length) : body;
  }
  const body = literal.slice(literal.indexOf("'") + 1);
  return body.endsWith("'") ? body.slice(0, -1) : body;
}

interface Span {
  start: number;
  end: number;
}

/**
 * Where the password literals of `text` are: each literal after PASSWORD
 * (comments and whitespace between, or none in a statement), and each
 * literal that continues it.
 */
function passwordLiterals(text: string): Span[] {
  const spans: Span[] = [];
  const roles = ROLE_STATEMENT.test(text);
  PASSWORD_LITERAL.lastIndex = 0;
  for (let m = PASSWORD_LITERAL.exec(text); m; m = PASSWORD_LITERAL.exec(text)) {
    const start = m.index + present(m.groups).head.length;
    if (present(m.groups).gap === undefined && !tightInStatement(text, m.index, roles)) {
      // Prose (`the password's …`): read on after the word, not after the quote it took for a literal.
      PASSWORD_LITERAL.lastIndex = m.index + 'password'.length;
      continue;
    }
    // Inside a literal taken already as the continuation of one before.
    if (spans.length && start < spans[spans.length - 1].end) continue;
    spans.push({ start, end: m.index + m[0].length });
    for (let next = nextLiteral(text, m.index + m[0].length); next; next = nextLiteral(text, next.end)) spans.push(next);
  }
  return spans;
}

/**
 * `password'…'` at `word` is a statement's: an option of a user mapping
 * (after `(`, `,`, `ADD` or `SET`), or in a CREATE/ALTER ROLE, USER or GROUP
 * statement that starts at most TIGHT_WINDOW characters before it (`roles`:
 * the text has one at all; bounded, no rescan of a long text from every word).
 */
function tightInStatement(text: string, word: number, roles: boolean): boolean {
  if (OPTION_POSITION.test(text.slice(Math.max(0, word - 200), word))) return true;
  if (!roles) return false;
  const before = text.slice(Math.max(0, word - TIGHT_WINDOW), word);
  return ROLE_STATEMENT.test(before.slice(before.lastIndexOf(';') + 1));
}

function nextLiteral(text: string, from: number): Span | undefined {
  NEXT_LITERAL.lastIndex = from;
  const m = NEXT_LITERAL.exec(text);
  return m ? { start: m.index + m[0].length - m[1].length, end: m.index + m[0].length } : undefined;
}

/** Mask every password literal and connection-string password in `text` (any case, whitespace, comments or newlines between). */
export function maskStatementSecrets(text: string): string {
  if (!/password/i.test(text)) return text;
  let out = '';
  let at = 0;
  for (const { start, end } of passwordLiterals(text)) {
    out += `${text.slice(at, start)}${maskLiteral(text.slice(start, end))}`;
    at = end;
  }
  out += text.slice(at);
  return out.replace(CONNINFO_LITERAL, (lit) => lit.replace(CONNINFO_VALUE, (m, head: string, value: string) => (value === MASK ? m : `${head}${MASK}`)));
}

/**
 * The passwords a statement holds, as written: a literal's contents, a
 * connection string's value, and with `words` an unquoted word after
 * PASSWORD (only in a statement: prose has "a password and none…"). Registered with
 * a Redactor, they are masked where the server repeats them.
 */
export function statementSecrets(sql: string, options: { words?: boolean } = {}): string[] {
  if (!/password/i.test(sql)) return [];
  const found: string[] = [];
  for (const { start, end } of passwordLiterals(sql)) found.push(literalContents(sql.slice(start, end)));
  if (options.words && ROLE_STATEMENT.test(sql)) {
    for (const m of sql.matchAll(PASSWORD_WORD)) found.push(m[1]);
  }
  for (const lit of sql.matchAll(CONNINFO_LITERAL)) {
    for (const v of lit[0].matchAll(CONNINFO_VALUE)) found.push(v[2].replace(/^''|''$/g, ''));
  }
  return found.filter((s) => s !== MASK);
}
