/** planLocks on migration files against a real database's catalog, as `plan --database-url` runs it (the locks tests' shared step). */
import { planLocks, type LockPlan } from '../../../../lambda/checks/locks/plan-locks';
import { PgDriver } from '../../../../lambda/driver/pg/pg-driver';
import { loadMigrations } from '../../../../lambda/engine/source';
import { tempDir } from '../../../support/files';

/** The plan of `files` (name → SQL) with `url`'s catalog (or none, `catalog: false`), warning from `warnRows` rows. */
export async function planWithCatalog(url: string, files: Record<string, string>, options: { catalog?: boolean; warnRows?: number } = {}): Promise<LockPlan> {
  const driver = new PgDriver({ connectionString: url });
  const session = await driver.connect();
  try {
    return await planLocks(loadMigrations(tempDir(files)), { ...(options.catalog === false ? {} : { catalog: session }), ...(options.warnRows ? { warnRows: options.warnRows } : {}) });
  } finally {
    await session.close();
    await driver.end();
  }
}
