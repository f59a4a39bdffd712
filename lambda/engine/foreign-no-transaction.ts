/**
 * Other tools' markers for a migration that runs outside a transaction.
 * schemaguard reads them as the plain comments they are (a file runs in a
 * transaction unless it starts with `-- schemaguard:no-transaction`), so a
 * file carrying one fails on its CONCURRENTLY; the refusal's fix names the
 * marker and the directive to write instead.
 */
import type { LineComment } from './sql/splitter';

export interface ForeignNoTransactionMarker {
  line: number;
  /** The comment as written. */
  text: string;
  /** The tool whose marker it is. */
  tool: string;
}

/** The markers (the comment's text after `--`, leading spaces trimmed), as each tool writes them. */
const MARKERS: readonly { tool: string; pattern: RegExp }[] = [
  { tool: 'morph (mattermost)', pattern: /^morph:nontransactional\b/i },
  { tool: 'dbmate', pattern: /^migrate:up\b.*\btransaction:false\b/i },
  { tool: 'goose', pattern: /^\+goose\s+no\s+transaction\b/i },
];

/** The no-transaction marker of another tool a comment on its own line is, or undefined. */
export function foreignNoTransactionMarker(c: LineComment): ForeignNoTransactionMarker | undefined {
  if (!c.ownLine) return undefined;
  const body = c.text.replace(/^--\s*/, '');
  const found = MARKERS.find((m) => m.pattern.test(body));
  return found && { line: c.line, text: c.text.trim(), tool: found.tool };
}

/** The sentence a refusal's fix ends with when the file carries such a marker. */
export function foreignMarkerAdvice(m: ForeignNoTransactionMarker): string {
  return `this file carries ${m.tool}'s no-transaction marker "${m.text}" (line ${m.line}), which schemaguard reads as a plain comment: write -- schemaguard:no-transaction on the file's first line instead`;
}
