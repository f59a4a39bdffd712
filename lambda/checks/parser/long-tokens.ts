/**
 * A string constant, dollar-quoted body or comment of many kilobytes (a
 * generated function body, a seed's one large value) is copied by
 * PostgreSQL's parser into its tree, then into the tree's JSON, then into
 * JavaScript: parsing one 16 MiB body peaked at about 350 MB. No check reads
 * such a token's contents (the constants the checks read are names, settings
 * and their values), so in a text above THIN_ABOVE_CHARS each one longer
 * than LONG_TOKEN_CHARS is emptied before the text is parsed — a constant
 * to `'~1'` or `$tag$~1$tag$` (each its own), a comment to `--` or `/**\/` —
 * and the cuts map the parser's offsets back (values-rows.ts). One left
 * open is kept: the parser's error is the user's.
 */
import { dollarTag, SqlCursor } from '../../engine/sql/lexer';
import { cutOut, THIN_ABOVE_CHARS, type Cut } from './values-rows';

const AMPERSAND = 38;

/** Tokens longer than this are emptied. */
export const LONG_TOKEN_CHARS = 4096;

/** `text` with the contents of its long tokens cut out, and where (`cuts`); `text` itself when none. */
export function thinLongTokens(text: string): { text: string; cuts: Cut[] } {
  if (text.length < THIN_ABOVE_CHARS) return { text, cuts: [] };
  const ranges: { from: number; to: number; put?: string }[] = [];
  const cursor = new SqlCursor(text);
  while (cursor.next()) {
    if (cursor.unterminated || cursor.end - cursor.offset <= LONG_TOKEN_CHARS) continue;
    const inside = contents(text, cursor);
    if (!inside || inside.to <= inside.from) continue;
    // A constant becomes one of its own (`~1`, `~2`, …): two emptied constants must not read as equal (every-row.ts).
    ranges.push(cursor.kind === 'string' || cursor.kind === 'dollar-string' ? { ...inside, put: `~${ranges.length + 1}` } : inside);
  }
  return ranges.length ? cutOut(text, ranges) : { text, cuts: [] };
}

/**
 * Where a token's contents are: inside its quotes, its tags, or its comment
 * marks. Not a string whose escapes PostgreSQL reads (E'…' with a
 * backslash, any U&'…'): the parser refuses a bad escape, and lint must too.
 */
function contents(text: string, token: SqlCursor): { from: number; to: number } | undefined {
  switch (token.kind) {
    case 'string': {
      // E'…' is one token; U&'…' is a word and a symbol before it.
      const quote = text.indexOf("'", token.offset);
      const backslash = text.indexOf('\\', quote);
      const escaped = quote > token.offset ? backslash >= 0 && backslash < token.end : text.charCodeAt(token.offset - 1) === AMPERSAND;
      return escaped ? undefined : { from: quote + 1, to: token.end - 1 };
    }
    case 'dollar-string': {
      const tag = dollarTag(token.token()).length;
      return { from: token.offset + tag, to: token.end - tag };
    }
    case 'line-comment':
      return { from: token.offset + 2, to: token.end };
    case 'block-comment':
      return { from: token.offset + 2, to: token.end - 2 };
    default:
      return undefined;
  }
}

/** How many characters of an emptied token an error quotes. */
export const QUOTED_CHARS = 60;

/** What the parser quotes of an emptied constant: `'~1'`, `$b$~2$b$`. */
const EMPTIED = /^(?:'~\d+'|(\$[^$]*\$)~\d+\1)$/;

/**
 * The parser's `message` about the text with long tokens emptied, with the
 * token it quotes (`syntax error at or near "'~1'"`) put back as the user
 * wrote it in `sql`, from byte `at` (the token's start): its first
 * QUOTED_CHARS characters, and "…" when there is more.
 */
export function quotedAsWritten(message: string, sql: string, at: number): string {
  const near = / at or near "(.*)"$/s.exec(message);
  if (!near || !EMPTIED.test(near[1])) return message;
  const cursor = new SqlCursor(sql, { start: Buffer.from(sql).subarray(0, at).toString('utf8').length });
  if (!cursor.next()) return message;
  const token = [...sql.slice(cursor.offset, Math.min(cursor.end, cursor.offset + 2 * QUOTED_CHARS + 2))];
  const shown = token.length > QUOTED_CHARS ? `${token.slice(0, QUOTED_CHARS).join('')}…` : token.join('');
  return `${message.slice(0, near.index)} at or near "${shown}"`;
}
