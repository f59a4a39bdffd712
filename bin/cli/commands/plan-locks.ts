/** `plan`'s statement table: the lock, the table and its size, rewrite and scan, per pending statement. */
import { formatFinding } from '../../../lambda/checks/finding';
import { formatBytes, type LockPlan, type StatementLockReport } from '../../../lambda/checks/locks/plan-locks';
import { table } from '../format';

function lockCell(s: StatementLockReport): string {
  if (!s.lock) return '-';
  const held = s.held ? ` (under ${s.held.lock} from line ${s.held.line})` : '';
  return `${s.lock}${s.assumed ? '?' : ''}${held}`;
}

function sizeCells(s: StatementLockReport, sized: boolean): [string, string] {
  if (!s.table || !sized) return ['', ''];
  if (s.newTable) return ['new', ''];
  return [s.rows === null ? (s.bytes === null ? 'not found' : 'not analyzed') : s.rows.toLocaleString('en-US'), s.bytes === null ? '' : formatBytes(s.bytes)];
}

const yesNo = (b: boolean) => (b ? 'yes' : 'no');

export function lockTable(locks: LockPlan): string {
  const rows = locks.statements.map((s) => {
    const [rowsCell, bytesCell] = sizeCells(s, locks.sized);
    return [`${s.file}:${s.line}`, lockCell(s), s.table ?? '', rowsCell, bytesCell, s.lock ? yesNo(s.rewrites) : '', s.lock ? yesNo(s.scans) : '', s.statement.slice(0, 60)];
  });
  const lines = [
    `statements (a lock is held until COMMIT in a transactional file${locks.sized ? '' : '; no database, so no table sizes'}):`,
    table(['where', 'lock', 'table', 'rows', 'size', 'rewrites', 'scans', 'statement'], rows),
  ];
  const others = locks.statements.filter((s) => s.other);
  for (const s of others) lines.push(`${s.file}:${s.line}: also ${s.other!.lock} on ${s.other!.table} (the referenced table)`);
  if (locks.statements.some((s) => s.assumed)) lines.push('?: a form plan does not know; ACCESS EXCLUSIVE assumed');
  for (const f of locks.findings) lines.push(formatFinding(f));
  return lines.join('\n');
}
