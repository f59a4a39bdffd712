/**
 * A string constant, dollar-quoted body or comment of many kilobytes (a
 * generated function body, a seed's one large value) is copied by
 * PostgreSQL's parser into its tree, then into the tree's JSON, then into
 * JavaScript: parsing one 16 MiB body peaked at about 350 MB. No check reads
 * such a token's contents (the constants the checks read are names, settings
 * and their values), so in a text above THIN_ABOVE_CHARS each one longer
 * than LONG_TOKEN_CHARS is emptied before the text is parsed — `''`,
 * `$tag$$tag$`, `--`, `/**\/` — and the cuts map the parser's offsets back
 * (values-rows.ts). One left open is kept: the parser's error is the user's.
 */
import { dollarTag, SqlCursor } from '../engine/sql/lexer';
import { cutOut, THIN_ABOVE_CHARS, type Cut } from './values-rows';

/** Tokens longer than this are emptied. */
export const LONG_TOKEN_CHARS = 4096;

/** `text` with the contents of its long tokens cut out, and where (`cuts`); `text` itself when none. */
export function thinLongTokens(text: string): { text: string; cuts: Cut[] } {
  if (text.length < THIN_ABOVE_CHARS) return { text, cuts: [] };
  const ranges: { from: number; to: number }[] = [];
  const cursor = new SqlCursor(text);
  while (cursor.next()) {
    if (cursor.unterminated || cursor.end - cursor.offset <= LONG_TOKEN_CHARS) continue;
    const inside = contents(text, cursor);
    if (inside && inside.to > inside.from) ranges.push(inside);
  }
  return ranges.length ? cutOut(text, ranges) : { text, cuts: [] };
}

/** Where a token's contents are: inside its quotes, its tags, or its comment marks. */
function contents(text: string, token: SqlCursor): { from: number; to: number } | undefined {
  switch (token.kind) {
    // E'…', U&'…' and the other prefixes come before the quote.
    case 'string': return { from: text.indexOf("'", token.offset) + 1, to: token.end - 1 };
    case 'dollar-string': {
      const tag = dollarTag(token.token()).length;
      return { from: token.offset + tag, to: token.end - tag };
    }
    case 'line-comment': return { from: token.offset + 2, to: token.end };
    case 'block-comment': return { from: token.offset + 2, to: token.end - 2 };
    default: return undefined;
  }
}
