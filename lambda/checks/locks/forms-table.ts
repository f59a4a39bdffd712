/** The form table as its reference page (docs/reference/more/lock-forms.md) shows it: one row per form, from `LOCK_FORMS`; and the differences a trace sees that the model names. */
import { LOCK_FORMS, OTHER_ROLE_TEXT, type LockForm } from './forms';
import { modeEffect, strongest } from './modes';
import { present } from '../../engine/errors/present';

/** What waits while the form's locks are held: its table lock, or its indexes' when stronger; row locks stop UPDATE and DELETE of the rows. */
export function formEffect(f: LockForm): string {
  if (!f.lock) return '—';
  if (f.rowLocks) return 'reads and inserts go on; UPDATE / DELETE of the rows it locks wait';
  return modeEffect(present(strongest(f.lock, f.indexLock)));
}

function lockText(f: LockForm): string {
  if (!f.lock) return '—';
  const also = [f.indexLock && `${f.indexLock} on its indexes`, f.other && `${f.other} on ${OTHER_ROLE_TEXT[f.otherRole ?? 'referenced']}`].filter(Boolean);
  return `${f.lock}${also.length ? ` (and ${also.join(', ')})` : ''}`;
}

export function lockFormsTable(): string {
  const yes = (b: boolean) => (b ? 'yes' : 'no');
  return [
    '| statement | lock on its table | what waits | rewrites | scans |',
    '|---|---|---|---|---|',
    ...LOCK_FORMS.map((f) => `| ${f.statement.replace(/\|/g, '\\|')} | ${lockText(f)} | ${formEffect(f)} | ${yes(f.rewrites)} | ${yes(f.scans)} |`),
  ].join('\n');
}

/** The differences a trace sees that the model names (`LockForm.traced`): the form, what differs, on which majors, and why the row stands. */
export function tracedDifferencesTable(): string {
  const majors = (m: { from?: number; to?: number } | undefined) =>
    m === undefined ? 'every major' : `${m.from ?? 13} to ${m.to ?? 'the newest'}`.replace(/^(\d+) to \1$/, '$1');
  return [
    '| statement | what the trace sees otherwise | PostgreSQL | why the row stands |',
    '|---|---|---|---|',
    ...LOCK_FORMS.flatMap((f) =>
      (f.traced ?? []).map((t) => `| ${f.statement.replace(/\|/g, '\\|')} | ${t.aspect} | ${majors(t.majors)} | ${t.why.replace(/\|/g, '\\|')} |`),
    ),
  ].join('\n');
}
