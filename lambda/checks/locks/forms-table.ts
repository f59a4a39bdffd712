/** The form table as README shows it: one row per form, from `LOCK_FORMS` (a test keeps README equal to this). */
import { LOCK_FORMS } from './forms';
import { modeEffect } from './modes';

export function lockFormsTable(): string {
  const yes = (b: boolean) => (b ? 'yes' : 'no');
  return [
    '| statement | lock on its table | what waits | rewrites | scans |',
    '|---|---|---|---|---|',
    ...LOCK_FORMS.map((f) => `| ${f.statement.replace(/\|/g, '\\|')} | ${f.lock ? `${f.lock}${f.other ? ` (and ${f.other} on the referenced table)` : ''}` : '—'} | ${f.lock ? modeEffect(f.lock) : '—'} | ${yes(f.rewrites)} | ${yes(f.scans)} |`),
  ].join('\n');
}
