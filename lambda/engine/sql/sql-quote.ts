/**
 * The ways a name or a value reaches SQL text that schemaguard prints for an
 * operator to run (a fix): a quoted identifier, a quoted literal, or a `--`
 * comment. None of them ever holds a raw line break or another control
 * character, so a table named `"chi<newline>DROP TABLE victim; --"` stays one
 * token of the statement it is in, and a comment that names it stays one
 * comment (PostgreSQL's scanner ends a `--` comment at \n or \r only; the
 * other characters are escaped so that what a terminal shows is what runs).
 */
import { lexSql, type Token } from './lexer';

/**
 * Characters never written raw: C0 and C1 controls and DEL, the Unicode line
 * and paragraph separators, and the bidirectional controls (text that reads
 * differently from how it runs). A tab stays: it breaks no line.
 */
const UNSAFE = /[\u0000-\u0008\u000a-\u001f\u007f-\u009f\u200e\u200f\u2028-\u202e\u2066-\u2069\ufeff]/;
const UNSAFE_ALL = new RegExp(UNSAFE.source, 'g');
const ESCAPED_UNSAFE = new RegExp(`(\\\\*)(${UNSAFE.source})`, 'g');

const hex4 = (c: string) => c.charCodeAt(0).toString(16).toUpperCase().padStart(4, '0');

/** Whether `text` holds a character that quoting writes as an escape. */
export function hasUnsafeCharacter(text: string): boolean {
  return UNSAFE.test(text);
}

/**
 * An identifier for SQL text, always double-quoted: `"a""b"`; with a control
 * or separator character, in PostgreSQL's Unicode-escape form
 * `U&"chi\000ADROP"`, which every server reads whatever
 * standard_conforming_strings says (unlike U&''). Not for a name passed as a
 * value to regclass or to_regclass(), which read no U& form: that is
 * identifiers.ts's quoteIdent.
 */
export function sqlIdent(name: string): string {
  const body = name.replace(/"/g, '""');
  if (!UNSAFE.test(name)) return `"${body}"`;
  return `U&"${body.replace(/\\/g, '\\\\').replace(UNSAFE_ALL, (c) => `\\${hex4(c)}`)}"`;
}

const LITERAL_ESCAPES: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };

/**
 * A string literal the server reads back as `value` whatever
 * standard_conforming_strings says: `'it''s'`; with a backslash or a control
 * character, the E'' form (`E'a\\b\n'`), whose escapes every setting reads.
 */
export function quoteLiteral(value: string): string {
  const body = value.replace(/'/g, "''");
  if (!value.includes('\\') && !UNSAFE.test(value)) return `'${body}'`;
  return `E'${body.replace(/\\/g, '\\\\').replace(UNSAFE_ALL, (c) => LITERAL_ESCAPES[c] ?? `\\u${hex4(c)}`)}'`;
}

/**
 * Text for inside a comment: on one line, whatever it holds. A line break or
 * another control character is shown as its escape (`\n`, `\u2028`), as JSON
 * would. (A name in a comment is best written quoted, `sqlIdent`: that form
 * tells a real line break from a backslash and an n.)
 */
export function oneLine(text: string): string {
  return text.replace(UNSAFE_ALL, (c) => LITERAL_ESCAPES[c] ?? `\\u${hex4(c)}`);
}

/** A `--` comment of `text`, on one line: nothing in `text` can end it early. */
export function sqlComment(text: string): string {
  return `-- ${oneLine(text)}`;
}

/**
 * SQL text the server wrote (format_type(), pg_get_indexdef(), a snapshot's
 * definitions) with each quoted identifier and string that holds a line
 * break or a control character rewritten in its escape form, and each
 * comment on one line: the server's own quote_ident() writes them raw. What
 * the text means is unchanged; every line break left in it is one the
 * caller wrote between tokens.
 */
export function escapeQuoted(sql: string): string {
  if (!UNSAFE.test(sql)) return sql;
  let out = '';
  let at = 0;
  let previous: Token | undefined;
  for (const t of lexSql(sql)) {
    const rewritten = t.unterminated || previous?.text === '&' ? undefined : rewrite(t);
    if (rewritten !== undefined) {
      out += sql.slice(at, t.offset) + rewritten;
      at = t.end;
    }
    previous = t;
  }
  return out + sql.slice(at);
}

/** One token in its escape form, or undefined when it is kept as it is. */
function rewrite(t: Token): string | undefined {
  if (!UNSAFE.test(t.text)) return undefined;
  if (t.kind === 'quoted-identifier') return sqlIdent(t.text.slice(1, -1).replace(/""/g, '"'));
  if (t.kind === 'string' && t.text.startsWith("'")) return quoteLiteral(t.text.slice(1, -1).replace(/''/g, "'"));
  // E'…': a raw character and its escape mean the same there (after an odd run of backslashes, the last one escaped it).
  if (t.kind === 'string' && /^e'/i.test(t.text)) {
    return t.text.replace(ESCAPED_UNSAFE, (_, bs: string, c: string) => (bs.length % 2 ? bs.slice(1) : bs) + (LITERAL_ESCAPES[c] ?? `\\u${hex4(c)}`));
  }
  if (t.kind === 'block-comment') return `/* ${oneLine(t.text.slice(2, -2)).replace(/\/\*|\*\//g, '* /')} */`;
  return undefined;
}
