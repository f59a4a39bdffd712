/**
 * `schemaguard new NAME`: the next-numbered migration file in --dir, padded
 * like the files already there, with a header that says what it locks and the
 * directives it may use, commented out. The directory is read leniently (a
 * broken file elsewhere does not stop a new one); no database is involved.
 */
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { InputError } from '../../../lambda/engine/errors/errors';
import { FILE_NAME_PATTERN, MILLISECOND_VERSIONS_FIX } from '../../../lambda/engine/files/source';
import { migrationTemplate } from '../../../lambda/engine/files/template';
import { layoutOf } from '../../../lambda/engine/files/layout';
import { UsageError } from '../errors';
import { refuseWritingOutside } from '../project-config';
import type { ContextOf } from './context';
import { present } from '../../../lambda/engine/errors/present';

const NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;
/** Digits of the first file's version when the directory has none. */
const DEFAULT_WIDTH = 4;

/**
 * A leading version: digits, then the separators a file name's version ends
 * with (`_`, and `-`, which the file reader reads as a version to rename:
 * `5-add-phone.sql` → `5_add_phone.sql`).
 */
const LEADING_VERSION = /^\d+[_-]+(?=[A-Za-z0-9])/;

/** NAME as a file-name part, or a UsageError that suggests one. */
export function migrationName(raw: string): string {
  // A leading version (0010_foo, 0010-foo) is a file name's, not a name's: new numbers the file itself.
  if (NAME_PATTERN.test(raw) && !/\.sql$/i.test(raw) && !LEADING_VERSION.test(raw)) return raw;
  // Accents dropped, not the letters (café → cafe): NFKD splits é into e and a combining mark.
  // A file name's version goes too: new numbers the file (0010_foo.sql would make 0011_0010_foo.sql).
  const suggestion = raw
    .replace(/\.sql$/i, '')
    .replace(/^\d+[_-]+(?=[^_-])/, '')
    .normalize('NFKD')
    .replace(/\p{M}+/gu, '')
    .trim()
    .toLowerCase()
    .replace(/[^a-z0-9_.-]+/g, '_')
    .replace(/^[^a-z0-9]+|_+$/g, '');
  throw new UsageError(
    `bad migration name "${raw}": a name is letters, digits, _ . or -, starting with a letter or digit (no version: new numbers the file; no .sql, no spaces, no /)`,
    {
      value: raw,
      fix:
        (suggestion ? `e.g. schemaguard new ${suggestion}` : 'e.g. schemaguard new add_lead_index') +
        (LEADING_VERSION.test(raw) && !/\.sql$/i.test(raw) && suggestion
          ? `; a number that is part of the name goes after a word (${numberAfter(raw, suggestion)})`
          : ''),
    },
  );
}

/** `2024-q1-cleanup` → `q1-cleanup-2024`: the leading number after the name, joined as it was. */
function numberAfter(raw: string, name: string): string {
  const [, digits, separator] = present(/^(\d+)([_-])/.exec(raw));
  return `${name}${separator}${digits}`;
}

/**
 * The widths of a version that reads as a UTC time, each continued in its own
 * width: YYYYMMDDHHMM (Flyway's V202401011230__name.sql) and YYYYMMDDHHMMSS
 * (dbmate, goose, golang-migrate, Rails, Prisma).
 */
const TIMESTAMP_WIDTHS: readonly number[] = [12, 14];

/** True when `digits` is a valid UTC time in one of TIMESTAMP_WIDTHS (year 1970 or later). */
function isTimestamp(digits: string): boolean {
  if (!TIMESTAMP_WIDTHS.includes(digits.length)) return false;
  const field = (at: number) => Number(digits.slice(at, at + 2));
  const [y, mo, d, h, mi, s] = [Number(digits.slice(0, 4)), field(4), field(6), field(8), field(10), digits.length > 12 ? field(12) : 0];
  const t = new Date(Date.UTC(y, mo - 1, d, h, mi, s));
  return y >= 1970 && t.getUTCMonth() === mo - 1 && t.getUTCDate() === d && t.getUTCHours() === h && t.getUTCMinutes() === mi && t.getUTCSeconds() === s;
}

/** `now` in UTC as the first `width` digits of YYYYMMDDHHMMSS. */
function timestampOf(now: Date, width: number): bigint {
  return BigInt(now.toISOString().replace(/\D/g, '').slice(0, width));
}

/**
 * The next file name after `existing` (file names in the directory): highest
 * version + 1, padded like the newest file — or, where the newest version is
 * a timestamp, the time `now` (UTC) in its width, so that two branches adding
 * a file each do not take the same version. Versions compare as integers of
 * any length (a 17-digit one is past a JavaScript number's exact range); the
 * version written stays below 2^53, as every version schemaguard reads. Pure.
 */
export function nextMigrationFile(existing: readonly string[], name: string, now = new Date()): { version: number; file: string } {
  let newest: { version: bigint; digits: string } | undefined;
  for (const entry of existing) {
    const m = FILE_NAME_PATTERN.exec(entry);
    if (!m) continue;
    const version = BigInt(m[1]);
    if (!newest || version > newest.version) newest = { version, digits: m[1] };
  }
  const next = (newest?.version ?? 0n) + 1n;
  const stamp = newest && isTimestamp(newest.digits) ? timestampOf(now, newest.digits.length) : 0n;
  const version = stamp > next ? stamp : next;
  const padded = newest?.digits.startsWith('0') ? newest.digits.length : newest ? 0 : DEFAULT_WIDTH;
  const file = `${String(version).padStart(padded, '0')}_${name}.sql`;
  if (version > BigInt(Number.MAX_SAFE_INTEGER)) throw versionTooLarge(present(newest).digits, file);
  return { version: Number(version), file };
}

/** The newest file's version is past 2^53 (node-pg-migrate's YYYYMMDDHHMMSSmmm): the file after it would be too. */
function versionTooLarge(newest: string, file: string): InputError {
  return new InputError(
    `new: the next version after ${newest} would be ${file.split('_')[0]}, above 2^53 (${Number.MAX_SAFE_INTEGER}), the largest version schemaguard reads; nothing was created`,
    {
      value: newest,
      fix: newest.length === 17 ? MILLISECOND_VERSIONS_FIX : 'number the files with versions below 2^53 (at most 15 digits), keeping their order',
    },
  );
}

export async function newCommand(ctx: ContextOf<'new'>): Promise<number> {
  const { opts } = ctx;
  const name = migrationName(opts.args[0]);
  refuseWritingOutside(opts, 'dir', 'new');
  const missing = !existsSync(opts.dir);
  const layout = missing ? 'flat' : layoutOf(opts.dir, opts.layout);
  if (layout !== 'flat') {
    throw new UsageError(`new: ${opts.dir} is ${layout === 'prisma' ? "Prisma's" : "drizzle's"} migrations folder, whose tool names and lists its migrations`, {
      value: opts.dir,
      fix:
        layout === 'prisma'
          ? `write it with prisma migrate dev --create-only --name ${name} (schemaguard lints, plans and applies it)`
          : `write it with drizzle-kit generate --custom --name ${name} (it lists the file in meta/_journal.json; schemaguard lints, plans and applies it)`,
    });
  }
  const { version, file } = nextMigrationFile(missing ? [] : readDirectory(opts.dir), name);
  refuseLongFileName(name, file);
  if (missing) {
    mkdirSync(opts.dir, { recursive: true });
    ctx.progress(`created the migrations directory ${opts.dir}/`);
  }
  const path = join(opts.dir, file);
  try {
    writeFileSync(path, migrationTemplate(file), { flag: 'wx' });
  } catch (cause) {
    const code = (cause as NodeJS.ErrnoException).code;
    throw new InputError(`${path}: cannot create (${code ?? String(cause)})`, {
      file,
      value: path,
      cause,
      fix:
        code === 'EEXIST' ? 'another file took this version meanwhile: run schemaguard new again' : `check that ${opts.dir}/ is a directory you can write to`,
    });
  }
  if (opts.json) ctx.out(JSON.stringify({ command: 'new', version, file, path }));
  else
    ctx.out(
      `created ${path}\n  write its statements, then: schemaguard lint (what it risks), schemaguard plan (each statement's lock and table size), schemaguard migrate`,
    );
  return 0;
}

/** The most bytes in a file name (NAME_MAX of Linux, macOS and Windows file systems). */
const MAX_FILE_NAME_BYTES = 255;

/** A name that makes a file name longer than a file system takes is refused before anything is created (it failed with a bare ENAMETOOLONG). */
function refuseLongFileName(name: string, file: string): void {
  const bytes = Buffer.byteLength(file);
  if (bytes <= MAX_FILE_NAME_BYTES) return;
  const most = MAX_FILE_NAME_BYTES - (bytes - Buffer.byteLength(name));
  const shorter = name.slice(0, Math.min(most, 60)).replace(/[_.-]+$/, '');
  throw new UsageError(
    `migration name too long: ${name.length} characters, which make the file name ${bytes} bytes (${file.slice(0, 40)}…); a file name has at most ${MAX_FILE_NAME_BYTES}`,
    {
      value: `${name.slice(0, 40)}…`,
      fix: `shorten NAME to at most ${most} characters, e.g. schemaguard new ${shorter}`,
    },
  );
}

function readDirectory(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch (cause) {
    throw new InputError(`${dir}: cannot read the migrations directory (${(cause as NodeJS.ErrnoException).code ?? String(cause)})`, {
      file: dir,
      value: dir,
      cause,
      fix: 'pass the directory that holds the migrations with --dir',
    });
  }
}
