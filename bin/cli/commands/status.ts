/** `schemaguard status`: applied / pending / changed / unknown, as a table; writes nothing. */
import type { Plan } from '../../../lambda/engine/plan';
import { inspect } from '../../../lambda/engine/runner';
import { loadMigrationsAsync } from '../../../lambda/engine/source';
import { statusTable } from '../format';
import { readWhileConnecting, stateSchemaFlag, type CommandContext } from './context';

export async function statusCommand(ctx: CommandContext): Promise<number> {
  const { opts } = ctx;
  const { files: migrations, driver, where } = await readWhileConnecting(ctx, () => loadMigrationsAsync(opts.dir));
  try {
    const plan = await inspect({ driver, migrations, stateSchema: stateSchemaFlag(opts) });
    if (opts.json) ctx.out(JSON.stringify(statusJson(driver.target, plan)));
    else ctx.out(statusReport(`${driver.target}${where}`, plan));
    return opts.exitCode ? gateExitCode(ctx, plan) : 0;
  } finally {
    await driver.end();
  }
}

/** `--exit-code`: 1 when migrate has work to do or would refuse a changed file, with the reason on stderr. */
function gateExitCode(ctx: CommandContext, plan: Plan): number {
  if (plan.pending.length === 0 && plan.changed.length === 0) return 0;
  const parts = [];
  if (plan.pending.length) parts.push(`${plan.pending.length} pending (${plan.pending.map((m) => m.file).join(', ')})`);
  if (plan.changed.length) parts.push(`${plan.changed.length} changed after it was applied (${plan.changed.map((c) => c.migration!.file).join(', ')})`);
  ctx.err(`status --exit-code: ${parts.join('; ')}`);
  return 1;
}

export function statusJson(target: string, plan: Plan): Record<string, unknown> {
  return {
    command: 'status', target, currentVersion: plan.currentVersion,
    migrations: plan.entries.map((e) => ({
      version: e.version, name: e.name, status: e.status, kind: e.applied?.kind, reason: e.applied?.reason, outOfOrder: e.outOfOrder || undefined,
      appliedAt: e.applied?.appliedAt.toISOString(), appliedBy: e.applied?.appliedBy, executionMs: e.applied?.executionMs,
      checksum: e.migration?.checksum, appliedChecksum: e.applied?.checksum,
    })),
  };
}

export function statusReport(target: string, plan: Plan): string {
  const count = (s: string) => plan.entries.filter((e) => e.status === s).length;
  const baselined = plan.entries.filter((e) => e.status === 'applied' && e.applied?.kind === 'baseline').length;
  return [
    `status of ${target}`,
    statusTable(plan),
    `${count('applied')} applied${baselined ? ` (${baselined} baselined)` : ''}, ${count('pending')} pending, ${count('changed')} changed, ${count('unknown')} unknown; version ${plan.currentVersion ?? 'none'}`,
  ].join('\n');
}
