/** planLocks on migration files against a real database's catalog, as `plan --database-url` runs it (the locks tests' shared step). */
import { readLintCatalog } from '../../../../lambda/checks/lint/catalog';
import { planLocks, type LockPlan } from '../../../../lambda/checks/locks/plan-locks';
import { PgDriver } from '../../../../lambda/driver/pg/pg-driver';
import { loadMigrations } from '../../../../lambda/engine/files/source';
import { tempDir } from '../../../support/files';

/** The plan of `files` (name → SQL) with `url`'s catalog (or none, `catalog: false`), warning from `warnRows` rows. */
export async function planWithCatalog(url: string, files: Record<string, string>, options: { catalog?: boolean; warnRows?: number } = {}): Promise<LockPlan> {
  const driver = new PgDriver({ connectionString: url });
  const session = await driver.connect();
  try {
    // With a database, plan reads lint's catalog too (the zone, the functions' volatility), as the CLI does.
    const catalogs = options.catalog === false ? {} : { catalog: session, lintCatalog: await readLintCatalog(session) };
    return await planLocks(loadMigrations(tempDir(files)), { ...catalogs, ...(options.warnRows ? { warnRows: options.warnRows } : {}) });
  } finally {
    await session.close();
    await driver.end();
  }
}
