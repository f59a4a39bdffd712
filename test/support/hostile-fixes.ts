/**
 * Checks that a printed fix keeps hostile names in their place: built for
 * the objects of `hostileName`, whose names each carry `DROP TABLE victim`
 * after a line break, a comment end, a quote or an index definition's words.
 *
 * - No line of the fix, as an editor or a terminal breaks it (\n, \r, \v,
 *   \f, U+0085, U+2028, U+2029), starts with the payload: nothing was put
 *   on a line of its own.
 * - PostgreSQL's parser (libpg-query) reads no statement on `victim`.
 * - Which statements it reads, in order, is what the same fix of plainly
 *   named objects reads (`statementKinds`).
 * - psql, run on the fix as an operator would run it, leaves `victim` in place.
 */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { randomBytes } from 'node:crypto';
import { parseStatements } from './sql-parse';

const PAYLOADS = [
  '\nDROP TABLE victim; --',
  '\rDROP TABLE victim; --',
  '\u2028DROP TABLE victim; --',
  ' */ DROP TABLE victim; /*',
  '"; DROP TABLE victim; --',
  "'); DROP TABLE victim; --",
  ' USING btree (id); DROP TABLE victim; --',
  '\\\r\nDROP TABLE victim; --',
];

/** `base` with one of the payloads (by `k`), or `base` alone for the plain run. */
export type Namer = (base: string, k: number) => string;
export const hostileName: Namer = (base, k) => `${base}${PAYLOADS[k % PAYLOADS.length]}`;
export const plainName: Namer = (base) => base;

const LINE_BREAKS = /\r\n|[\n\r\u000b\u000c\u0085\u2028\u2029]/;

/** The lines of `fix` that start with the payload (none, when names stayed in place). */
export function brokenOutLines(fix: string): string[] {
  return fix.split(LINE_BREAKS).filter((line) => /^\s*DROP TABLE victim\b/i.test(line));
}

/** The statement kinds PostgreSQL's parser reads in `fix`, or `['(prose)']` when it is not SQL alone. */
export function statementKinds(fix: string): string[] {
  try {
    return parseStatements(fix).map((s) => s.kind);
  } catch {
    return ['(prose)'];
  }
}

/** Statements of `fix` (as the parser reads them) that name `victim` themselves. */
export function victimStatements(fix: string): string[] {
  try {
    return parseStatements(fix)
      .filter((s) => /"(?:relname|sval)":"victim"/.test(JSON.stringify(s.node)))
      .map((s) => s.kind);
  } catch {
    return [];
  }
}

/** Runs `fix` with psql as an operator would (each statement on its own, going on after an error); psql's output. */
export function runWithPsql(url: string, fix: string): string {
  const file = join(tmpdir(), `fix-${randomBytes(4).toString('hex')}.sql`);
  writeFileSync(file, `${fix}\n`);
  try {
    return execFileSync('psql', ['-X', '-q', '-v', 'ON_ERROR_STOP=0', '-d', url, '-f', file], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (e) {
    return String((e as { stdout?: string }).stdout ?? e);
  }
}
