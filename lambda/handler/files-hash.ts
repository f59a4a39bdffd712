/**
 * The re-run trigger of the custom resource: one sha-256 over the migration
 * and contract files. The construct puts it in the resource properties at
 * synth time (an unchanged set of files → unchanged properties → no Update
 * event → nothing runs); the handler computes the same value over the files
 * it was bundled with, to tell when the two disagree. Pure Node, no CDK.
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { normaliseLineEndings } from '../engine/files/checksum';
import { layoutOf, listLayout, type MigrationLayout } from '../engine/files/layout';
import { FILE_NAME_PATTERN } from '../engine/files/source';

export interface FilesSummary {
  /** sha-256, hex. */
  hash: string;
  /** Number of migration files (`<version>_<name>.sql`). */
  migrationCount: number;
  /** Highest migration version, or 0 when there is none. */
  latestVersion: number;
  /** The largest migration file (what decides the memory the handler needs), when there is one; its bytes with LF line endings. */
  largestMigration?: { file: string; bytes: number };
}

/**
 * The files of `dir` the handler reads, sorted: its `.sql` files (any case),
 * not in subfolders, not dot files, links followed — what the engine loads as
 * migrations (lambda/engine/files/source.ts) and as contracts
 * (lambda/checks/contracts/index.ts). Anything else there (a README, JSON
 * contracts of another tool, an archive folder) is neither hashed nor
 * shipped, so changing it redeploys nothing.
 */
export function readFiles(dir: string): string[] {
  return readdirSync(dir)
    .sort()
    .filter((entry) => !entry.startsWith('.') && entry.toLowerCase().endsWith('.sql') && isFile(join(dir, entry)));
}

/**
 * The files of a migrations directory the handler reads, relative to it: a
 * flat one's `readFiles`; Prisma's `<folder>/migration.sql` files and its lock
 * file; drizzle's listed `.sql` files and `meta/_journal.json`. Shipped with
 * the handler and hashed; nothing else there is (a drizzle snapshot, a README).
 */
export function migrationFilesOf(dir: string, layout?: MigrationLayout): string[] {
  const read = layoutOf(dir, layout);
  if (read === 'flat') return readFiles(dir);
  const listing = listLayout(dir, read);
  return [...listing.files.map((f) => f.file), ...listing.metadata].sort();
}

/** The version of each migration file of `dir` (relative path → version), as its layout gives them. */
function versionsOf(dir: string, layout: MigrationLayout | undefined): Map<string, number> {
  const read = layoutOf(dir, layout);
  if (read !== 'flat') return new Map(listLayout(dir, read).files.map((f) => [f.file, f.version]));
  return new Map(
    readFiles(dir).flatMap((f) => {
      const m = FILE_NAME_PATTERN.exec(f);
      return m ? [[f, Number(m[1])] as [string, number]] : [];
    }),
  );
}

function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

/**
 * Hash the files the handler reads of `migrationsDir` and, when it exists,
 * `contractsDir` (readFiles). Line endings are
 * normalised to LF, as the engine's checksums are, so a CRLF checkout does not
 * re-run anything.
 */
export function summariseFiles(migrationsDir: string, contractsDir?: string, layout?: MigrationLayout): FilesSummary {
  const h = createHash('sha256');
  let migrationCount = 0;
  let latestVersion = 0;
  let largestMigration: FilesSummary['largestMigration'];
  const dirs: [string, string | undefined][] = [
    ['migrations', migrationsDir],
    ['contracts', contractsDir],
  ];
  for (const [label, dir] of dirs) {
    if (dir === undefined || !existsSync(dir)) continue;
    const versions = label === 'migrations' ? versionsOf(dir, layout) : new Map<string, number>();
    for (const rel of label === 'migrations' ? migrationFilesOf(dir, layout) : readFiles(dir)) {
      h.update(`${label}/${rel}\0`);
      const bytes = readFileSync(join(dir, rel));
      h.update(normaliseLineEndings(bytes.toString('utf8')));
      h.update('\0');
      const version = versions.get(rel);
      if (version !== undefined) {
        migrationCount++;
        // Counted as the engine counts a file against its limit: with LF line endings (lfByteSize).
        const size = bytes.length - crlfPairs(bytes);
        if (size > (largestMigration?.bytes ?? -1)) largestMigration = { file: rel, bytes: size };
        latestVersion = Math.max(latestVersion, version);
      }
    }
  }
  return { hash: h.digest('hex'), migrationCount, latestVersion, ...(largestMigration ? { largestMigration } : {}) };
}

/** How many CRLFs `bytes` holds. */
function crlfPairs(bytes: Buffer): number {
  let n = 0;
  for (let k = bytes.indexOf(0x0d); k >= 0; k = bytes.indexOf(0x0d, k + 1)) if (bytes[k + 1] === 0x0a) n++;
  return n;
}
