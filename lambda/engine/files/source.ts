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
 * Each check is one query whose rows are the violations (none: it holds); checks
 * run after the body, in the migration's transaction, before COMMIT. A file
 * with no statement is a no-op that is recorded, as psql runs an empty file
 * (with checks only, an assertion).
 *
 * Everything here is a pure function of the files: bad input is an InputError
 * (exit 2) raised before anything touches a database. A file over
 * IN_MEMORY_BYTES is not kept: it is read again, and checked unchanged, when
 * its text or statements are asked for.
 */
import { closeSync, fstatSync, openSync, readdirSync, readFileSync, readSync, statSync, type Dirent } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { checksum, normaliseLineEndings } from './checksum';
import { InputError, MigrationError } from '../errors/errors';
import { LOAD_PATTERNS, MigrationParser, type ParsedFile } from './file-parser';
import { InputProblems } from '../errors/input-problems';
import { renameCommand, shellCommand, typedPath } from '../errors/shell-quote';
import { filePieces, lfByteSize, PieceIndex, piecesFrom, refuseNul } from './file-reader';
import { layoutOf, listLayout, type MigrationLayout } from './layout';
import type { FileIdentity } from './layout-types';
import type { Migration } from './migration';
import { sliceOf, statementLength, StatementScanner, type SqlStatement } from '../sql/splitter';
import { decodeUtf8 } from './utf8';
import { refuseLinkOut } from './links';
import { present } from '../errors/present';

export { decodeUtf8 } from './utf8';

export const FILE_NAME_PATTERN = /^(\d+)_([A-Za-z0-9][A-Za-z0-9_.-]*)\.sql$/;
/** Files larger than this are refused: a migration is code, not a data dump. Counted as the file is read, with LF line endings (`lfByteSize`). */
export const MAX_FILE_BYTES = 16 * 1024 * 1024;
/** Files up to this size are kept in memory once read; larger ones are read again, in pieces, when needed. */
export const IN_MEMORY_BYTES = 1024 * 1024;

export type { Allowance, Check, Migration, MigrationDirectives } from './migration';

export type { FileIdentity } from './layout-types';

/**
 * Parse one migration file's text. `file` is the name used in messages.
 * Throws InputError for anything that must not reach a database.
 */
export function parseMigration(file: string, rawText: string, path = file, identity?: FileIdentity): Migration {
  const { version, name, origin } = identity ?? parseFileName(file, path);
  const text = normaliseLineEndings(rawText);
  refuseNul(file, text, 0);
  const parsed = parseText(file, [text], true);
  return {
    version,
    name,
    file,
    path,
    text,
    checksum: checksum(text),
    directives: parsed.directives,
    statements: present(parsed.statements),
    statementCount: parsed.statementCount,
    checks: parsed.checks,
    allowances: parsed.allowances,
    ...(parsed.backfill ? { backfill: parsed.backfill } : {}),
    ...(origin === undefined ? {} : { origin }),
  };
}

/**
 * Refuses what `parseMigration` refuses in a file's text (text left open, a
 * psql meta-command, directives, checks, transaction control, statements
 * that cannot run where the file runs them), except CONCURRENTLY in a
 * transactional file, which lint reports as a finding; keeps no statements.
 * `serverMajor` (`lint --server-version`): syntax that server lacks is
 * refused as such. For the commands that read the files their own way (`lint`).
 */
export function validateMigrationText(file: string, rawText: string, options: { serverMajor?: number } = {}): void {
  const text = normaliseLineEndings(rawText);
  refuseNul(file, text, 0);
  const parser = new MigrationParser(file, { keepStatements: false, concurrentlyInTransaction: true, ...options });
  const scanner = new StatementScanner(parser, { file, readText: sliceOf(text) });
  scanner.push(text);
  scanner.end();
  parser.finish();
}

/** What parsing a file gives. */
type ParsedFields = Pick<Migration, 'directives' | 'statements' | 'statementCount' | 'checks' | 'allowances' | 'backfill'>;

/**
 * A migration whose text is read, validated as UTF-8 without NUL and hashed
 * now, and parsed when one of its parsed fields is first read: a file that
 * is already applied is only compared by checksum, so a run with nothing to
 * do parses nothing. The runner parses every pending file before anything
 * runs, so a bad one is still refused with the database untouched.
 */
export function deferredMigration(file: string, rawText: string, path = file, identity?: FileIdentity): Migration {
  const { version, name, origin } = identity ?? parseFileName(file, path);
  const text = normaliseLineEndings(rawText);
  refuseNul(file, text, 0);
  const m = new DeferredMigration(version, name, file, path, text, checksum(text));
  if (origin !== undefined) m.origin = origin;
  return m;
}

/** The parsed fields are accessors on the class (not per object), so loading many files stays cheap; kept once parsed. */
class DeferredMigration implements Migration {
  #parsed?: ParsedFields;
  origin?: string;

  constructor(
    public version: number,
    public name: string,
    public file: string,
    public path: string,
    public text: string,
    public checksum: string,
  ) {}

  get #fields(): ParsedFields {
    if (!this.#parsed) {
      const p = parseText(this.file, [this.text], true);
      this.#parsed = {
        directives: p.directives,
        statements: present(p.statements),
        statementCount: p.statementCount,
        checks: p.checks,
        allowances: p.allowances,
        ...(p.backfill ? { backfill: p.backfill } : {}),
      };
    }
    return this.#parsed;
  }

  get directives(): ParsedFields['directives'] {
    return this.#fields.directives;
  }
  set directives(v: ParsedFields['directives']) {
    this.#fields.directives = v;
  }
  get statements(): ParsedFields['statements'] {
    return this.#fields.statements;
  }
  set statements(v: ParsedFields['statements']) {
    this.#fields.statements = v;
  }
  get statementCount(): number {
    return this.#fields.statementCount;
  }
  set statementCount(v: number) {
    this.#fields.statementCount = v;
  }
  get checks(): ParsedFields['checks'] {
    return this.#fields.checks;
  }
  set checks(v: ParsedFields['checks']) {
    this.#fields.checks = v;
  }
  get allowances(): ParsedFields['allowances'] {
    return this.#fields.allowances;
  }
  set allowances(v: ParsedFields['allowances']) {
    this.#fields.allowances = v;
  }
  get backfill(): ParsedFields['backfill'] {
    return this.#fields.backfill;
  }

  /** Every field, parsed, as the other migrations give them to JSON.stringify (a spread copies only the fields read at load). */
  toJSON(): Migration {
    const origin = this.origin === undefined ? {} : { origin: this.origin };
    return { version: this.version, name: this.name, file: this.file, path: this.path, text: this.text, checksum: this.checksum, ...origin, ...this.#fields };
  }
}

/** Parses a `deferredMigration` now (a no-op for the others): its InputError, if any, is thrown here. */
export function parseNow(m: Migration): void {
  void m.statementCount;
}

/** What migrate and plan say of an empty file. */
export const EMPTY_FILE_NOTE = 'no statements (empty, or only comments and directives): recorded as applied, nothing runs';

/** Nothing to run: no statement, no check and no backfill (see the header). */
export function isEmptyMigration(m: Migration): boolean {
  return m.statementCount === 0 && m.checks.length === 0 && !m.backfill;
}

/**
 * Whether the file's statements run outside a transaction: a no-transaction
 * file with statements. One without any has nothing that needs it, and runs
 * (its checks, its state row) in a transaction like any other file.
 */
export function runsOutsideTransaction(m: Migration): boolean {
  return m.directives.noTransaction && m.statementCount > 0;
}

/** One pass of the scanner over the pieces of a file's text. */
function parseText(
  file: string,
  pieces: Iterable<string>,
  keepStatements: boolean,
  readText?: (offset: number, length: number) => Iterable<string>,
): ParsedFile {
  const parser = new MigrationParser(file, { keepStatements });
  const scanner = new StatementScanner(parser, { file, readText, rereadAbove: REREAD_ABOVE, watch: LOAD_PATTERNS });
  for (const piece of pieces) scanner.push(piece);
  scanner.end();
  return parser.finish();
}

/**
 * node-pg-migrate's `--migration-filename-format utc` names files
 * YYYYMMDDHHMMSSmmm_name (17 digits), past 2^53: what to do with them.
 */
export const MILLISECOND_VERSIONS_FIX =
  "node-pg-migrate's UTC file names (YYYYMMDDHHMMSSmmm, 17 digits) are past the largest exact version: " +
  'keep them to the second, the first 14 digits, in the same order (baseline --from node-pg-migrate matches them to the 17-digit names it recorded)';

/** 17 digits that read as YYYYMMDDHHMMSSmmm (node-pg-migrate's UTC file names). */
export function isMillisecondVersion(digits: string): boolean {
  return /^(19[7-9]\d|2\d{3})(0[1-9]|1[0-2])(0[1-9]|[12]\d|3[01])([01]\d|2[0-3])[0-5]\d[0-5]\d\d{3}$/.test(digits);
}

/** `path`: the file as the fixes name it (typedPath), where it differs from its name. */
function parseFileName(file: string, path = file): FileIdentity {
  const m = FILE_NAME_PATTERN.exec(file);
  // Only a refusal names the path (worked out from the working directory: too slow to do for every file).
  const typed = () => typedPath(path);
  const beside = (name: string) => join(dirname(typed()), name);
  refuseBackwardFile(file, typed);
  if (!m) {
    // Flyway's versioned name (V3__add_index.sql) keeps its number: 3_add_index.sql.
    const flyway = /^V(\d+)__([A-Za-z0-9][A-Za-z0-9_.-]*)\.sql$/i.exec(file);
    const renamed = flyway ? undefined : versionedRename(file);
    const unnamed = /^(\d+)[^A-Za-z0-9]*\.sql$/i.exec(file);
    throw new InputError(`${file}: file name does not match <version>_<name>.sql`, {
      file,
      value: file,
      fix: flyway
        ? `rename it to ${flyway[1]}_${flyway[2]}.sql (Flyway's V<version>__<name>.sql, with the number kept)`
        : unnamed
          ? `add a name after an underscore, e.g. ${unnamed[1]}_describe_change.sql (the version, ${unnamed[1]}, kept as it is)`
          : renamed
            ? `rename it to ${renamed}: ${renameCommand(typed(), beside(renamed))}`
            : /^R__/i.test(file)
              ? `Flyway's repeatable migration: schemaguard has none. Put its current text in a new versioned file (the next number: NNNN_${file.slice(3).replace(/[^A-Za-z0-9_.-]+/g, '_')}, written to run on the schema as it is: CREATE OR REPLACE …), delete this one, and make each later change another new file`
              : 'rename it to a number, an underscore and a name of letters, digits, _ . or -, e.g. 0004_add_lead_index.sql',
    });
  }
  const version = Number(m[1]);
  if (!Number.isSafeInteger(version)) {
    throw new InputError(`${file}: version ${m[1]} is too large: schemaguard versions are below 2^53 (${Number.MAX_SAFE_INTEGER}), read exactly`, {
      file,
      value: m[1],
      fix: isMillisecondVersion(m[1])
        ? `${MILLISECOND_VERSIONS_FIX}; here: ${renameCommand(typed(), beside(`${m[1].slice(0, 14)}_${m[2]}.sql`))}`
        : 'number the files with versions below 2^53 (at most 15 digits), keeping their order',
    });
  }
  return { version, name: m[2] };
}

/**
 * Another tool's file that runs backwards: golang-migrate's
 * `000001_init.down.sql` (read as a migration of its own, it would run after
 * the up file) and Flyway's undo `U2__name.sql`. Deleted, not renamed:
 * schemaguard runs forward only.
 */
function refuseBackwardFile(file: string, typed: () => string): void {
  const tool = /^\d+_.+\.down\.sql$/i.test(file) ? "golang-migrate's down migration" : /^U\d+__.+\.sql$/i.test(file) ? "Flyway's undo migration" : undefined;
  if (!tool) return;
  throw new InputError(`${file}: ${tool}, and schemaguard runs forward only (read as a migration, it would run forward too)`, {
    file,
    value: file,
    fix: `delete it (${shellCommand('git', 'rm', typed())}): schemaguard has no down or undo migrations; a rollback is a new forward file`,
  });
}

/**
 * The name a file with a version but another spelling takes, or undefined:
 * `0005_add_phone.SQL` → `0005_add_phone.sql`, `5-add-phone.sql` →
 * `5_add_phone.sql` (a dashed name keeps one style), `5 add phone.sql` →
 * `5_add_phone.sql`. The version is kept as written (its padding too).
 */
export function versionedRename(file: string): string | undefined {
  // The version's digits are all the version's (0004.sql has no name: not 000_4.sql).
  const m = /^(\d+)(?!\d)([^A-Za-z0-9]*)(.+?)\.sql$/i.exec(file);
  if (!m) return undefined;
  let name = m[3].replace(/[^A-Za-z0-9_.-]+/g, '_');
  if (m[2].includes('-')) name = name.replace(/-/g, '_');
  name = name.replace(/^[^A-Za-z0-9]+/, '').replace(/_+$/, '');
  const renamed = `${m[1]}_${name}.sql`;
  return FILE_NAME_PATTERN.test(renamed) && renamed !== file ? renamed : undefined;
}

/** The migrations loaded by `largeMigration`: their text and statements are read from the file at each access. */
const READ_AGAIN = new WeakSet<Migration>();

/** True when the file's text and statements are held in memory; false for a file over IN_MEMORY_BYTES, read again at each access. */
export function heldInMemory(m: Migration): boolean {
  return !READ_AGAIN.has(m);
}

/**
 * A file over IN_MEMORY_BYTES: read in pieces, validated and hashed; its text
 * and statements are read again by whoever asks for them.
 */
function largeMigration(file: string, path: string, identity?: FileIdentity): Migration {
  const { version, name, origin } = identity ?? parseFileName(file, path);
  // Where each piece began, with its digest: a long statement's text is read again from its own piece (a SET's value,
  // a check's query), not held — loading a 16 MiB statement holds its words only — and checked to be the text hashed.
  const index = new PieceIndex();
  const pieces = filePieces(file, path, undefined, index);
  let sum = '';
  let m: Migration | undefined;
  const changed = () => changedError(file, m?.checksum, undefined, m !== undefined && runsOutsideTransaction(m));
  const readText = (offset: number, length: number) => textRange(path, index, offset, length, changed);
  const parsed = parseText(
    file,
    drain(pieces, (s) => {
      sum = s;
    }),
    false,
    readText,
  );
  m = {
    version,
    name,
    file,
    path,
    checksum: sum,
    directives: parsed.directives,
    statementCount: parsed.statementCount,
    checks: parsed.checks,
    allowances: parsed.allowances,
    ...(parsed.backfill ? { backfill: parsed.backfill } : {}),
  } as Migration;
  if (origin !== undefined) m.origin = origin;
  const loaded = m;
  READ_AGAIN.add(loaded);
  return Object.defineProperties(loaded, {
    text: { get: () => [...drain(filePieces(file, path), (s) => unchanged(loaded, s))].join(''), enumerable: false },
    statements: {
      get: () =>
        present(
          parseText(
            file,
            drain(filePieces(file, path), (s) => unchanged(loaded, s)),
            true,
          ).statements,
        ),
      enumerable: false,
    },
  });
}

/** The pieces of a generator, handing its return value (the checksum) to `done`. */
function* drain(pieces: Generator<string, string, undefined>, done: (checksum: string) => void): Generator<string, void, undefined> {
  for (;;) {
    const r = pieces.next();
    if (r.done) {
      done(r.value);
      return;
    }
    yield r.value;
  }
}

/**
 * Loading a large file keeps a statement of up to this many characters in
 * pieces while it is judged, and reads a longer one from the file again
 * when asked for, from the piece that holds its start.
 */
const REREAD_ABOVE = 1024 * 1024;

/** The characters [offset, offset + length) of a file's text, read again from the pieces that hold them, each checked. */
function* textRange(path: string, index: PieceIndex, offset: number, length: number, changed: () => Error): Generator<string, void, undefined> {
  for (const { text, chars } of piecesFrom(path, index, offset, changed)) {
    if (chars >= offset + length) return;
    const from = Math.max(offset - chars, 0);
    const to = Math.min(offset + length - chars, text.length);
    if (to > from) yield text.slice(from, to);
  }
}

/** A file read again must be the text that was validated and hashed. */
function unchanged(m: Migration, sum: string): void {
  if (sum !== m.checksum) throw changedError(m.file, m.checksum, sum, runsOutsideTransaction(m));
}

/**
 * A file that changed while it was being applied. `outside`: it runs
 * outside a transaction, so its statements sent before the change was found
 * stay committed (its checks run after its statements).
 */
function changedError(file: string, was: string | undefined, sum?: string, outside = false): InputError {
  const sums = sum && was ? ` (checksum ${sum.slice(0, 12)}, was ${was.slice(0, 12)})` : '';
  return new InputError(`${file} changed while schemaguard was running${sums}`, {
    file,
    fix: outside
      ? 'the file runs outside a transaction: its statements that ran before the change was found stay committed; check them, then run again once the files stay put'
      : 'nothing of this file was committed; run again once the files stay put',
  });
}

/**
 * The body's statements in batches of about `maxChars` characters of SQL, in
 * order: from memory, or — for a large file — read from the file again, so
 * only one batch is held at a time. A file that changed since it was loaded
 * is refused before its last batch is handed out.
 */
export function* bodyBatches(m: Migration, maxChars: number): Generator<SqlStatement[], void, undefined> {
  const full: SqlStatement[][] = [];
  let batch: SqlStatement[] = [];
  let size = 0;
  const add = (s: SqlStatement) => {
    batch.push(s);
    size += statementLength(s);
    if (size < maxChars) return;
    full.push(batch);
    batch = [];
    size = 0;
  };
  if (heldInMemory(m)) {
    for (const s of m.statements) add(s);
  } else {
    const parser = new MigrationParser(m.file, { keepStatements: false, onStatement: add });
    const scanner = new StatementScanner(parser, { file: m.file });
    for (const piece of drain(filePieces(m.file, m.path), (s) => unchanged(m, s))) {
      scanner.push(piece);
      while (full.length) yield present(full.shift());
    }
    scanner.end();
    parser.finish();
  }
  while (full.length) yield present(full.shift());
  if (batch.length) yield batch;
}

export interface LoadOptions {
  /** Refuse files over this many bytes. @default MAX_FILE_BYTES */
  maxFileBytes?: number;
  /** The fix a refused file's error gives (given its size). @default - load bulk data with COPY, or split the file */
  tooLargeFix?: (bytes: number) => string;
  /** Parse a file when it is first needed (`deferredMigration`), not while reading it. @default false */
  deferParse?: boolean;
  /** How the directory is laid out (layout.ts). @default - detected: drizzle's journal, Prisma's folders, else flat */
  layout?: MigrationLayout;
}

/**
 * Read every `*.sql` migration in `dir`, in numeric order. Other files
 * (README.md, …) and sub-directories are ignored.
 */
export function loadMigrations(dir: string, options: LoadOptions = {}): Migration[] {
  const reading = readMigrations(dir, options);
  for (;;) {
    const r = reading.next();
    if (r.done) return r.value;
  }
}

/** How long reading or parsing goes on before it gives way to the event loop. */
const SLICE_MS = 2;

/** Resolves at once, or after a turn of the event loop once SLICE_MS passed since the last. */
class Slices {
  private started = performance.now();

  async giveWay(): Promise<void> {
    if (performance.now() - this.started < SLICE_MS) return;
    await new Promise((resolve) => setImmediate(resolve));
    this.started = performance.now();
  }
}

/**
 * The same, giving way to the event loop every SLICE_MS (not after every
 * file, which costs more than the reading): a connection being made meanwhile
 * (`PgDriver.prepareConnection`) does its handshake while the files are read.
 */
export async function loadMigrationsAsync(dir: string, options: LoadOptions = {}): Promise<Migration[]> {
  const reading = readMigrations(dir, options);
  const slices = new Slices();
  for (;;) {
    const r = reading.next();
    if (r.done) return r.value;
    await slices.giveWay();
  }
}

/**
 * `parseNow` for each, in order, giving way to the event loop every SLICE_MS:
 * the connection that will apply them is made meanwhile (runner.ts). Every
 * bad file's problems are thrown together (`InputProblems`).
 */
export async function parseAllNow(migrations: readonly Migration[]): Promise<void> {
  const slices = new Slices();
  const problems = new InputProblems();
  for (const m of migrations) {
    problems.attempt(() => parseNow(m));
    await slices.giveWay();
  }
  problems.throwIfAny();
}

/** The files one by one (a pause after each), then the migrations in order; every bad file's problems together. */
function* readMigrations(dir: string, options: LoadOptions): Generator<void, Migration[], undefined> {
  const abs = resolve(dir);
  const reader = new FileReader(options.maxFileBytes ?? MAX_FILE_BYTES, options.tooLargeFix, options.deferParse ? deferredMigration : parseMigration);
  const migrations: Migration[] = [];
  const problems = new InputProblems();
  const layout = layoutOf(dir, options.layout);
  if (layout !== 'flat') {
    // The layout gives each file its version and order (and refuses what its tool would read otherwise).
    for (const f of listLayout(dir, layout).files) {
      const m = problems.attempt(() => {
        refuseLinkOut(abs, f.path, f.file);
        return reader.read(f.file, f.path, f);
      });
      if (m) migrations.push(m);
      yield;
    }
    problems.throwIfAny();
    return orderMigrations(migrations);
  }
  for (const entry of inVersionOrder(migrationEntries(dir, abs))) {
    const path = `${abs}/${entry.name}`;
    const m = problems.attempt(() => {
      if (!FILE_NAME_PATTERN.test(entry.name)) parseMigration(entry.name, ''); // raises the precise message
      refuseLinkOut(abs, path, entry.name);
      return reader.read(entry.name, path);
    });
    if (m) migrations.push(m);
    yield;
  }
  problems.throwIfAny();
  return orderMigrations(migrations);
}

/**
 * The entries in order of version, as migrate runs them and lint reads them
 * (a name without a version first; by name within one version): the files'
 * problems are met, and listed, in that order, so that `10_c.sql` comes after
 * `9_b.sql` and the first 20 shown are the same whichever command read them.
 */
function inVersionOrder(entries: Dirent[]): Dirent[] {
  const version = (e: Dirent) => Number(FILE_NAME_PATTERN.exec(e.name)?.[1] ?? -1);
  // Array.prototype.sort is stable: the entries come sorted by name.
  return entries
    .map((e) => ({ e, v: version(e) }))
    .sort((a, b) => a.v - b.v)
    .map((x) => x.e);
}

/**
 * The migration files of `dir` in order of version, without reading them:
 * the files `loadMigrations` reads, refused as it refuses them (a `.sql`
 * file whose name has no version, a version twice, a directory that is not
 * there). For the commands that read the files their own way (`lint`).
 */
export function migrationFiles(dir: string, layout?: MigrationLayout): { file: string; path: string; version: number; name: string }[] {
  const read = layoutOf(dir, layout);
  const abs = resolve(dir);
  if (read !== 'flat')
    return listLayout(dir, read).files.map(({ file, path, version, name }) => {
      refuseLinkOut(abs, path, file);
      return { file, path, version, name };
    });
  return orderMigrations(
    migrationEntries(dir, abs).map((e) => {
      refuseLinkOut(abs, `${abs}/${e.name}`, e.name);
      const { version, name } = parseFileName(e.name, `${abs}/${e.name}`);
      return { file: e.name, path: `${abs}/${e.name}`, version, name };
    }),
  );
}

/**
 * The files of `dir` named like a migration but not read as one: a version
 * prefix and no `.sql` (`0005_add_phone`, `5_add_phone.txt`), in name order.
 * For the commands to say so; an unreadable directory gives none (the
 * loader has said why).
 */
export function skippedLookalikes(dir: string): string[] {
  const abs = resolve(dir);
  try {
    return readdirSync(abs, { withFileTypes: true })
      .filter((e) => /^\d+[_-]/.test(e.name) && !e.name.toLowerCase().endsWith('.sql') && !SCRIPT_CONFIG.test(e.name) && (e.isFile() || e.isSymbolicLink()))
      .map((e) => e.name)
      .sort();
  } catch {
    return [];
  }
}

/** Flyway's per-script configuration, beside the script it configures: `V2__idx.sql.conf`. */
const SCRIPT_CONFIG = /\.sql\.conf$/i;

/**
 * The Flyway per-script configuration files of `dir` (`V2__idx.sql.conf`),
 * which schemaguard does not read, each with whether it sets
 * executeInTransaction=false (what the no-transaction directive does here).
 */
export function scriptConfigs(dir: string): { file: string; noTransaction: boolean }[] {
  const abs = resolve(dir);
  try {
    return readdirSync(abs)
      .filter((f) => SCRIPT_CONFIG.test(f))
      .sort()
      .map((file) => ({ file, noTransaction: setsNoTransaction(join(abs, file)) }));
  } catch {
    return [];
  }
}

function setsNoTransaction(path: string): boolean {
  try {
    // A configuration file is a few lines: read whole (at most its first 64 KiB).
    return /^\s*executeInTransaction\s*=\s*false\s*$/im.test(readFileSync(path, 'utf8').slice(0, 65536));
  } catch {
    return false;
  }
}

/** The files of `dir` named as golang-migrate's up files (`000001_init.up.sql`): they run, and their name keeps `.up`. */
export function upFiles(dir: string): string[] {
  try {
    return readdirSync(resolve(dir))
      .filter((f) => /^\d+_.+\.up\.sql$/i.test(f))
      .sort();
  } catch {
    return [];
  }
}

/** The directory's `.sql` files (by name), symbolic links followed; dot files and directories left out. */
function migrationEntries(dir: string, abs: string): Dirent[] {
  let entries: Dirent[];
  try {
    if (!statSync(abs).isDirectory()) {
      throw new InputError(`${dir}: not a directory`, { file: dir, value: dir, fix: 'pass the directory that holds the migrations with --dir' });
    }
    entries = readdirSync(abs, { withFileTypes: true });
  } catch (cause) {
    if (cause instanceof MigrationError) throw cause;
    throw new InputError(`${dir}: cannot read the migrations directory (${(cause as NodeJS.ErrnoException).code ?? String(cause)})`, {
      file: dir,
      value: dir,
      cause,
      fix: 'create it or pass the right one with --dir',
    });
  }
  refuseMigrationFolders(dir, abs, entries);
  return entries
    .filter((e) => !e.name.startsWith('.') && e.name.toLowerCase().endsWith('.sql') && isFile(e, `${abs}/${e.name}`))
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/**
 * A folder named like a migration (`20240101120000_init/`) holding a
 * `migration.sql` or `up.sql` is the layout of Prisma (and Diesel):
 * `<version>_<name>/migration.sql`.
 * schemaguard reads the `.sql` files of the directory itself, so it would
 * apply none of them and say "up to date": refused instead.
 */
function refuseMigrationFolders(dir: string, abs: string, entries: Dirent[]): void {
  for (const e of entries) {
    if (!e.isDirectory() || !/^\d+[_-]/.test(e.name)) continue;
    // A folder named like a migration file was read as nothing: say so.
    if (FILE_NAME_PATTERN.test(e.name)) {
      throw new InputError(`${join(dir, e.name)}: a directory named like a migration file; schemaguard applies files`, {
        file: join(dir, e.name),
        value: e.name,
        fix: `rename the directory (a migration is a file <version>_<name>.sql in ${dir})`,
      });
    }
    let sql: string | undefined;
    try {
      // Prisma's migration.sql, Diesel's up.sql; a folder of other .sql files (an archive) is not a migration.
      sql = readdirSync(`${abs}/${e.name}`).find((f) => /^(?:migration|up)\.sql$/i.test(f));
    } catch {
      continue; // unreadable: not ours to judge
    }
    if (!sql) continue;
    const prisma = /^migration\.sql$/i.test(sql);
    throw new InputError(
      `${join(dir, e.name, sql)}: a migration in a folder of its own (${prisma ? "Prisma's" : "Diesel's"} layout, <version>_<name>/${sql}); the flat layout reads the .sql files directly in ${dir}`,
      {
        file: join(dir, e.name, sql),
        value: e.name,
        fix: `${prisma ? "read the folder as Prisma's (--layout prisma, or leave --layout out: it is detected), or " : ''}make each folder's file a file of ${dir} named after the folder (${shellCommand('mv', join(dir, e.name, sql), join(dir, `${e.name}.sql`))}), or pass the directory that holds the .sql files with --dir`,
      },
    );
  }
}

function isFile(e: Dirent, path: string): boolean {
  if (e.isFile()) return true;
  if (!e.isSymbolicLink()) return false;
  try {
    return statSync(path).isFile();
  } catch (cause) {
    throw new InputError(`${e.name}: cannot stat (${(cause as NodeJS.ErrnoException).code})`, {
      file: e.name,
      cause,
      fix: 'check the file exists and is readable',
    });
  }
}

/** Reads migration files: small ones whole into one reused buffer, large ones in pieces. */
class FileReader {
  private readonly buffer: Buffer;

  constructor(
    private readonly maxBytes: number,
    private readonly tooLargeFix: ((bytes: number) => string) | undefined,
    private readonly small: (file: string, text: string, path: string, identity?: FileIdentity) => Migration,
  ) {
    this.buffer = Buffer.allocUnsafe(Math.min(maxBytes, IN_MEMORY_BYTES) + 1);
  }

  read(file: string, path: string, identity?: FileIdentity): Migration {
    const fd = this.open(file, path);
    let bytes: number;
    let size: number | undefined;
    try {
      // A regular file reads short only at its end.
      bytes = readSync(fd, this.buffer, 0, this.buffer.length, 0);
      if (bytes === this.buffer.length) size = fstatSync(fd).size;
    } catch (cause) {
      throw unreadable(file, cause);
    } finally {
      closeSync(fd);
    }
    if (size === undefined) return this.small(file, decodeUtf8(file, this.buffer.subarray(0, bytes)), path, identity);
    refuseTooLarge(file, path, size, this.maxBytes, this.tooLargeFix);
    return largeMigration(file, path, identity);
  }

  private open(file: string, path: string): number {
    try {
      return openSync(path, 'r');
    } catch (cause) {
      throw unreadable(file, cause);
    }
  }
}

/** Refuses a file over `maxBytes` with LF line endings (`size`: on disk). */
function refuseTooLarge(file: string, path: string, size: number, maxBytes: number, fix: ((bytes: number) => string) | undefined): void {
  let bytes: number;
  try {
    bytes = lfByteSize(path, size, maxBytes);
  } catch (cause) {
    throw unreadable(file, cause);
  }
  if (bytes <= maxBytes) return;
  const counted = bytes === size ? `${size} bytes` : `${bytes} bytes with LF line endings (${size} on disk, each CRLF counted as one byte)`;
  throw new InputError(`${file}: ${counted} is over the ${maxBytes}-byte limit for a migration`, {
    file,
    value: String(bytes),
    fix: fix?.(bytes) ?? 'load bulk data with COPY from the application, not from a migration; or split the file',
  });
}

/**
 * A migration file's text, whole, refused as `loadMigrations` refuses it
 * (unreadable, over MAX_FILE_BYTES, not UTF-8): for the commands that read
 * the files their own way (`lint`).
 */
export function readMigrationText(file: string, path: string): string {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (cause) {
    throw unreadable(file, cause);
  }
  let bytes: Buffer;
  try {
    refuseTooLarge(file, path, fstatSync(fd).size, MAX_FILE_BYTES, undefined);
    bytes = readFileSync(fd);
  } catch (cause) {
    throw cause instanceof MigrationError ? cause : unreadable(file, cause);
  } finally {
    closeSync(fd);
  }
  return decodeUtf8(file, bytes);
}

function unreadable(file: string, cause: unknown): InputError {
  return new InputError(`${file}: cannot read (${(cause as NodeJS.ErrnoException).code ?? String(cause)})`, {
    file,
    cause,
    fix: 'make the file readable by the user running schemaguard',
  });
}

/** Sort by version and refuse duplicate versions (e.g. `3_a.sql` and `003_b.sql`). */
export function orderMigrations<M extends Pick<Migration, 'version' | 'file'>>(migrations: M[]): M[] {
  const sorted = [...migrations].sort((a, b) => a.version - b.version);
  for (let k = 1; k < sorted.length; k++) {
    const a = sorted[k - 1];
    const b = sorted[k];
    if (a.version === b.version) {
      // The next free version is above every file: one in a gap would run before files applied after it.
      const next = sorted[sorted.length - 1].version + 1;
      const renamed = (f: string) => f.replace(/^\d+/, (digits) => String(next).padStart(digits.length, '0'));
      throw new InputError(`duplicate version ${a.version}: ${a.file} and ${b.file}`, {
        file: b.file,
        value: String(a.version),
        version: a.version,
        fix: `give ${b.file} the next free version number, ${next}: rename it to ${renamed(b.file)} (or, if ${b.file} is the one a database already applied, ${a.file} to ${renamed(a.file)})`,
      });
    }
  }
  return sorted;
}
