/**
 * What a run does around backfills: the files named by `after-backfill`
 * checked before anything runs (each a backfill file of an earlier
 * version), and, as the run reaches a file that names one, that backfill
 * either finished here (`run`) or found not done and the file refused
 * (`start`: the backfill left for later, as the custom resource leaves it to
 * its workflow), the files before it applied.
 */
import { BackfillPendingError, InputError } from '../errors/errors';
import type { Migration } from '../files/migration';
import type { Queryable } from '../ports';
import { readBackfill, readBackfills, type BackfillRow } from './progress';

/** `run`: a backfill runs to the end inline; `start`: its first batch runs, and the rest is left for later. */
export type BackfillMode = 'run' | 'start';

/** What the check reads of a file (lint's sources have no statements). */
type AfterBackfillFile = Pick<Migration, 'file' | 'version'> & {
  directives: Pick<Migration['directives'], 'afterBackfill' | 'afterBackfillLines'>;
  backfill?: unknown;
};

/** Every `after-backfill` names an earlier file of `migrations` that has a backfill; an InputError (exit 2) before anything runs otherwise. */
export function refuseUnknownAfterBackfill(pending: readonly AfterBackfillFile[], migrations: readonly AfterBackfillFile[]): void {
  for (const m of pending) {
    for (const [k, named] of (m.directives.afterBackfill ?? []).entries()) {
      const target = migrations.find((x) => x.file === named);
      const why = !target
        ? 'names no file of the migrations'
        : target.version >= m.version
          ? 'names a file that runs after it'
          : !target.backfill
            ? 'names a file without a backfill (no -- schemaguard:backfill in it)'
            : undefined;
      if (!why) continue;
      const line = m.directives.afterBackfillLines?.[k];
      throw new InputError(`${m.file}${line ? `:${line}` : ''}: schemaguard:after-backfill ${named} ${why}`, {
        file: m.file,
        line,
        value: named,
        fix: 'name the earlier file whose -- schemaguard:backfill must be done first, as its name is in the migrations folder',
      });
    }
  }
}

/** The backfills `m` waits for, by file, as the database has them (a file recorded without one, by baseline, counts as done). */
export async function awaitedBackfills(
  q: Queryable,
  schema: string,
  m: Migration,
  migrations: readonly Migration[],
): Promise<{ file: string; row?: BackfillRow }[]> {
  const out: { file: string; row?: BackfillRow }[] = [];
  for (const file of m.directives.afterBackfill ?? []) {
    const target = migrations.find((x) => x.file === file);
    out.push({ file, row: target ? await readBackfill(q, schema, target.version).catch(() => undefined) : undefined });
  }
  return out;
}

/** A backfill's progress as messages say it: `running, 120,000 rows done` (with the reason, when paused or failed). */
export function progressWords(row: Pick<BackfillRow, 'state' | 'rowsDone' | 'reason'>): string {
  return `${row.state}, ${row.rowsDone.toLocaleString('en-US')} rows done${row.reason ? `: ${row.reason}` : ''}`;
}

/** The refusal of `m`, whose backfill `row` (of `file`) is not done, where the run leaves backfills for later (`ran`: files before it were applied; plan applies none). */
export function backfillPendingError(m: Migration, file: string, row: BackfillRow, how: string, ran = true): BackfillPendingError {
  return new BackfillPendingError(`${m.file} waits for the backfill of ${file} (${progressWords(row)}): it runs once that backfill is done`, {
    file: m.file,
    version: m.version,
    awaited: { file, state: row.state },
    fix: `${how}; ${ran ? `the files before ${m.file} are applied, and ` : ''}\`schemaguard status\` shows the backfill`,
  });
}

/**
 * What `plan` says of the pending files that wait for a backfill: each one
 * the database has not done (`refusals`, as the run that leaves backfills
 * for later refuses it), and each whose backfill file is pending too
 * (`notes`: the run starts it).
 */
export async function awaitingBackfills(
  q: Queryable,
  schema: string,
  pending: readonly Migration[],
  migrations: readonly Migration[],
): Promise<{ refusals: BackfillPendingError[]; notes: string[] }> {
  const rows = await readBackfills(q, schema);
  const out: { refusals: BackfillPendingError[]; notes: string[] } = { refusals: [], notes: [] };
  for (const m of pending) {
    for (const file of m.directives.afterBackfill ?? []) {
      const target = migrations.find((x) => x.file === file);
      const row = target && rows.find((r) => r.version === target.version);
      if (row && row.state !== 'done') out.refusals.push(backfillPendingError(m, file, row, PLAN_BACKFILL_FIX, false));
      else if (target && pending.includes(target)) out.notes.push(`${m.file} waits for the backfill of ${file}, which this run starts: ${STARTED_HERE}`);
    }
  }
  return out;
}

const PLAN_BACKFILL_FIX =
  'schemaguard migrate finishes the backfill first (after its last committed batch), then applies the file; migrate --backfill-later and the deploy refuse it until the backfill is done (the deployed workflow finishes it)';

const STARTED_HERE = 'migrate runs it to the end before that file; migrate --backfill-later and the deploy refuse that file until the backfill is done';
