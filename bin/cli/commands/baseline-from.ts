/** `schemaguard baseline --from flyway|node-pg-migrate|golang-migrate|prisma`: the version comes from the other tool's history table. */
import { baselineVersionFrom, readForeignHistory, repeatableList } from '../../../lambda/engine/foreign-history/foreign-history';
import { loadMigrations } from '../../../lambda/engine/files/source';
import { UsageError } from '../errors';
import { runBaseline } from './baseline-run';
import { connectTarget, type ContextOf } from './context';
import { present } from '../../../lambda/engine/errors/present';

export async function baselineFromCommand(ctx: ContextOf<'baseline'>): Promise<number> {
  const { opts } = ctx;
  const source = present(opts.from);
  if (opts.args.length) {
    throw new UsageError(`baseline takes a VERSION or --from ${source}, not both`, { value: opts.args[0], fix: `write schemaguard baseline --from ${source}` });
  }
  const migrations = loadMigrations(opts.dir, { layout: opts.layout });
  const { driver, where } = await connectTarget(ctx);
  try {
    const session = await driver.connect();
    let version: number;
    let table: string;
    let repeatables: string[];
    try {
      const history = await readForeignHistory(session, source);
      version = baselineVersionFrom(history, migrations);
      table = history.table;
      repeatables = history.repeatables ?? [];
    } finally {
      await session.close();
    }
    ctx.progress(`${table}: ${source} applied up to version ${version}`);
    if (repeatables.length) {
      ctx.progress(
        `note: ${table} also records repeatable migrations (${repeatableList(repeatables)}): they have no version and nothing is recorded for them; ` +
          `a file that holds one's text runs with migrate when its version is above ${version} (keep it re-runnable: CREATE OR REPLACE)`,
      );
    }
    ctx.opts.reason ??= `adopted from ${source} (${table}, up to version ${version})`;
    return await runBaseline(ctx, driver, where, migrations, version);
  } finally {
    await driver.end();
  }
}
