/**
 * A session with standard_conforming_strings off (a database or role setting)
 * reads a backslash in a '…' string as an escape, while schemaguard's lexer
 * reads it with the setting on, and the server parses a file's whole message
 * with the session's setting, before the file's own SET could change it. A
 * file with a backslash in such a string is refused before anything runs.
 */
import { InputError } from '../errors/errors';
import type { Migration } from '../files/migration';
import { lexSql, type Token } from '../sql/lexer';
import { sqlIdent } from '../sql/sql-quote';

/**
 * The first '…' string of `sql` that holds a backslash: the server reads it
 * otherwise with standard_conforming_strings off (an E'…' string reads the
 * same under both settings, and so does text without such a string).
 */
export function escapedString(sql: string): Token | undefined {
  for (const t of lexSql(sql)) {
    if (t.kind === 'string' && !/^[eE]/.test(t.text) && t.text.includes('\\')) return t;
  }
  return undefined;
}

/** The fix of a text refused for `escapedString`. */
export function conformingStringsFix(database: string): string {
  return `set it on, PostgreSQL's default since 9.1 (ALTER DATABASE ${sqlIdent(database)} SET standard_conforming_strings = on, or ALTER ROLE … SET), or write the string as E'…' with the escapes it means (E'C:\\\\dir' for C:\\dir)`;
}

/** Throws for the first pending file with a backslash in a '…' string. */
export function refuseEscapedStrings(pending: readonly Migration[], database: string): void {
  for (const m of pending) {
    const t = escapedString(m.text);
    if (t) {
      throw new InputError(
        `${m.file}:${t.line}: a string with a backslash, and this session's standard_conforming_strings is off: the server would read the backslash as an escape where schemaguard (and psql after a SET standard_conforming_strings = on) reads it as written`,
        {
          file: m.file,
          line: t.line,
          value: t.text.slice(0, 80),
          fix: conformingStringsFix(database),
        },
      );
    }
  }
}
