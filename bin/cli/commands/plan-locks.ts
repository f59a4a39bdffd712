/** `plan`'s statement table: the lock, the table and its size, rewrite and scan, per pending statement. */
import { formatFinding } from '../../../lambda/checks/finding';
import { OTHER_ROLE_TEXT } from '../../../lambda/checks/locks/forms';
import { ALIKE_KINDS, ALIKE_RUN, formatBytes, type LockPlan, type StatementLockReport } from '../../../lambda/checks/locks/plan-locks';
import { omittedLine } from '../../../lambda/checks/lint/kept';
import { tableLines, writeLines } from '../format';
import { keptLines } from '../output/kept-lines';

function lockCell(s: StatementLockReport): string {
  if (s.notRead) return '?';
  if (!s.lock) return '-';
  const held = s.held ? ` (under ${s.held.lock}${s.held.indexLock ? ` + ${s.held.indexLock} on indexes` : ''} from line ${s.held.line})` : '';
  const indexes = s.indexLock ? ` + ${s.indexLock} on indexes` : '';
  const rows = s.rowLocks ? ' + row locks' : '';
  if (s.batched) return `${s.lock}${rows}, per batch (backfill: a key range each, its own transaction)`;
  return `${s.lock}${s.assumed ? '?' : ''}${indexes}${rows}${held}`;
}

function sizeCells(s: StatementLockReport, sized: boolean): [string, string] {
  if (!s.table || !sized) return ['', ''];
  if (s.newTable) return ['new', ''];
  return [s.rows === null ? (s.bytes === null ? 'not found' : 'not analyzed') : s.rows.toLocaleString('en-US'), s.bytes === null ? '' : formatBytes(s.bytes)];
}

const yesNo = (b: boolean) => (b ? 'yes' : 'no');

/** Under the table when a row stands for a run of statements. */
export const ALIKE_NOTE = `N-M: one row for the statements of one form, lock and table in a stretch of more than ${ALIKE_RUN.toLocaleString('en-US')} consecutive statements, none rewriting or scanning a table (lines N to M; the statement shown is the first)`;

/** Under the table when such rows take turns. */
export const INTERLEAVED_NOTE = `interleaved: up to ${ALIKE_KINDS} such forms that block no writes, taking turns in the stretch: other rows' statements lie between lines N and M`;

/** `file:line`, or `file:first-last` for a run of statements alike. */
function whereCell(s: StatementLockReport): string {
  return s.alike ? `${s.file}:${s.line}-${s.lastLine}` : `${s.file}:${s.line}`;
}

function statementCell(s: StatementLockReport): string {
  const text = s.statement.slice(0, 60);
  return s.alike ? `${text} (and ${(s.alike - 1).toLocaleString('en-US')} more alike${s.interleaved ? ', interleaved' : ''})` : text;
}

/** Rewrites or scans: yes/no under a lock, `?` for code plan does not read (a DO block may UPDATE or ALTER any table), blank without a lock. */
function didCell(s: StatementLockReport, did: boolean): string {
  if (s.notRead || s.oldTypeUnknown) return '?';
  return s.lock ? yesNo(did) : '';
}

/** Prints the table through `out` a block of rows at a time, as the reader takes them: its rows are made when printed, never all held. */
export async function printLockTable(out: (text: string) => void, drained: () => Promise<void>, locks: LockPlan): Promise<void> {
  out(`statements (a lock is held until COMMIT in a transactional file${locks.sized ? '' : '; no database, so no table sizes'}):`);
  const rows = function* (): Generator<string[]> {
    for (const s of locks.statements) {
      const [rowsCell, bytesCell] = sizeCells(s, locks.sized);
      yield [
        whereCell(s),
        lockCell(s),
        s.table ?? (s.domain ? `tables of ${s.domain}` : ''),
        rowsCell,
        bytesCell,
        didCell(s, s.rewrites),
        didCell(s, s.scans),
        statementCell(s),
      ];
    }
  };
  await writeLines(out, tableLines(['where', 'lock', 'table', 'rows', 'size', 'rewrites', 'scans', 'statement'], rows), drained);
  const lines: string[] = [];
  for (const s of locks.statements) lines.push(...statementNotes(s));
  if (locks.statements.some((s) => s.assumed)) lines.push('?: a form plan does not know; ACCESS EXCLUSIVE assumed');
  if (locks.statements.some((s) => s.oldTypeUnknown))
    lines.push('? rewrites, scans: a type change of a column whose current type neither the database nor the migrations say: it may rewrite the table');
  if (locks.statements.some((s) => s.notRead))
    lines.push('? alone: DO block or CALL, not read: it takes whatever locks, rewrites and scans its code does (read the code)');
  if (locks.statements.some((s) => s.alike)) lines.push(ALIKE_NOTE);
  if (locks.statements.some((s) => s.interleaved)) lines.push(INTERLEAVED_NOTE);
  lines.push(...keptLines(locks.findings, locks.omitted, formatFinding, omittedLine));
  await writeLines(out, lines, drained);
}

/** Why a foreign key's other table is locked. */
function keyNote(k: NonNullable<StatementLockReport['referenced']>[number]): string {
  if (k.action === 'copies')
    return k.referencing
      ? `which references the parent through ${k.constraint}: the partition joins it`
      : `the referenced table of ${k.constraint}, which the partition gets a copy of`;
  if (k.action === 'detaches') {
    return k.referencing
      ? `which references the parent through ${k.constraint}: read for rows that reference the partition`
      : `the referenced table of ${k.constraint}, which the partition keeps as a key of its own, checked against its rows`;
  }
  const does = k.action === 'drops' ? 'drops' : 'drops and adds again';
  return `${k.referencing ? `which references it through ${k.constraint}` : `the referenced table of ${k.constraint}`}, which this ${does}`;
}

/** What the older servers of a form take instead (plan --offline, no version known). */
function olderServersNote(s: StatementLockReport, older: NonNullable<StatementLockReport['olderServers']>): string {
  const at = `${s.file}:${s.line}:`;
  const newer = `PostgreSQL ${older.major + 1} and later (seen on each)`;
  const otherTable = s.other ? `${s.other.table} (${OTHER_ROLE_TEXT[s.other.role]})` : 'the other table';
  if (older.lock === s.lock && older.other)
    return `${at} ${s.other?.lock ?? ''} on ${otherTable} on ${newer}; PostgreSQL ${older.major} and older take ${older.other} on it (with --database-url, plan shows the server's)`;
  return `${at} ${s.lock} on ${newer}; PostgreSQL ${older.major} and older take ${older.lock ?? 'no lock on the table'} (with --database-url, plan shows the server's)`;
}

/** The lines under the table for one statement: its other tables' locks, and what may spare its read. */
function statementNotes(s: StatementLockReport): string[] {
  const at = `${s.file}:${s.line}:`;
  const notes: string[] = [];
  if (s.olderServers) notes.push(olderServersNote(s, s.olderServers));
  if (s.other) notes.push(`${at} also ${s.other.lock} on ${s.other.table} (${OTHER_ROLE_TEXT[s.other.role]})`);
  for (const k of s.referenced ?? []) notes.push(`${at} also ${k.lock} on ${k.table} (${keyNote(k)})`);
  if (s.boundMayBeImplied)
    notes.push(`${at} ${s.table} has a validated CHECK: if it implies the bound, ATTACH PARTITION reads nothing (not proved here, so no warning)`);
  const d = s.defaultPartition;
  if (d) {
    const rows = d.rows === null ? '' : `, ~${d.rows.toLocaleString('en-US')} rows`;
    const reads = d.reads ? `, which it reads for rows of the new bound${d.checked ? ' unless a CHECK of it excludes the bound' : ''}` : '';
    notes.push(`${at} also ACCESS EXCLUSIVE on ${d.table} (the DEFAULT partition${rows})${reads}`);
  }
  return notes;
}
