/** Migrations pending, changed or unknown, compared with the files: ticket findings. */
import { shortChecksum } from '../../engine/files/checksum';
import { appliedAsOther, type Plan } from '../../engine/state/plan';
import type { GuardFinding } from './report';
import { GUARD_RULES } from './rules';
import { plural } from '../../engine/errors/words';

export function migrationFindings(plan: Plan): GuardFinding[] {
  const { migrationPending: pending, migrationChanged: changed, migrationUnknown: unknown } = GUARD_RULES;
  return [
    ...plan.pending.map(
      (m): GuardFinding => ({
        kind: 'migration',
        rule: pending.id,
        severity: pending.severity,
        object: m.file,
        message: `${m.file} is not applied${plan.outOfOrder.includes(m) ? ` (older than the newest applied version ${plan.currentVersion}: migrate needs --out-of-order)` : ''}`,
        why: pending.why,
        fix: pending.fix,
      }),
    ),
    ...plan.changed.map(
      (e): GuardFinding => ({
        kind: 'migration',
        rule: changed.id,
        severity: changed.severity,
        object: e.migration.file,
        message:
          appliedAsOther(e) === undefined
            ? `${e.migration.file} changed after it was applied (applied ${shortChecksum(e.applied.checksum)}, file ${shortChecksum(e.migration.checksum)})`
            : `version ${e.version} ran as "${appliedAsOther(e)}" (${shortChecksum(e.applied.checksum)}); its file is now ${e.migration.file}, another name (${shortChecksum(e.migration.checksum)})`,
        why: changed.why,
        fix:
          appliedAsOther(e) === undefined
            ? changed.fix.replace('VERSION', String(e.version))
            : `when ${e.migration.file} is another migration, give it a version above the newest applied one (repair would record it applied without running it); when it is the one that ran, renamed: schemaguard repair ${e.version} --rename --reason …`,
      }),
    ),
    ...plan.unknown.map(
      (a): GuardFinding => ({
        kind: 'migration',
        rule: unknown.id,
        severity: unknown.severity,
        object: `${a.version}_${a.name}`,
        message: `version ${a.version} (${a.name}) is applied but no migration file has it`,
        why: unknown.why,
        fix: unknown.fix,
      }),
    ),
  ];
}

/** Why drift against the snapshot is not yet meaningful, or undefined when the files and the database agree. */
export function unsettledReason(plan: Plan): string | undefined {
  const parts: string[] = [];
  if (plan.pending.length) parts.push(`${plural(plan.pending.length, 'migration')} pending`);
  if (plan.changed.length) parts.push(`${plan.changed.length} changed`);
  if (plan.unknown.length) parts.push(`${plan.unknown.length} unknown to the files`);
  return parts.length ? `the database is not at the snapshot's migrations: ${parts.join(', ')}` : undefined;
}
