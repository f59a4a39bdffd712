/**
 * Where each statement of an editor's text starts and ends, as psql splits
 * it (the engine's splitter): a diagnostic runs from the place lint names to
 * its statement's `;`, a hover finds the statement under the cursor, a code
 * action replaces it. Offsets count UTF-16 code units, as the editor's do.
 */
import { InputError } from '../../../lambda/engine/errors/errors';
import { scanSql, statementLength } from '../../../lambda/engine/sql/splitter';

export interface StatementSpan {
  /** The offset of its first token. */
  start: number;
  /** The offset just after it: after its `;`, or its last character when none ends it. */
  end: number;
}

/** The statements of `text`, in order; none when the splitter refuses the text (lint then says why). */
export function statementSpans(text: string): StatementSpan[] {
  try {
    return scanSql(text).statements.map((s) => {
      const last = s.offset + statementLength(s);
      // Its text ends at its last token: the `;` may come after blanks.
      const semicolon = s.terminated ? text.indexOf(';', last) : -1;
      return { start: s.offset, end: semicolon < 0 ? last : semicolon + 1 };
    });
  } catch (e) {
    if (e instanceof InputError) return [];
    throw e;
  }
}

/** The statement that holds `offset` (from its first token through its `;`), or undefined between statements. */
export function spanAt(spans: readonly StatementSpan[], offset: number): StatementSpan | undefined {
  let lo = 0;
  let hi = spans.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const s = spans[mid];
    if (offset < s.start) hi = mid - 1;
    else if (offset > s.end) lo = mid + 1;
    else return s;
  }
  return undefined;
}
