/** The lint findings `plan` prints under its table: pending migrations, with the applied ones as context. */
import type { Plan } from '../../../lambda/engine/plan';
import type { Migration } from '../../../lambda/engine/source';
import { lintMigrations, lintSourceOf, type LintResult } from '../../../lambda/checks/lint';

export async function lintPlan(migrations: Migration[], plan: Plan): Promise<LintResult> {
  const pending = new Set(plan.pending.map((m) => m.version));
  return lintMigrations(migrations.map((m) => lintSourceOf(m, !pending.has(m.version))));
}
