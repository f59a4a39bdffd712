/**
 * The re-run trigger of the custom resource: one sha-256 over the migration
 * and contract files. The construct puts it in the resource properties at
 * synth time (an unchanged set of files → unchanged properties → no Update
 * event → nothing runs); the handler computes the same value over the files
 * it was bundled with, to tell when the two disagree. Pure Node, no CDK.
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { normaliseLineEndings } from '../engine/checksum';
import { FILE_NAME_PATTERN } from '../engine/source';

export interface FilesSummary {
  /** sha-256, hex. */
  hash: string;
  /** Number of migration files (`<version>_<name>.sql`). */
  migrationCount: number;
  /** Highest migration version, or 0 when there is none. */
  latestVersion: number;
  /** The largest migration file (what decides the memory the handler needs), when there is one. */
  largestMigration?: { file: string; bytes: number };
}

/** Files under `dir`, recursively, sorted; dot files and dot directories are skipped. */
function listFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const entry of readdirSync(d).sort()) {
      if (entry.startsWith('.')) continue;
      const p = join(d, entry);
      const st = statSync(p);
      if (st.isDirectory()) walk(p);
      else if (st.isFile()) out.push(p);
    }
  };
  walk(dir);
  return out;
}

/**
 * Hash `migrationsDir` and, when it exists, `contractsDir`. Line endings are
 * normalised to LF, as the engine's checksums are, so a CRLF checkout does not
 * re-run anything.
 */
export function summariseFiles(migrationsDir: string, contractsDir?: string): FilesSummary {
  const h = createHash('sha256');
  let migrationCount = 0;
  let latestVersion = 0;
  let largestMigration: FilesSummary['largestMigration'];
  const dirs: [string, string | undefined][] = [['migrations', migrationsDir], ['contracts', contractsDir]];
  for (const [label, dir] of dirs) {
    if (dir === undefined || !existsSync(dir)) continue;
    for (const file of listFiles(dir)) {
      const rel = relative(dir, file).split(sep).join('/');
      h.update(`${label}/${rel}\0`);
      const bytes = readFileSync(file);
      h.update(normaliseLineEndings(bytes.toString('utf8')));
      h.update('\0');
      if (label === 'migrations' && !rel.includes('/')) {
        const m = FILE_NAME_PATTERN.exec(rel);
        if (m) {
          migrationCount++;
          if (bytes.length > (largestMigration?.bytes ?? -1)) largestMigration = { file: rel, bytes: bytes.length };
          latestVersion = Math.max(latestVersion, Number(m[1]));
        }
      }
    }
  }
  return { hash: h.digest('hex'), migrationCount, latestVersion, ...(largestMigration ? { largestMigration } : {}) };
}
