/**
 * `schemaguard repair [VERSION…] --reason TEXT`: accept the current text of
 * applied files that were edited after they ran. Nothing is run; each
 * accepted change is audited (old and new checksum, who, why).
 */
import { shortChecksum } from '../../../lambda/engine/files/checksum';
import { InputError } from '../../../lambda/engine/errors/errors';
import { repair, repairReason, type RepairResult } from '../../../lambda/engine/state/repair';
import { loadMigrations } from '../../../lambda/engine/files/source';
import { UsageError } from '../errors';
import { versionArgument } from './version-argument';
import { appliedBy, connectTarget, stateSchemaFlag, type ContextOf } from './context';
import { lockWaitLine } from './migrate';
import { noun } from '../../../lambda/engine/errors/words';

export async function repairCommand(ctx: ContextOf<'repair'>): Promise<number> {
  const { opts } = ctx;
  const reason = reasonFlag(opts.reason);
  const versions = opts.args.length ? opts.args.map((a) => versionArgument(a, 'repair')) : undefined;
  const migrations = loadMigrations(opts.dir, { layout: opts.layout });
  const { driver, where } = await connectTarget(ctx);
  try {
    ctx.progress(`repair ${driver.target}${where}: ${versions ? `version ${versions.join(', ')}` : 'every changed file'} in ${opts.dir}/`);
    const result = await repair({
      driver,
      migrations,
      reason,
      versions,
      rename: opts.rename,
      stateSchema: stateSchemaFlag(opts),
      actor: appliedBy(ctx.env),
      lockWaitMs: opts.lockWaitMs,
      onLockWait: (holders) => ctx.progress(lockWaitLine(holders)),
    });
    ctx.out(opts.json ? JSON.stringify({ command: 'repair', target: driver.target, reason, ...result }) : repairReport(result));
    return 0;
  } finally {
    await driver.end();
  }
}

/** --reason, refused as a usage error (before anything is read) when missing or blank. */
function reasonFlag(raw: string | undefined): string {
  try {
    return repairReason(raw);
  } catch (e) {
    throw e instanceof InputError ? new UsageError(`${e.message} (--reason TEXT)`, { fix: e.fix, cause: e }) : e;
  }
}

export function repairReport(result: RepairResult): string {
  if (result.repaired.length === 0) return 'repair: nothing to accept, no applied file changed';
  return [
    `repair: accepted the new text of ${result.repaired.length} applied ${noun(result.repaired.length, 'file')} (nothing was run):`,
    ...result.repaired.map(
      (r) => `  ${r.file}: ${shortChecksum(r.oldChecksum)} -> ${shortChecksum(r.newChecksum)}${r.oldName !== undefined ? ` (was "${r.oldName}")` : ''}`,
    ),
  ].join('\n');
}
