/** A captured statement as a contract file: its name (table + kind) and its text. */
import type { Contract } from '../contracts';
import type { StatRow } from './read-statements';

/**
 * File names from table and kind, `lead_purchases_insert.sql`, then
 * `lead_purchases_insert_2.sql`: never one a contract already has, by file
 * or by `-- contract:` name.
 */
export function fileNamer(existing: readonly Contract[]): (stem: string) => string {
  const taken = new Set(existing.flatMap((c) => [c.file.toLowerCase(), `${c.name.toLowerCase()}.sql`]));
  return (stem) => {
    let file = `${stem}.sql`;
    for (let k = 2; taken.has(file); k++) file = `${stem}_${k}.sql`;
    taken.add(file);
    return file;
  };
}

export function contractText(row: StatRow, statement: string): string {
  const body = statement.replace(/;\s*$/, '');
  // A trailing line comment would swallow the semicolon.
  const end = /--[^\n]*$/.test(body) ? '\n;' : ';';
  return [
    `-- Captured from pg_stat_statements by schemaguard capture (queryid ${row.queryid}, ${row.calls} calls).`,
    "-- The application's constants are $n parameters here; check binds NULL to each.",
    `${body}${end}`,
    '',
  ].join('\n');
}
