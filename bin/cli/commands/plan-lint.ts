/** The lint findings `plan` prints under its table: pending migrations, with the applied ones as context. */
import type { Queryable } from '../../../lambda/engine/ports';
import type { Plan } from '../../../lambda/engine/plan';
import type { Migration } from '../../../lambda/engine/source';
import { lintMigrations, lintSourceOf, needsDependencies, readLintCatalog, type LintResult } from '../../../lambda/checks/lint';

/** With a session, functions' volatility, domains and dependencies come from the database (`readLintCatalog`). */
export async function lintPlan(migrations: Migration[], plan: Plan, session?: Queryable, onUnread?: (line: string) => void): Promise<LintResult> {
  const pending = new Set(plan.pending.map((m) => m.version));
  const sources = migrations.map((m) => lintSourceOf(m, !pending.has(m.version)));
  const catalog = session ? await readLintCatalog(session, { dependencies: needsDependencies(sources), onUnread }) : undefined;
  return lintMigrations(sources, { catalog });
}
