/**
 * The section markers other tools write in one SQL file holding both
 * directions of a migration. schemaguard runs the whole file, so a down
 * section would run right after the up one: a statement after a down marker
 * is refused before anything runs. An up marker, or a down marker with
 * nothing after it (node-pg-migrate's template), is a plain comment.
 */
import { InputError } from '../errors/errors';
import type { LineComment } from '../sql/splitter';

export interface DownMarker {
  line: number;
  /** The comment as written. */
  text: string;
  /** The tool whose marker it is. */
  tool: string;
}

/**
 * The down markers (the comment's text after `--`, leading spaces trimmed):
 * the whole line, as each tool writes it (dbmate's and sql-migrate's with
 * their options), so that a comment that only begins with the words ("-- Down
 * migration of the old API is in 0012") is not one.
 */
const DOWN_MARKERS: readonly { tool: string; pattern: RegExp }[] = [
  { tool: 'node-pg-migrate', pattern: /^-*\s*down\s+migration\s*$/i },
  { tool: 'goose', pattern: /^\+goose\s+down\s*$/i },
  { tool: 'sql-migrate', pattern: /^\+migrate\s+down(\s+notransaction)?\s*$/i },
  { tool: 'dbmate', pattern: /^migrate:down(\s+[a-z_]+:\S+)*\s*$/i },
];

/** The down marker a comment on its own line is, or undefined. */
export function downMarker(c: LineComment): DownMarker | undefined {
  if (!c.ownLine) return undefined;
  const body = c.text.replace(/^--\s*/, '');
  const found = DOWN_MARKERS.find((m) => m.pattern.test(body));
  return found && { line: c.line, text: c.text.trim(), tool: found.tool };
}

/** The refusal of a file with statements (from `statementLine` on) below its down marker (exit 2). */
export function downSectionError(file: string, marker: DownMarker, statementLine: number): InputError {
  return new InputError(
    `${file}:${marker.line}: "${marker.text}" starts ${marker.tool}'s down section, and schemaguard runs the whole file: the statements below it (from line ${statementLine}) would run right after the up section and undo it in the same migration`,
    {
      file,
      line: marker.line,
      value: marker.text,
      fix: `keep only the up section: delete line ${marker.line} and everything below it (the up marker may stay, it is a comment). schemaguard has no down migrations: a rollback is a new forward file. If a database recorded this file already, its down section ran there too: check what it undid, put that in a new file, and accept the edited text with schemaguard repair VERSION --reason …`,
    },
  );
}
