/** `plan`'s statement table: the lock, the table and its size, rewrite and scan, per pending statement. */
import { formatFinding } from '../../../lambda/checks/finding';
import { formatBytes, type LockPlan, type StatementLockReport } from '../../../lambda/checks/locks/plan-locks';
import { tableLines, writeLines } from '../format';

function lockCell(s: StatementLockReport): string {
  if (!s.lock) return '-';
  const held = s.held ? ` (under ${s.held.lock}${s.held.indexLock ? ` + ${s.held.indexLock} on indexes` : ''} from line ${s.held.line})` : '';
  const indexes = s.indexLock ? ` + ${s.indexLock} on indexes` : '';
  const rows = s.rowLocks ? ' + row locks' : '';
  return `${s.lock}${s.assumed ? '?' : ''}${indexes}${rows}${held}`;
}

function sizeCells(s: StatementLockReport, sized: boolean): [string, string] {
  if (!s.table || !sized) return ['', ''];
  if (s.newTable) return ['new', ''];
  return [s.rows === null ? (s.bytes === null ? 'not found' : 'not analyzed') : s.rows.toLocaleString('en-US'), s.bytes === null ? '' : formatBytes(s.bytes)];
}

const yesNo = (b: boolean) => (b ? 'yes' : 'no');

/** Prints the table through `out` a block of rows at a time, as the reader takes them: its rows are made when printed, never all held. */
export async function printLockTable(out: (text: string) => void, drained: () => Promise<void>, locks: LockPlan): Promise<void> {
  out(`statements (a lock is held until COMMIT in a transactional file${locks.sized ? '' : '; no database, so no table sizes'}):`);
  const rows = function* (): Generator<string[]> {
    for (const s of locks.statements) {
      const [rowsCell, bytesCell] = sizeCells(s, locks.sized);
      yield [`${s.file}:${s.line}`, lockCell(s), s.table ?? (s.domain ? `tables of ${s.domain}` : ''), rowsCell, bytesCell, s.lock ? yesNo(s.rewrites) : '', s.lock ? yesNo(s.scans) : '', s.statement.slice(0, 60)];
    }
  };
  await writeLines(out, tableLines(['where', 'lock', 'table', 'rows', 'size', 'rewrites', 'scans', 'statement'], rows), drained);
  const lines: string[] = [];
  for (const s of locks.statements) {
    if (s.other) lines.push(`${s.file}:${s.line}: also ${s.other.lock} on ${s.other.table} (${s.other.role})`);
    for (const k of s.referenced ?? []) lines.push(`${s.file}:${s.line}: also ACCESS EXCLUSIVE on ${k.table} (the referenced table of ${k.constraint}, which this ${k.action === 'drops' ? 'drops' : 'drops and adds again'})`);
    const d = s.defaultPartition;
    if (d) lines.push(`${s.file}:${s.line}: also ACCESS EXCLUSIVE on ${d.table} (the DEFAULT partition${d.rows === null ? '' : `, ~${d.rows.toLocaleString('en-US')} rows`})${d.reads ? `, which it reads for rows of the new bound${d.checked ? ' unless a CHECK of it excludes the bound' : ''}` : ''}`);
  }
  if (locks.statements.some((s) => s.assumed)) lines.push('?: a form plan does not know; ACCESS EXCLUSIVE assumed');
  for (const f of locks.findings) lines.push(formatFinding(f));
  await writeLines(out, lines, drained);
}
