/** Lint with a database, as `lint --database-url` runs it (the int tests' shared step). */
import { alteredTables, lintMigrations, lintSourceFromText, readLintCatalog, type LintResult } from '../../../../lambda/checks/lint';
import { withClient } from '../../../support/db';

/** Lint `pending` (one text per file, 1_pending.sql, 2_pending.sql, …) with `url`'s catalog, or without one (`withDatabase` false). */
export async function lintWithDatabase(url: string, pending: string[], withDatabase = true): Promise<LintResult> {
  const sources = pending.map((text, k) => lintSourceFromText(`${k + 1}_pending.sql`, text));
  const catalog = withDatabase ? await withClient(url, (c) => readLintCatalog(c, { tables: alteredTables(sources) })) : undefined;
  return lintMigrations(sources, { ...(catalog ? { catalog } : {}) });
}
