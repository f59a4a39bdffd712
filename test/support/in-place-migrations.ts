/**
 * migrations/ and its earlier, in-place texts, without the test runner (the
 * benchmarks load them too).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadMigrations, parseMigration, type Migration } from '../../lambda/engine/files/source';
import { ROOT } from './cli';

export const MIGRATIONS_DIR = join(ROOT, 'migrations');
/** The texts of 0003, 0004 and 0007 as shipped before their online forms (see docs/app/online-fixes.md). */
export const IN_PLACE_DIR = join(ROOT, 'test', 'fixtures', 'migrations-in-place');

/**
 * migrations/ as it was shipped before the online forms: today's files, with
 * 0003, 0004 and 0007 replaced by their earlier, in-place texts.
 */
export function inPlaceMigrations(): Migration[] {
  const earlier = new Map(
    readdirSync(IN_PLACE_DIR)
      .filter((f) => f.endsWith('.sql'))
      .map((f) => parseMigration(f, readFileSync(join(IN_PLACE_DIR, f), 'utf8'), join(IN_PLACE_DIR, f)))
      .map((m) => [m.version, m]),
  );
  return loadMigrations(MIGRATIONS_DIR).map((m) => earlier.get(m.version) ?? m);
}
