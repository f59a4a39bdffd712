/**
 * A fix is SQL: the statements that replace the reported one, and the
 * migrations that must follow it, with prose as `--` comments. When it is
 * more than the statement's own replacement (a second file, a no-transaction
 * file), each file starts with a marker line:
 *
 *     -- file 1 of 2: in place of the statement
 *     ALTER TABLE purchases ADD CONSTRAINT purchases_lead_fk FOREIGN KEY (lead_id) REFERENCES leads (id) NOT VALID;
 *     -- file 2 of 2: a later migration
 *     ALTER TABLE purchases VALIDATE CONSTRAINT purchases_lead_fk;
 *
 * `fixFiles` reads such a text back into its files, so a test can lint every
 * fix a rule prints as the migrations it describes.
 */

/** Where a file of the fix goes. */
export type FixPlace = 'instead' | 'without' | 'own' | 'later';

export interface FixFile {
  place: FixPlace;
  /** Starts with the no-transaction directive: each statement commits on its own (CONCURRENTLY needs it). @default false */
  noTransaction?: boolean;
  /** Statements (each ending in `;`) and `--` comment lines. */
  lines: string[];
}

const PLACES: Record<FixPlace, string> = {
  instead: 'in place of the statement',
  without: 'this file, without the statement',
  own: 'a migration of its own, in place of the statement',
  later: 'a later migration',
};

const MARKER = /^-- file (\d+) of (\d+): /;

export function renderFix(files: FixFile[]): string {
  const only = files[0];
  if (files.length === 1 && only && only.place === 'instead' && !only.noTransaction) return only.lines.join('\n');
  return files
    .flatMap((f, k) => [`-- file ${k + 1} of ${files.length}: ${PLACES[f.place]}`, ...(f.noTransaction ? ['-- schemaguard:no-transaction'] : []), ...f.lines])
    .join('\n');
}

/** The migration files a fix text describes (one when it has no file markers). */
export function fixFiles(fix: string): string[] {
  return placedFixFiles(fix).map((f) => f.text);
}

/** The same, each with where it goes: `instead` for a fix without file markers (the statement's replacement). */
export function placedFixFiles(fix: string): { place: FixPlace; text: string }[] {
  const files: { place: FixPlace; lines: string[] }[] = [];
  for (const line of fix.split('\n')) {
    const marker = MARKER.exec(line);
    if (marker || files.length === 0) files.push({ place: marker ? placeOf(line.slice(marker[0].length)) : 'instead', lines: [] });
    if (!marker) files[files.length - 1].lines.push(line);
  }
  return files.map((f) => ({ place: f.place, text: f.lines.join('\n') }));
}

function placeOf(words: string): FixPlace {
  return (Object.keys(PLACES) as FixPlace[]).find((p) => PLACES[p] === words) ?? 'later';
}

/** One statement in place of the reported one. */
export function inPlace(...lines: string[]): FixFile {
  return { place: 'instead', lines };
}

export function later(...lines: string[]): FixFile {
  return { place: 'later', lines };
}

/** A no-transaction migration of its own (CONCURRENTLY cannot run in a transaction block). */
export function ownNoTransaction(...lines: string[]): FixFile {
  return { place: 'own', noTransaction: true, lines };
}
