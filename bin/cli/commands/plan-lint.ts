/** The lint findings `plan` prints under its table: pending migrations, with the applied ones as context. */
import type { Plan } from '../../../lambda/engine/plan';
import type { Migration } from '../../../lambda/engine/source';
import { lintMigrations, lintSourceOf } from '../../../lambda/checks/lint';
import { lintJson, lintReport } from './lint';

export async function lintPlan(migrations: Migration[], plan: Plan, format: 'text'): Promise<string>;
export async function lintPlan(migrations: Migration[], plan: Plan, format: 'json'): Promise<Record<string, unknown>>;
export async function lintPlan(migrations: Migration[], plan: Plan, format: 'text' | 'json'): Promise<string | Record<string, unknown>> {
  const pending = new Set(plan.pending.map((m) => m.version));
  const result = await lintMigrations(migrations.map((m) => lintSourceOf(m, !pending.has(m.version))));
  return format === 'json' ? lintJson(result) : lintReport(result);
}
