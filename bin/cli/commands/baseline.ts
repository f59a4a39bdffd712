/**
 * `schemaguard baseline VERSION`: adopt an existing database. The files up to
 * VERSION are recorded as applied without running them (kind `baseline`,
 * with who and --reason), under the runner lock, in one transaction.
 */
import { baselineFiles } from '../../../lambda/engine/state/baseline';
import { loadMigrations } from '../../../lambda/engine/files/source';
import { UsageError } from '../errors';
import { baselineFromCommand } from './baseline-from';
import { runBaseline } from './baseline-run';
import { versionArgument } from './version-argument';
import { connectTarget, type ContextOf } from './context';

export async function baselineCommand(ctx: ContextOf<'baseline'>): Promise<number> {
  const { opts } = ctx;
  if (opts.from) return baselineFromCommand(ctx);
  if (!opts.args[0])
    throw new UsageError('baseline needs a VERSION', {
      fix: 'write schemaguard baseline VERSION (the newest file the database already reflects), or --from flyway|node-pg-migrate|golang-migrate|prisma',
    });
  const version = versionArgument(opts.args[0], 'baseline');
  // Files first: bad input (or a version no file has) never reaches a database.
  const migrations = loadMigrations(opts.dir, { layout: opts.layout });
  baselineFiles(migrations, version);
  const { driver, where } = await connectTarget(ctx);
  try {
    return await runBaseline(ctx, driver, where, migrations, version);
  } finally {
    await driver.end();
  }
}
