/** `schemaguard plan`: what would run, in order, with directives and the lint findings; writes nothing. */
import type { Plan } from '../../../lambda/engine/plan';
import { inspect } from '../../../lambda/engine/runner';
import { loadMigrations, type Migration } from '../../../lambda/engine/source';
import { planTable } from '../format';
import { connectTarget, stateSchemaFlag, type CommandContext } from './context';
import { lintPlan } from './plan-lint';

export async function planCommand(ctx: CommandContext): Promise<number> {
  const { opts } = ctx;
  // Files first: bad input never reaches (or starts) a database.
  const migrations = loadMigrations(opts.dir);
  const { driver, where } = await connectTarget(ctx);
  try {
    const plan = await inspect({ driver, migrations, stateSchema: stateSchemaFlag(opts) });
    if (opts.json) ctx.out(JSON.stringify(await planJson(driver.target, migrations, plan)));
    else await printPlan(ctx.out, `${driver.target}${where}`, opts.dir, migrations, plan);
    return 0;
  } finally {
    await driver.end();
  }
}

export async function planJson(target: string, migrations: Migration[], plan: Plan): Promise<Record<string, unknown>> {
  return {
    command: 'plan', target, currentVersion: plan.currentVersion,
    pending: plan.pending.map((m) => ({ version: m.version, name: m.name, file: m.file, checksum: m.checksum, statements: m.statements.length, checks: m.checks.map((c) => c.description), directives: m.directives })),
    changed: plan.changed.map((c) => c.migration!.file),
    unknown: plan.unknown.map((u) => u.version),
    lint: await lintPlan(migrations, plan, 'json'),
  };
}

/** The table first, the lint under it: a file the parser refuses still shows where it stands in the plan. */
export async function printPlan(out: (text: string) => void, target: string, dir: string, migrations: Migration[], plan: Plan): Promise<void> {
  out(`plan for ${target}: ${plan.pending.length} pending of ${migrations.length} in ${dir}/`);
  out(planTable(plan));
  for (const c of plan.changed) out(`warning: ${c.migration!.file} changed after it was applied (migrate will refuse)`);
  for (const u of plan.unknown) out(`warning: version ${u.version} (${u.name}) is applied but has no file (migrate needs --allow-ahead)`);
  out(await lintPlan(migrations, plan, 'text'));
}
