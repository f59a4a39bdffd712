/**
 * Evaluates CloudWatch Logs filter patterns for unstructured (text) log events,
 * following the documented semantics:
 * https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/FilterAndPatternSyntax.html
 * ("Matching terms in log events" / "Matching terms in unstructured log events",
 * "OR pattern matching").
 *
 * - Terms are separated by whitespace; every term must appear (AND).
 * - Matching is case-sensitive and by substring: `ERROR` matches "ERRORCODE"
 *   (the documentation's own example).
 * - A term with characters other than alphanumerics or underscore must be a
 *   quoted phrase: `"]:ERROR:"`. A phrase matches its exact text.
 * - `-term` excludes events that contain the term (`- "term"` is accepted too,
 *   as in the documentation's example `"ERROR" - "Exiting"`).
 * - `?term ?term` matches events that contain any of the terms.
 * - The empty pattern `""` matches every event.
 *
 * What the documentation leaves undefined is refused rather than guessed:
 * mixing `?` terms with plain or excluded terms, regex (`%...%`), JSON (`{...}`)
 * and space-delimited (`[...]`) patterns, bare double quotes inside a term and
 * unterminated phrases.
 */

export interface ParsedPattern {
  /** Terms that must all appear. */
  readonly all: readonly string[];
  /** Terms of which one must appear (`?term`). */
  readonly any: readonly string[];
  /** Terms that must not appear (`-term`). */
  readonly none: readonly string[];
}

export class FilterPatternSyntaxError extends Error {
  override name = 'FilterPatternSyntaxError';
}

const BARE_TERM = /^[A-Za-z0-9_]+$/;

export function parseFilterPattern(pattern: string): ParsedPattern {
  const all: string[] = [];
  const any: string[] = [];
  const none: string[] = [];
  const trimmed = pattern.trim();
  if (/^[{[]/.test(trimmed)) throw new FilterPatternSyntaxError(`JSON and space-delimited patterns are not supported here: ${pattern}`);
  let i = 0;
  const n = pattern.length;
  const isSpace = (ch: string | undefined) => ch !== undefined && /\s/.test(ch);
  while (i < n) {
    while (i < n && isSpace(pattern[i])) i++;
    if (i >= n) break;
    let op: '' | '?' | '-' = '';
    if (pattern[i] === '?' || pattern[i] === '-') {
      op = pattern[i] as '?' | '-';
      i++;
      if (op === '-') while (i < n && isSpace(pattern[i])) i++;
      if (i >= n || isSpace(pattern[i])) throw new FilterPatternSyntaxError(`operator "${op}" at ${i} has no term`);
    }
    let term: string;
    if (pattern[i] === '"') {
      const end = pattern.indexOf('"', i + 1);
      if (end < 0) throw new FilterPatternSyntaxError(`unterminated phrase starting at ${i}: ${pattern.slice(i)}`);
      term = pattern.slice(i + 1, end);
      i = end + 1;
      if (i < n && !isSpace(pattern[i]))
        throw new FilterPatternSyntaxError(`double quote inside a phrase, or text right after a phrase, at ${i - 1}: ${pattern}`);
    } else {
      let j = i;
      while (j < n && !isSpace(pattern[j])) j++;
      term = pattern.slice(i, j);
      i = j;
      if (term.startsWith('%')) throw new FilterPatternSyntaxError(`regex patterns are not supported here: ${term}`);
      if (!BARE_TERM.test(term))
        throw new FilterPatternSyntaxError(`term ${JSON.stringify(term)} has characters other than alphanumerics or underscore; quote it`);
    }
    (op === '?' ? any : op === '-' ? none : all).push(term);
  }
  if (any.length > 0 && (all.length > 0 || none.length > 0)) {
    throw new FilterPatternSyntaxError(`mixing ?terms with plain or -terms is not documented: ${pattern}`);
  }
  return { all, any, none };
}

/** Whether one log event (its message) matches the pattern. */
export function matchesFilterPattern(pattern: string | ParsedPattern, message: string): boolean {
  const p = typeof pattern === 'string' ? parseFilterPattern(pattern) : pattern;
  if (p.any.length > 0) return p.any.some((t) => message.includes(t));
  return p.all.every((t) => message.includes(t)) && !p.none.some((t) => message.includes(t));
}
