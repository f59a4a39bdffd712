/**
 * Other tools' markers for a migration that runs outside a transaction.
 * schemaguard reads them as the plain comments they are (a file runs in a
 * transaction unless it starts with `-- schemaguard:no-transaction`), so a
 * file carrying one fails on its CONCURRENTLY; the refusal's fix names the
 * marker and the directive to write instead. pop marks such a migration in
 * its file name (`….autocommit.sql`), which the fix names too.
 */
import type { LineComment } from '../sql/splitter';

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
  { tool: 'postgres-migrations', pattern: /^postgres-migrations\s+disable-transaction\b/i },
  { tool: 'sql-migrate', pattern: /^\+migrate\s+up\b.*\bnotransaction\b/i },
  { tool: 'graphile-migrate', pattern: /^!\s*no-transaction\b/i },
  { tool: 'Atlas', pattern: /^atlas:txmode\s+none\b/i },
  { tool: 'sqlx', pattern: /^no-transaction\s*$/i },
];

/** pop's marker is in the file name: a migration whose name has `.autocommit.` runs outside a transaction. */
const FILE_NAME_MARKER = /\.autocommit\./i;

/** The no-transaction marker of another tool a comment on its own line is, or undefined. */
export function foreignNoTransactionMarker(c: LineComment): ForeignNoTransactionMarker | undefined {
  if (!c.ownLine) return undefined;
  const body = c.text.replace(/^--\s*/, '');
  const found = MARKERS.find((m) => m.pattern.test(body));
  return found && { line: c.line, text: c.text.trim(), tool: found.tool };
}

/** pop's no-transaction marker in a file's name, or undefined. */
export function foreignNoTransactionFileName(file: string): ForeignNoTransactionMarker | undefined {
  return FILE_NAME_MARKER.test(file) ? { line: 0, text: '.autocommit.', tool: 'pop' } : undefined;
}

/** The sentence a refusal's fix ends with when the file carries such a marker. */
export function foreignMarkerAdvice(m: ForeignNoTransactionMarker): string {
  if (m.line === 0) {
    return `this file's name carries ${m.tool}'s no-transaction marker "${m.text}", which schemaguard does not read: write -- schemaguard:no-transaction on the file's first line instead`;
  }
  return `this file carries ${m.tool}'s no-transaction marker "${m.text}" (line ${m.line}), which schemaguard reads as a plain comment: write -- schemaguard:no-transaction on the file's first line instead`;
}
