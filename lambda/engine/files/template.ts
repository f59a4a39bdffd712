/**
 * The text `schemaguard new` writes into a new migration file, and the test
 * for a file that is still exactly that text. In the engine because the
 * runner, plan, lint and synth refuse such a file: recorded as a no-op, the
 * SQL written into it later would never run.
 */
import { checksum } from './checksum';
import { InputError } from '../errors/errors';
import type { Migration } from './migration';

/** The text of a new migration: a header about locks, the directives commented out, a check stub. */
export function migrationTemplate(file: string): string {
  return `-- ${file}
--
-- Runs in one transaction together with its state row and its checks, so
-- every lock a statement takes is held until COMMIT. Before you deploy,
-- \`schemaguard plan\` shows the lock each statement takes (ACCESS EXCLUSIVE
-- blocks reads and writes, SHARE blocks writes), the table's size, and
-- whether it rewrites or scans the table under that lock.
--
-- Directives go above the first statement; to use one, remove its leading "-- ".
--   Run each statement on its own, for CREATE INDEX CONCURRENTLY (keep it alone in its file):
-- -- schemaguard:no-transaction
--   Stop waiting for a lock after this long (lock timeouts are retried with backoff):
-- -- schemaguard:lock-timeout=5s
--   Stop a statement that runs longer than this:
-- -- schemaguard:statement-timeout=10m



-- A check runs before COMMIT; its query returns the rows that violate it (none = it holds):
-- -- schemaguard:check <what must hold>
-- -- SELECT … ;
`;
}

/**
 * Whether the file is still the template `new` wrote for its name, unedited
 * (line endings aside). Compared by checksum, so a file read in pieces or
 * parsed later is not read again.
 */
export function isUnwrittenTemplate(m: Pick<Migration, 'file' | 'checksum'> & { statementCount?: number }): boolean {
  // A file with a statement is none (no template to hash: a run's pending files are parsed by then).
  if (m.statementCount !== undefined && m.statementCount > 0) return false;
  return m.checksum === checksum(migrationTemplate(m.file));
}

/** The error for such a file (exit 2): its name and the two ways out. `dir`: the migrations directory as its user names it. */
export function unwrittenTemplateError(file: string, dir?: string): InputError {
  const path = dir ? `${dir.replace(/\/+$/, '')}/${file}` : file;
  return new InputError(
    `${file} is still the template schemaguard new wrote, with no statement of yours: recorded as applied now, it would run nothing, and the SQL written into it later would never run`,
    {
      file,
      value: file,
      fix: `write its SQL (below the directives), or delete ${path} if you no longer need it; if a database recorded it already (as a no-op, before schemaguard refused it), keep it unwritten and add the line -- schemaguard:valid-checksum ${checksum(migrationTemplate(file))} below its first line: it is then no longer the template, and that database's record still matches`,
    },
  );
}

/** Refuses the first of `migrations` that is an unwritten template (the pending files of a run or a plan). */
export function refuseUnwrittenTemplates(migrations: readonly (Pick<Migration, 'file' | 'checksum'> & { statementCount?: number })[], dir?: string): void {
  const m = migrations.find(isUnwrittenTemplate);
  if (m) throw unwrittenTemplateError(m.file, dir);
}
