/**
 * Compare the files with the state table: what is applied, pending, changed
 * (checksum differs) or unknown (applied, but no file: the database is ahead).
 * A file rewritten with `-- schemaguard:valid-checksum <earlier checksum>`
 * counts as applied on a database that applied that earlier text.
 * Pure.
 */
import type { Migration } from '../files/source';
import type { AppliedKey, AppliedMigration } from './state';

export type EntryStatus = 'applied' | 'pending' | 'changed' | 'unknown';

/** `A`: what is known of an applied migration (the whole state row, or what migrate compares). */
export interface PlanEntry<A extends AppliedKey = AppliedMigration> {
  version: number;
  name: string;
  status: EntryStatus;
  migration?: Migration;
  applied?: A;
  /** A pending migration older than the newest applied one. */
  outOfOrder?: boolean;
  /**
   * A pending migration whose text (checksum) an applied version already has:
   * that migration renumbered (its version has no file now) or copied. Run,
   * its statements would run a second time.
   */
  ranAs?: A;
}

/** A changed entry has both sides: the file and the applied row it no longer matches. */
export type ChangedEntry<A extends AppliedKey = AppliedMigration> = PlanEntry<A> & { migration: Migration; applied: A };

export interface Plan<A extends AppliedKey = AppliedMigration> {
  entries: PlanEntry<A>[];
  pending: Migration[];
  changed: ChangedEntry<A>[];
  unknown: A[];
  outOfOrder: Migration[];
  /** Highest applied version, or null. */
  currentVersion: number | null;
}

export function computePlan<A extends AppliedKey>(migrations: Migration[], applied: A[]): Plan<A> {
  const byVersion = new Map(applied.map((a) => [a.version, a]));
  // The first applied version of each text: a pending file with one of them ran before, under that version.
  const byChecksum = new Map<string, A>();
  for (const a of applied) if (!byChecksum.has(a.checksum)) byChecksum.set(a.checksum, a);
  const files = new Set(migrations.map((m) => m.version));
  // A loop, not Math.max(...list): a spread of that many arguments can overflow the call stack.
  const currentVersion = applied.reduce<number | null>((top, a) => (top === null || a.version > top ? a.version : top), null);
  const entries: PlanEntry<A>[] = [];
  for (const m of migrations) {
    const a = byVersion.get(m.version);
    if (!a) {
      const outOfOrder = currentVersion !== null && m.version < currentVersion;
      const ranAs = byChecksum.get(m.checksum);
      entries.push({ version: m.version, name: m.name, status: 'pending', migration: m, outOfOrder, ...(ranAs ? { ranAs } : {}) });
    } else {
      entries.push({ version: m.version, name: m.name, status: sameMigration(m, a) ? 'applied' : 'changed', migration: m, applied: a });
    }
  }
  for (const a of applied) {
    if (!files.has(a.version)) entries.push({ version: a.version, name: a.name, status: 'unknown', applied: a });
  }
  entries.sort((x, y) => x.version - y.version);
  return {
    entries,
    pending: entries.flatMap((e) => (e.status === 'pending' && e.migration ? [e.migration] : [])),
    changed: entries.filter((e): e is ChangedEntry<A> => e.status === 'changed' && e.migration !== undefined && e.applied !== undefined),
    unknown: entries.flatMap((e) => (e.status === 'unknown' && e.applied ? [e.applied] : [])),
    outOfOrder: entries.flatMap((e) => (e.outOfOrder && e.migration ? [e.migration] : [])),
    currentVersion,
  };
}

/** The applied text is this file's, or an earlier text the file names with `valid-checksum`. */
function sameMigration(m: Migration, a: AppliedKey): boolean {
  return a.checksum === m.checksum || (m.directives.validChecksums?.includes(a.checksum) ?? false);
}

/**
 * The name a changed entry's version was applied under, when it is not the
 * file's: another migration now has the version (two branches that both
 * added version N, one renumbered after it ran). Undefined otherwise.
 */
export function appliedAsOther<A extends AppliedKey>(e: PlanEntry<A>): string | undefined {
  return e.status === 'changed' && e.applied && e.migration && e.applied.name !== e.migration.name ? e.applied.name : undefined;
}

/**
 * The name an applied entry's version ran under, when its file now has
 * another (a rename within the version: the same text, so nothing runs again).
 */
export function renamedSince<A extends AppliedKey>(e: PlanEntry<A>): string | undefined {
  return e.status === 'applied' && e.applied && e.migration && e.applied.name !== e.migration.name ? e.applied.name : undefined;
}

/** A pending entry that is an applied migration renumbered: the version its text ran as has no file now. */
export function isRenumbered<A extends AppliedKey>(plan: Plan<A>, e: PlanEntry<A>): boolean {
  const ranAs = e.ranAs;
  return ranAs !== undefined && !plan.entries.some((x) => x.version === ranAs.version && x.migration);
}

/** The file (pending or changed, under another version) holding the text a changed entry's version ran: the applied migration renumbered. */
export function renumberedFile<A extends AppliedKey>(plan: Plan<A>, e: PlanEntry<A>): Migration | undefined {
  const ran = e.applied?.checksum;
  if (!ran) return undefined;
  return plan.entries.find((x) => x.version !== e.version && x.migration && (x.status === 'pending' || x.status === 'changed') && x.migration.checksum === ran)
    ?.migration;
}
