/**
 * Helpers for the schema-fix tests: load a drifted fixture, run the real
 * engine over migrations/, dump the catalog, count rows, read contracts/.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PgDriver } from '../../lambda/driver/pg/pg-driver';
import { migrate, type MigrateResult } from '../../lambda/engine/runner';
import { loadMigrations, type Migration } from '../../lambda/engine/files/source';
import { readCatalog, type Catalog } from '../../lambda/schema/catalog';
import { ROOT } from './cli';
import { rows, withClient } from './db';
import { MIGRATIONS_DIR } from './in-place-migrations';

export { inPlaceMigrations, IN_PLACE_DIR, MIGRATIONS_DIR } from './in-place-migrations';
export const FIXTURES_DIR = join(ROOT, 'test', 'fixtures', 'drift');
export const CONTRACTS_DIR = join(ROOT, 'contracts');
/** Run a fixture script (plain SQL, several statements) against the database. */
export async function loadFixture(url: string, name: string): Promise<void> {
  const sql = readFileSync(join(FIXTURES_DIR, `${name}.sql`), 'utf8');
  await withClient(url, (c) => c.query(sql));
}

/**
 * `migrate` from lambda/engine/runner.ts over migrations/, as the CLI runs it;
 * `upTo` stops after that version, `lockTimeoutMs`/`lockRetries` as the CLI flags;
 * `migrations` replaces the files (e.g. `inPlaceMigrations()`).
 */
export async function runFixes(
  url: string,
  options: { upTo?: number; lockTimeoutMs?: number; lockRetries?: number; migrations?: Migration[] } = {},
): Promise<MigrateResult> {
  const driver = new PgDriver({ connectionString: url });
  try {
    return await migrate({
      driver,
      migrations: (options.migrations ?? loadMigrations(MIGRATIONS_DIR)).filter((m) => m.version <= (options.upTo ?? Infinity)),
      appliedBy: 'schema-fix tests',
      lockWaitMs: 10_000,
      retryDelayMs: 50,
      lockTimeoutMs: options.lockTimeoutMs,
      lockRetries: options.lockRetries,
    });
  } finally {
    await driver.end();
  }
}

export async function catalogOf(url: string): Promise<Catalog> {
  return withClient(url, (c) => readCatalog(c));
}

export async function appliedVersions(url: string): Promise<number[]> {
  const exists = await rows<{ t: string | null }>(url, `SELECT to_regclass('schemaguard.applied_migrations')::text AS t`);
  if (!exists[0]?.t) return [];
  return (await rows<{ version: string }>(url, 'SELECT version FROM schemaguard.applied_migrations ORDER BY version')).map((r) => Number(r.version));
}

/** Row count of every table in public, by table name. */
export async function rowCounts(url: string): Promise<Record<string, number>> {
  return withClient(url, async (c) => {
    const tables = (await c.query<{ t: string }>(`SELECT tablename AS t FROM pg_tables WHERE schemaname = 'public' ORDER BY 1`)).rows;
    const out: Record<string, number> = {};
    for (const { t } of tables) {
      out[t] = Number((await c.query<{ n: string }>(`SELECT count(*) AS n FROM public.${c.escapeIdentifier(t)}`)).rows[0]!.n);
    }
    return out;
  });
}

/** The statement of a contracts/ file (its header comment stays: PostgreSQL ignores it). */
export function contract(name: string): string {
  return readFileSync(join(CONTRACTS_DIR, `${name}.sql`), 'utf8');
}

export const ALL_VERSIONS = [1, 2, 3, 4, 5, 6, 7, 8, 9];
