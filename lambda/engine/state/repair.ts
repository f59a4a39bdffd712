/**
 * `repair`: accept the current text of applied files that were edited after
 * they ran (a comment, a typo), so `migrate` stops refusing them. Nothing is
 * run: the state row takes the file's checksum (and name), and an audit row
 * in `checksum_repairs` keeps the old and new checksums, who and why, in the
 * same transaction, under the runner lock.
 */
import { shortChecksum } from '../files/checksum';
import { InputError, StateRefusalError } from '../errors/errors';
import { appliedAsOther, computePlan } from './plan';
import type { Queryable } from '../ports';
import type { Migration } from '../files/source';
import { ensureRepairLog, ensureState, repairTable, stateTable } from './state';
import { withLockedState, type StateWriteOptions } from './state-writer';
import { oneOrMany } from '../errors/words';

export interface RepairOptions extends StateWriteOptions {
  migrations: Migration[];
  /** Why the changed text is accepted; required, kept in the audit table. */
  reason: string;
  /** Only these versions. @default - every applied file whose checksum changed */
  versions?: number[];
  /**
   * Accept a changed file whose version was applied under another name too
   * (the migration that ran, renamed and edited). Without it such a file is
   * refused: it may be another migration that took the version, which repair
   * would record applied without running it.
   * @default false
   */
  rename?: boolean;
}

export interface RepairedMigration {
  version: number;
  name: string;
  file: string;
  oldChecksum: string;
  newChecksum: string;
  /** The name the version was applied under, when `rename` accepted another. */
  oldName?: string;
}

export interface RepairResult {
  repaired: RepairedMigration[];
}

/** The reason, trimmed; an InputError when there is none. Pure. */
export function repairReason(reason: string | undefined): string {
  const r = reason?.trim() ?? '';
  if (!r) {
    throw new InputError('repair needs a reason: it is kept with the old and new checksums in the audit table', {
      fix: 'e.g. schemaguard repair --reason "comment fixed in 0003 after it ran; SQL unchanged"',
    });
  }
  return r;
}

/** Each requested version must be a file. Pure. */
function requestedFiles(migrations: Migration[], versions: number[]): void {
  const known = new Set(migrations.map((m) => m.version));
  const missing = versions.filter((v) => !known.has(v));
  if (missing.length) {
    throw new InputError(`repair: no migration file has version ${missing.join(', ')}`, {
      value: missing.join(', '),
      fix: 'name versions of files in --dir, or name none to repair every changed file',
    });
  }
}

export async function repair(options: RepairOptions): Promise<RepairResult> {
  const reason = repairReason(options.reason);
  if (options.versions) requestedFiles(options.migrations, options.versions);
  return withLockedState(options, async (state) => {
    const plan = computePlan(options.migrations, state.applied);
    const wanted = options.versions ? new Set(options.versions) : undefined;
    const pending = plan.pending.filter((m) => wanted?.has(m.version));
    if (pending.length) {
      throw new StateRefusalError(
        `repair: ${pending.map((m) => m.file).join(', ')} ${oneOrMany(pending.length, 'is', 'are')} not applied; repair accepts the text of applied files only, nothing was changed`,
        {
          versions: pending.map((m) => m.version),
          file: pending[0].file,
          fix: 'a pending file has no checksum to repair: migrate runs it as it is now',
        },
      );
    }
    const changed = plan.changed.filter((e) => !wanted || wanted.has(e.version));
    const taken = changed.filter((e) => appliedAsOther(e) !== undefined);
    if (taken.length && !options.rename) {
      const list = taken.map((e) => `${e.migration.file} (version ${e.version} ran as "${e.applied.name}")`).join(', ');
      throw new StateRefusalError(
        `repair: ${list}: another migration may have taken the version, and accepting it would record it applied without running it; nothing was changed`,
        {
          versions: taken.map((e) => e.version),
          file: taken[0].migration.file,
          fix: `when it is another migration, give it a version above the newest applied one (schemaguard migrate says which file ran); when it is the migration that ran, renamed, repeat with --rename: schemaguard repair ${taken.map((e) => e.version).join(' ')} --rename --reason …`,
        },
      );
    }
    const repaired: RepairedMigration[] = changed.map((e) => ({
      version: e.version,
      name: e.migration.name,
      file: e.migration.file,
      oldChecksum: e.applied.checksum,
      newChecksum: e.migration.checksum,
      ...(appliedAsOther(e) !== undefined ? { oldName: e.applied.name } : {}),
    }));
    if (repaired.length === 0) return { repaired };
    await state.transaction(async (q) => {
      await ensureState(q, state.schema);
      await ensureRepairLog(q, state.schema);
      for (const r of repaired) await recordRepair(q, state.schema, r, options.actor, reason);
    });
    return { repaired };
  });
}

async function recordRepair(q: Queryable, schema: string, r: RepairedMigration, actor: string, reason: string): Promise<void> {
  const updated = await q.query(`UPDATE ${stateTable(schema)} SET checksum = $3, name = $4 WHERE version = $1 AND checksum = $2`, [
    r.version,
    r.oldChecksum,
    r.newChecksum,
    r.name,
  ]);
  if (updated.rowCount !== 1) {
    throw new StateRefusalError(`repair: the state row of ${r.file} is no longer at checksum ${shortChecksum(r.oldChecksum)}; nothing was changed`, {
      versions: [r.version],
      file: r.file,
      fix: 'run schemaguard status and repair again',
    });
  }
  await q.query(`INSERT INTO ${repairTable(schema)} (version, name, old_checksum, new_checksum, repaired_by, reason) VALUES ($1, $2, $3, $4, $5, $6)`, [
    r.version,
    r.name,
    r.oldChecksum,
    r.newChecksum,
    actor,
    r.oldName !== undefined ? `${reason} (renamed: it ran as "${r.oldName}")` : reason,
  ]);
}
