/** `plan`'s statement table: the lock, the table and its size, rewrite and scan, per pending statement. */
import { formatFinding } from '../../../lambda/checks/findings/finding';
import { OTHER_ROLE_TEXT } from '../../../lambda/checks/locks/forms';
import { ALIKE_KINDS, ALIKE_RUN, formatBytes, type LockPlan, type StatementLockReport } from '../../../lambda/checks/locks/plan-locks';
import { omittedLine } from '../../../lambda/checks/lint/kept';
import { tableLines, writeLines } from '../format';
import { keptLines } from '../output/kept-lines';
import type { RowTrace } from '../../../lambda/checks/trace';
import type { TraceReport } from './plan-trace';
import { plural } from '../../../lambda/engine/errors/words';

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

/** The columns of plan's statement table. */
export const PLAN_COLUMNS = ['where', 'lock', 'table', 'rows', 'size', 'rewrites', 'scans', 'statement'] as const;

/** A statement's row of the table, a cell per column (`sized`: the sizes come from a database). */
export function planRow(s: StatementLockReport, sized: boolean): string[] {
  const [rowsCell, bytesCell] = sizeCells(s, sized);
  return [
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

/** What the server did (`plan --trace`), beside each predicted cell: `!` where it differs. */
function seenCells(t: RowTrace | undefined): [string, string, string] {
  if (!t) return ['', '', ''];
  const o = t.observed;
  if (o.error) return ['failed', '', ''];
  if (o.skipped) return ['not run', '', ''];
  const differs = (aspect: string) => (t.differences?.some((d) => d.startsWith(aspect)) ? ' !' : '');
  const held =
    t.predicted.lock !== null && !differs('lock') && o.lock !== t.predicted.lock && o.held?.includes(t.predicted.lock)
      ? `${t.predicted.lock} (held)`
      : undefined;
  const lock = held ?? (o.lock ? `${o.lock}${o.on ? ` on ${o.on}` : ''}` : o.absent ? 'not there' : '-');
  const did = (b: boolean | null) => (b === null ? '?' : yesNo(b));
  return [`${lock}${differs('lock')}`, `${did(o.rewrites)}${differs('rewrites')}`, `${did(o.scans)}${differs('scans')}`];
}

/** Prints the table through `out` a block of rows at a time, as the reader takes them: its rows are made when printed, never all held. */
export async function printLockTable(out: (text: string) => void, drained: () => Promise<void>, locks: LockPlan, trace?: TraceReport): Promise<void> {
  out(`statements (a lock is held until COMMIT in a transactional file${locks.sized ? '' : '; no database, so no table sizes'}):`);
  const rows = function* (): Generator<string[]> {
    for (const [k, s] of locks.statements.entries()) {
      const row = planRow(s, locks.sized);
      if (!trace) {
        yield row;
        continue;
      }
      // The trace's cells beside the predicted ones: seen lock after lock, seen after rewrites and after scans.
      const [where, lock, table, rowsCell, bytesCell, rewrites, scans, statement] = row as [string, string, string, string, string, string, string, string];
      const [seenLock, seenRewrites, seenScans] = seenCells(trace.rows[k]);
      yield [where, lock, seenLock, table, rowsCell, bytesCell, rewrites, seenRewrites, scans, seenScans, statement];
    }
  };
  const header = trace ? ['where', 'lock', 'seen lock', 'table', 'rows', 'size', 'rewrites', 'seen', 'scans', 'seen', 'statement'] : [...PLAN_COLUMNS];
  await writeLines(out, tableLines(header, rows), drained);
  const lines: string[] = trace ? traceLines(trace) : [];
  for (const s of locks.statements) lines.push(...statementNotes(s));
  lines.push(...markNotes(locks.statements));
  lines.push(...keptLines(locks.findings, locks.omitted, formatFinding, omittedLine));
  await writeLines(out, lines, drained);
}

/** What the table's `?` and `N-M` marks mean, for those its rows carry. */
export function markNotes(statements: readonly StatementLockReport[]): string[] {
  const lines: string[] = [];
  if (statements.some((s) => s.assumed)) lines.push('?: a form plan does not know; ACCESS EXCLUSIVE assumed');
  if (statements.some((s) => s.oldTypeUnknown))
    lines.push('? rewrites, scans: a type change of a column whose current type neither the database nor the migrations say: it may rewrite the table');
  if (statements.some((s) => s.notRead))
    lines.push('? alone: DO block or CALL, not read: it takes whatever locks, rewrites and scans its code does (read the code)');
  if (statements.some((s) => s.alike)) lines.push(ALIKE_NOTE);
  if (statements.some((s) => s.interleaved)) lines.push(INTERLEAVED_NOTE);
  return lines;
}

/** Under the table of a traced plan: where it ran, what the copy lacks, how many rows differ. */
export function traceLines(t: TraceReport): string[] {
  const traced = t.rows.filter((r) => r !== undefined);
  const differ = traced.filter((r) => r.mismatch).length;
  const failed = traced.filter((r) => r.observed.error).length;
  const lines = [
    `seen: what PostgreSQL ${t.major} took running each statement on a copy of the schema without rows, on ${t.where} (${plural(t.copied.made, 'statement')} made the copy): ${plural(differ, 'row')} ${differ === 1 ? 'differs' : 'differ'} from plan (!)${failed ? `, ${plural(failed, 'statement')} failed` : ''}; (held): a mode the file's transaction held already, which a statement does not take again; ?: not known outside a transaction`,
  ];
  if (t.targetMajor !== undefined)
    lines.push(`note: the target runs PostgreSQL ${t.targetMajor} and the copy ${t.major}: each row is compared with what plan says of PostgreSQL ${t.major}`);
  for (const n of t.copied.notCopied) lines.push(`note: the copy lacks ${n.object}: ${n.error}`);
  return lines;
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
export function statementNotes(s: StatementLockReport): string[] {
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
