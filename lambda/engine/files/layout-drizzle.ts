/**
 * drizzle-kit's migrations folder (`drizzle-kit generate`): `.sql` files and
 * `meta/_journal.json`, whose `entries` are the migrations in the order
 * drizzle's migrator applies them, each `{ idx, when, tag, breakpoints }`:
 * the file is `<tag>.sql` whatever its prefix style (`0000_init`,
 * `20240101120000_init`, `1704067200_init`, or no prefix at all). The
 * version is `idx`; `when` is what the migrator records
 * (`__drizzle_migrations.created_at`). A `.sql` file the journal does not
 * list is one drizzle never applies: refused, not skipped (layout.ts).
 */
import { readFileSync } from 'node:fs';
import { refuseLinkOut } from './links';
import { join, resolve } from 'node:path';
import { InputError } from '../errors/errors';
import { isFileAt, topLevelSql } from './layout-files';
import type { LayoutFile, LayoutListing } from './layout-types';

export const DRIZZLE_JOURNAL = 'meta/_journal.json';
/** The dialects whose migrations are PostgreSQL's (`pg`: drizzle-kit before 0.21). */
const POSTGRES_DIALECTS = ['postgresql', 'pg'];

interface JournalEntry {
  idx: number;
  when: number;
  tag: string;
}

export function drizzleListing(dir: string): LayoutListing {
  const abs = resolve(dir);
  const entries = readJournal(dir, abs);
  const files = entries.map((e, k) => drizzleFile(dir, abs, e, entries[k - 1]));
  refuseUnlisted(dir, abs, files);
  return { layout: 'drizzle', files, metadata: [DRIZZLE_JOURNAL] };
}

function readJournal(dir: string, abs: string): JournalEntry[] {
  const file = join(dir, DRIZZLE_JOURNAL);
  let journal: { dialect?: unknown; entries?: unknown };
  refuseLinkOut(abs, join(abs, DRIZZLE_JOURNAL), file);
  try {
    journal = JSON.parse(readFileSync(join(abs, DRIZZLE_JOURNAL), 'utf8')) as typeof journal;
  } catch (cause) {
    throw new InputError(`${file}: cannot read drizzle's journal (${(cause as NodeJS.ErrnoException).code ?? (cause as Error).message})`, {
      file,
      cause,
      fix: "restore it as drizzle-kit generate wrote it (git checkout), or pass --layout flat when the folder is not drizzle's",
    });
  }
  if (typeof journal.dialect === 'string' && !POSTGRES_DIALECTS.includes(journal.dialect)) {
    throw new InputError(`${file}: dialect "${journal.dialect}": these are not PostgreSQL migrations (schemaguard migrates PostgreSQL)`, {
      file,
      value: journal.dialect,
      fix: 'point --dir (the construct\'s migrationsDir) at the out folder of a drizzle config with dialect: "postgresql"',
    });
  }
  if (!Array.isArray(journal.entries)) {
    throw new InputError(`${file}: no "entries" list`, { file, fix: 'restore the journal as drizzle-kit generate wrote it (git checkout)' });
  }
  return journal.entries.map((e, k) => journalEntry(file, e, k));
}

function journalEntry(file: string, raw: unknown, k: number): JournalEntry {
  const e = (raw ?? {}) as Record<string, unknown>;
  const ok = Number.isSafeInteger(e.idx) && (e.idx as number) >= 0 && Number.isSafeInteger(e.when) && typeof e.tag === 'string' && /^[^/\\]+$/.test(e.tag);
  if (ok) return { idx: e.idx as number, when: e.when as number, tag: e.tag as string };
  throw new InputError(`${file}: entry ${k} (${JSON.stringify(raw).slice(0, 120)}) is not { idx, when, tag } as drizzle-kit writes it`, {
    file,
    value: JSON.stringify(raw).slice(0, 120),
    fix: 'restore the journal as drizzle-kit generate wrote it (git checkout); add a migration with drizzle-kit generate (--custom for hand-written SQL)',
  });
}

function drizzleFile(dir: string, abs: string, e: JournalEntry, before: JournalEntry | undefined): LayoutFile {
  const file = `${e.tag}.sql`;
  if (before && e.idx <= before.idx) {
    throw new InputError(
      `${join(dir, DRIZZLE_JOURNAL)}: entry ${e.tag} has idx ${e.idx}, not above ${before.tag}'s ${before.idx}: drizzle applies the journal's order, schemaguard the idx order`,
      {
        file: join(dir, DRIZZLE_JOURNAL),
        value: String(e.idx),
        version: e.idx,
        fix: 'number the entries in the order they are listed, as drizzle-kit generate does, while no database has applied them',
      },
    );
  }
  if (!isFileAt(join(abs, file))) {
    throw new InputError(`${join(dir, file)}: listed in ${DRIZZLE_JOURNAL} (idx ${e.idx}) but not there; drizzle's migrator stops on it too`, {
      file: join(dir, file),
      value: e.tag,
      version: e.idx,
      fix: 'restore the file (git checkout), or remove the migration with drizzle-kit drop',
    });
  }
  return { file, path: join(abs, file), version: e.idx, name: e.tag.replace(/^\d*_/, ''), origin: String(e.when) };
}

/** A `.sql` file the journal does not list: drizzle never applies it. */
function refuseUnlisted(dir: string, abs: string, files: LayoutFile[]): void {
  const listed = new Set(files.map((f) => f.file));
  const unlisted = topLevelSql(abs).filter((f) => !listed.has(f));
  if (!unlisted.length) return;
  throw new InputError(
    `${join(dir, unlisted[0])}: not in ${DRIZZLE_JOURNAL}, so drizzle never applies it${unlisted.length > 1 ? ` (nor ${unlisted.length - 1} more: ${unlisted.slice(1, 4).join(', ')})` : ''}`,
    {
      file: join(dir, unlisted[0]),
      value: unlisted[0],
      fix: 'write hand-made SQL with drizzle-kit generate --custom --name NAME (it lists the file in the journal), or move the file out of the folder',
    },
  );
}
