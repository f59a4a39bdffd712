/**
 * Migration files: `<version>_<name>.sql`, applied in numeric order of version.
 *
 * A file is a header of directives, a body of statements and, optionally,
 * post-condition checks:
 *
 *     -- schemaguard:no-transaction          (run statement by statement, no BEGIN)
 *     -- schemaguard:lock-timeout=2s         (SET LOCAL lock_timeout for this file)
 *     -- schemaguard:statement-timeout=10m   (SET LOCAL statement_timeout for this file)
 *     -- schemaguard:valid-checksum <sha-256> (an earlier text of this file that counts as applied)
 *     ALTER TABLE … ;
 *
 *     -- schemaguard:check every lead purchase has an id
 *     SELECT id FROM lead_purchases WHERE id IS NULL;
 *
 * Each check is one query; the rows it returns are the violations, so zero
 * rows means the check holds. Checks run after the body, in the migration's
 * transaction, before COMMIT.
 *
 * A file with no statement — 0 bytes, blank, or only comments and directives
 * (a placeholder for another database) — is a migration that changes
 * nothing: applied as a no-op and recorded, as psql runs an empty file. A
 * file with checks and no statement is an assertion: its checks run, and it
 * is recorded when they hold.
 *
 * Everything here is a pure function of the files: bad input is an InputError
 * (exit 2) raised before anything touches a database.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { checksum, normaliseLineEndings } from './checksum';
import { DURATION_FORMAT_HINT, parseDuration } from './duration';
import { InputError, MigrationError } from './errors';
import { classifyStatement, refusesTransactionBlock } from './sql/classify';
import { allowArgument, checksumArgument, readDirectives, type Directive } from './sql/directives';
import { scanSql, splitSql, type ScanResult, type SqlStatement } from './sql/splitter';

export const FILE_NAME_PATTERN = /^(\d+)_([A-Za-z0-9][A-Za-z0-9_.-]*)\.sql$/;
/** Files larger than this are refused: a migration is code, not a data dump. */
export const MAX_FILE_BYTES = 16 * 1024 * 1024;

export interface Check {
  /** What the check asserts, from its directive line. */
  description: string;
  statement: SqlStatement;
}

export interface MigrationDirectives {
  noTransaction: boolean;
  /** From `-- schemaguard:lock-timeout=…`; undefined means the runner's default. */
  lockTimeoutMs?: number;
  /** From `-- schemaguard:statement-timeout=…`; undefined means the runner's default. */
  statementTimeoutMs?: number;
  /**
   * From `-- schemaguard:valid-checksum <sha-256>` (one line each): checksums
   * of earlier texts of this file. A database that applied one of them has
   * applied this migration: the file was rewritten to do the same job another
   * way (as Liquibase's validCheckSum). Undefined when there are none.
   */
  validChecksums?: string[];
}

/** A lint finding silenced in the file with `-- schemaguard:allow <rule> <reason>`. */
export interface Allowance {
  rule: string;
  reason: string;
  line: number;
}

export interface Migration {
  version: number;
  name: string;
  /** File name, e.g. `0003_add_default.sql`. */
  file: string;
  /** Absolute path. */
  path: string;
  /** LF-normalised text. */
  text: string;
  checksum: string;
  directives: MigrationDirectives;
  statements: SqlStatement[];
  checks: Check[];
  allowances: Allowance[];
}

const HEADER_DIRECTIVES = new Set(['no-transaction', 'lock-timeout', 'statement-timeout', 'valid-checksum']);

/**
 * Parse one migration file's text. `file` is the name used in messages.
 * Throws InputError for anything that must not reach a database.
 */
export function parseMigration(file: string, rawText: string, path = file): Migration {
  const { version, name } = parseFileName(file);
  const text = normaliseLineEndings(rawText);
  refuseNulByte(file, text);
  const { directives, allowances, checkStarts } = readFileDirectives(file, scanSql(text, { file }));
  // Body = everything before the first check directive; each check runs to the next one.
  const lines = text.split('\n');
  const statements = parseBody(file, lines, checkStarts);
  const checks = checkStarts.map((start, k) => parseCheck(file, lines, start, checkStarts[k + 1]?.line ?? lines.length + 1));
  validateStatements(file, statements, directives);
  return { version, name, file, path, text, checksum: checksum(text), directives, statements, checks, allowances };
}

function parseFileName(file: string): { version: number; name: string } {
  const m = FILE_NAME_PATTERN.exec(file);
  if (!m) {
    throw new InputError(`${file}: file name does not match <version>_<name>.sql`, {
      file, value: file,
      fix: 'rename it to a number, an underscore and a name of letters, digits, _ . or -, e.g. 0004_add_lead_index.sql',
    });
  }
  const version = Number(m[1]);
  if (!Number.isSafeInteger(version)) {
    throw new InputError(`${file}: version ${m[1]} is too large`, { file, value: m[1], fix: 'use a version below 2^53' });
  }
  return { version, name: m[2]! };
}

function refuseNulByte(file: string, text: string): void {
  if (!text.includes('\u0000')) return;
  const line = text.slice(0, text.indexOf('\u0000')).split('\n').length;
  throw new InputError(`${file}:${line}: contains a NUL byte`, { file, line, fix: 'save the file as plain UTF-8 text' });
}

interface CheckStart {
  line: number;
  description: string;
}

interface FileDirectives {
  directives: MigrationDirectives;
  allowances: Allowance[];
  checkStarts: CheckStart[];
}

/** Header directives before the first statement; checks and allowances anywhere after. */
function readFileDirectives(file: string, scanned: ScanResult): FileDirectives {
  const out: FileDirectives = { directives: { noTransaction: false }, allowances: [], checkStarts: [] };
  const firstStatementLine = scanned.statements[0]?.line ?? Number.POSITIVE_INFINITY;
  for (const d of readDirectives(scanned.comments)) {
    if (HEADER_DIRECTIVES.has(d.name)) readHeaderDirective(file, d, firstStatementLine, out.directives);
    else if (d.name === 'check') out.checkStarts.push({ line: d.line, description: checkDescription(file, d) });
    else if (d.name === 'allow') out.allowances.push(allowance(file, d));
    else {
      throw new InputError(`${file}:${d.line}: unknown directive schemaguard:${d.name}`, {
        file, line: d.line, value: d.text.trim(),
        fix: 'known directives: no-transaction, lock-timeout=<duration>, statement-timeout=<duration>, valid-checksum <sha-256>, check <description>, allow <rule> <reason>',
      });
    }
  }
  return out;
}

function readHeaderDirective(file: string, d: Directive, firstStatementLine: number, directives: MigrationDirectives): void {
  if (d.line > firstStatementLine) {
    throw new InputError(`${file}:${d.line}: directive schemaguard:${d.name} must come before the first statement`, {
      file, line: d.line, value: d.text.trim(), fix: 'move it to the comment block at the top of the file',
    });
  }
  if (d.name === 'no-transaction') {
    if (d.argument.trim() !== '') {
      throw new InputError(`${file}:${d.line}: schemaguard:no-transaction takes no value`, {
        file, line: d.line, value: d.text.trim(), fix: 'write the line as: -- schemaguard:no-transaction',
      });
    }
    directives.noTransaction = true;
    return;
  }
  if (d.name === 'valid-checksum') {
    (directives.validChecksums ??= []).push(validChecksum(file, d));
    return;
  }
  const v = /^\s*=\s*(\S+)\s*$/.exec(d.argument);
  const ms = v ? parseDuration(v[1]!) : undefined;
  if (ms === undefined) {
    throw new InputError(`${file}:${d.line}: schemaguard:${d.name} has a bad duration "${d.argument.replace(/^\s*=\s*/, '').trim()}"`, {
      file, line: d.line, value: d.argument.trim(), fix: `${DURATION_FORMAT_HINT}, e.g. -- schemaguard:${d.name}=5s`,
    });
  }
  if (d.name === 'lock-timeout') directives.lockTimeoutMs = ms;
  else directives.statementTimeoutMs = ms;
}

function checkDescription(file: string, d: Directive): string {
  const description = d.argument.trim();
  if (!description) {
    throw new InputError(`${file}:${d.line}: schemaguard:check needs a description of what it asserts`, {
      file, line: d.line, fix: 'e.g. -- schemaguard:check no uuid primary key without a default',
    });
  }
  return description;
}

function allowance(file: string, d: Directive): Allowance {
  const a = allowArgument(d.argument);
  if (!a) {
    throw new InputError(`${file}:${d.line}: schemaguard:allow needs a rule id and a reason`, {
      file, line: d.line, value: d.text.trim(), fix: 'e.g. -- schemaguard:allow index-not-concurrent table is created empty in this release',
    });
  }
  return { ...a, line: d.line };
}

function parseBody(file: string, lines: string[], checkStarts: CheckStart[]): SqlStatement[] {
  const bodyEndLine = checkStarts[0]?.line ?? lines.length + 1;
  return splitSql(lines.slice(0, bodyEndLine - 1).join('\n'), { file });
}

/** What migrate and plan say of an empty file. */
export const EMPTY_FILE_NOTE = 'no statements (empty, or only comments and directives): recorded as applied, nothing runs';

/** Nothing to run: no statement and no check (see the header). */
export function isEmptyMigration(m: Migration): boolean {
  return m.statements.length === 0 && m.checks.length === 0;
}

/**
 * Whether the file's statements run outside a transaction: a no-transaction
 * file with statements. One without any has nothing that needs it, and runs
 * (its checks, its state row) in a transaction like any other file.
 */
export function runsOutsideTransaction(m: Migration): boolean {
  return m.directives.noTransaction && m.statements.length > 0;
}

/** The value of a `valid-checksum` directive: exactly one sha-256 in lower-case hex. */
function validChecksum(file: string, d: Directive): string {
  const sum = checksumArgument(d.argument);
  if (sum === undefined) {
    throw new InputError(`${file}:${d.line}: schemaguard:valid-checksum needs one sha-256 checksum (64 lower-case hex digits), found "${d.argument.trim()}"`, {
      file, line: d.line, value: d.text.trim(),
      fix: 'copy the full checksum of the earlier text (the appliedChecksum of `schemaguard status --json`, or `sha256sum` of that text with LF line endings), one directive per checksum',
    });
  }
  return sum;
}

/** The one query between a check directive and `endLine` (the next check, or the end of the file). */
function parseCheck(file: string, lines: string[], start: CheckStart, endLine: number): Check {
  const checkText = lines.slice(start.line, endLine - 1).join('\n');
  const parsed = splitSql(checkText, { file, firstLine: start.line + 1 });
  if (parsed.length !== 1) {
    throw new InputError(`${file}:${start.line}: check "${start.description}" must be exactly one query (found ${parsed.length})`, {
      file, line: start.line, fix: 'follow each -- schemaguard:check line with one SELECT that returns the offending rows',
    });
  }
  const stmt = parsed[0]!;
  if (classifyStatement(stmt).kind !== 'query') {
    throw new InputError(`${file}:${stmt.line}: check "${start.description}" must be a query (SELECT/WITH/VALUES/TABLE), found ${(stmt.words[0] ?? '').toUpperCase()}`, {
      file, line: stmt.line, value: stmt.text.slice(0, 80),
      fix: 'a check returns the rows that violate it; move changes into the migration body',
    });
  }
  return { description: start.description, statement: stmt };
}

/** Refuse transaction control anywhere, and what cannot run in a transaction block in a transactional file. */
function validateStatements(file: string, statements: SqlStatement[], directives: MigrationDirectives): void {
  for (const s of statements) {
    const c = classifyStatement(s);
    if (c.kind === 'transaction-control') {
      const [where, fix] = directives.noTransaction
        ? ['in a no-transaction file', 'a no-transaction file runs each statement on its own; split transactional work into a separate migration without the directive']
        : ['inside a transactional migration', 'remove it: schemaguard wraps each migration in its own transaction together with its state row and checks'];
      throw new InputError(`${file}:${s.line}: ${c.keyword} ${where}`, { file, line: s.line, value: s.text.slice(0, 80), fix });
    }
    if (directives.noTransaction || !refusesTransactionBlock(c.kind)) continue;
    const [why, fix] = c.kind === 'concurrently'
      ? ['CONCURRENTLY cannot run inside a transaction', 'put "-- schemaguard:no-transaction" on the first line of the file (and nothing else that needs a transaction), or drop CONCURRENTLY']
      : [`${c.keyword} cannot run inside a transaction block`, 'put "-- schemaguard:no-transaction" on the first line of the file'];
    throw new InputError(`${file}:${c.line}: ${why}`, { file, line: c.line, value: s.text.slice(0, 80), fix });
  }
}

/** Decode bytes as UTF-8, refusing invalid sequences with the line they sit on. */
export function decodeUtf8(file: string, bytes: Uint8Array): string {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch (cause) {
    const offset = firstInvalidUtf8Offset(bytes);
    let line = 1;
    for (let k = 0; k < offset; k++) if (bytes[k] === 10) line++;
    const shown = Array.from(bytes.slice(offset, offset + 4)).map((b) => `0x${b.toString(16).padStart(2, '0')}`).join(' ');
    throw new InputError(`${file}:${line}: not valid UTF-8 (bytes ${shown} at offset ${offset})`, {
      file, line, value: shown, cause, fix: 'save the file as UTF-8 (e.g. iconv -f latin1 -t utf-8)',
    });
  }
}

function firstInvalidUtf8Offset(b: Uint8Array): number {
  let i = 0;
  while (i < b.length) {
    const x = b[i]!;
    let need = 0;
    if (x < 0x80) { i++; continue; }
    else if (x >= 0xc2 && x <= 0xdf) need = 1;
    else if (x >= 0xe0 && x <= 0xef) need = 2;
    else if (x >= 0xf0 && x <= 0xf4) need = 3;
    else return i;
    for (let k = 1; k <= need; k++) {
      const y = b[i + k];
      if (y === undefined || (y & 0xc0) !== 0x80) return i;
    }
    i += need + 1;
  }
  return b.length;
}

export interface LoadOptions {
  /** Refuse files over this many bytes. @default MAX_FILE_BYTES */
  maxFileBytes?: number;
}

/**
 * Read every `*.sql` migration in `dir`, in numeric order. Other files
 * (README.md, …) and sub-directories are ignored.
 */
export function loadMigrations(dir: string, options: LoadOptions = {}): Migration[] {
  const abs = resolve(dir);
  let entries: string[];
  try {
    const st = statSync(abs);
    if (!st.isDirectory()) {
      throw new InputError(`${dir}: not a directory`, { file: dir, value: dir, fix: 'pass the directory that holds the migrations with --dir' });
    }
    entries = readdirSync(abs);
  } catch (cause) {
    if (cause instanceof MigrationError) throw cause;
    throw new InputError(`${dir}: cannot read the migrations directory (${(cause as NodeJS.ErrnoException).code ?? String(cause)})`, {
      file: dir, value: dir, cause, fix: 'create it or pass the right one with --dir',
    });
  }
  const maxBytes = options.maxFileBytes ?? MAX_FILE_BYTES;
  const migrations: Migration[] = [];
  for (const entry of entries.sort()) {
    if (entry.startsWith('.')) continue;
    if (!entry.toLowerCase().endsWith('.sql')) continue;
    const path = join(abs, entry);
    let st;
    try {
      st = statSync(path);
    } catch (cause) {
      throw new InputError(`${entry}: cannot stat (${(cause as NodeJS.ErrnoException).code})`, { file: entry, cause, fix: 'check the file exists and is readable' });
    }
    if (!st.isFile()) continue;
    if (!FILE_NAME_PATTERN.test(entry)) {
      // parseMigration raises the precise message.
      parseMigration(entry, '');
    }
    if (st.size > maxBytes) {
      throw new InputError(`${entry}: ${st.size} bytes is over the ${maxBytes}-byte limit for a migration`, {
        file: entry, value: String(st.size), fix: 'load bulk data with COPY from the application, not from a migration; or split the file',
      });
    }
    let bytes: Buffer;
    try {
      bytes = readFileSync(path);
    } catch (cause) {
      throw new InputError(`${entry}: cannot read (${(cause as NodeJS.ErrnoException).code ?? String(cause)})`, {
        file: entry, cause, fix: 'make the file readable by the user running schemaguard',
      });
    }
    migrations.push(parseMigration(entry, decodeUtf8(entry, bytes), path));
  }
  return orderMigrations(migrations);
}

/** Sort by version and refuse duplicate versions (e.g. `3_a.sql` and `003_b.sql`). */
export function orderMigrations(migrations: Migration[]): Migration[] {
  const sorted = [...migrations].sort((a, b) => a.version - b.version);
  for (let k = 1; k < sorted.length; k++) {
    const a = sorted[k - 1]!;
    const b = sorted[k]!;
    if (a.version === b.version) {
      throw new InputError(`duplicate version ${a.version}: ${a.file} and ${b.file}`, {
        file: b.file, value: String(a.version), version: a.version,
        fix: `give ${b.file} the next free version number`,
      });
    }
  }
  return sorted;
}
