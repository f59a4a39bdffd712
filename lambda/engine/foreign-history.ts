/**
 * The history tables of the tools a team moves from, read (never written) to
 * find the version `baseline --from` records up to:
 *
 * - Flyway: `flyway_schema_history` — each version's latest row (highest
 *   installed_rank): applied unless an undo (`UNDO_SQL`, …) or `DELETE` row
 *   took it back; a failed one (`success = false`) is refused, as Flyway
 *   refuses it; a `BASELINE` row says the schema up to its version predates
 *   Flyway. `V3__add_index.sql` → 3; repeatable (`R__`) rows have no version
 *   and are skipped. A dotted version (1.1) has no whole-number equivalent
 *   and is refused.
 * - node-pg-migrate: `pgmigrations` — `name` is the file name without its
 *   extension (`1700000000000_create-users`), the version its number prefix.
 *
 * The table is looked up by name in every schema; one match is required.
 */
import { InputError, StateRefusalError } from './errors';
import type { Queryable } from './ports';
import type { Migration } from './source';

export type HistorySource = 'flyway' | 'node-pg-migrate';

export interface ForeignHistory {
  source: HistorySource;
  /** `schema.table` it was read from. */
  table: string;
  /** Versions the tool recorded as applied, ascending. */
  versions: number[];
  /** Flyway's `<< Flyway Baseline >>` version: the schema up to it was there before Flyway ran (files up to it need not have run). */
  baselineVersion?: number;
}

/** The history table `baseline --from` reads for each tool. */
export const TABLES: Record<HistorySource, string> = { flyway: 'flyway_schema_history', 'node-pg-migrate': 'pgmigrations' };

/** Flyway's row types that take a version back (an undo, or a row `repair` marked deleted). */
export const FLYWAY_UNDONE = ['UNDO_SQL', 'UNDO_JDBC', 'UNDO_SCRIPT', 'DELETE'];

export async function readForeignHistory(q: Queryable, source: HistorySource): Promise<ForeignHistory> {
  const table = await findTable(q, source);
  if (source === 'flyway') return readFlyway(q, table);
  const raw = (await q.query<{ v: string }>(`SELECT name AS v FROM ${table} ORDER BY id`)).rows.map((r) => r.v);
  const versions = raw.map((v) => versionOf(source, v, table));
  return { source, table, versions: [...new Set(versions)].sort((a, b) => a - b) };
}

interface FlywayRow { rank: number; version: string | null; type: string; script: string; success: boolean }

/**
 * Each version's row with the highest installed_rank says where it stands,
 * as Flyway reads its table: applied (SQL, JDBC, …), undone (UNDO_SQL,
 * DELETE: not applied), the baseline (`<< Flyway Baseline >>`). A failed row
 * is refused, as Flyway refuses to migrate past it.
 */
async function readFlyway(q: Queryable, table: string): Promise<ForeignHistory> {
  const rows = (await q.query<FlywayRow>(
    `SELECT installed_rank AS rank, version, type, script, success FROM ${table} ORDER BY installed_rank`,
  )).rows;
  const latest = new Map<string, FlywayRow>();
  for (const r of rows) latest.set(r.version ?? `script:${r.script}`, r);
  const failed = [...latest.values()].find((r) => !r.success);
  if (failed) throw flywayFailed(table, failed);
  const kept = [...latest.values()].filter((r) => r.version !== null && !FLYWAY_UNDONE.includes(r.type) && r.type !== 'SCHEMA');
  const versions = kept.map((r) => versionOf('flyway', r.version!, table));
  const base = kept.find((r) => r.type === 'BASELINE');
  return {
    source: 'flyway', table, versions: [...new Set(versions)].sort((a, b) => a - b),
    baselineVersion: base ? versionOf('flyway', base.version!, table) : undefined,
  };
}

function flywayFailed(table: string, r: FlywayRow): StateRefusalError {
  const what = r.version === null ? `repeatable migration ${r.script}` : `migration to version ${r.version.trim()}`;
  return new StateRefusalError(`baseline --from flyway: detected failed ${what} (${table}, installed_rank ${r.rank}, ${r.script}, success = false); nothing was recorded`, {
    versions: [],
    fix: `the failed migration may have left part of its change: repair that by hand (finish or undo it), then delete its row (flyway repair, or DELETE FROM ${table} WHERE installed_rank = ${r.rank}) and baseline --from flyway again; or baseline below it with schemaguard baseline VERSION, and let migrate run the file`,
  });
}

async function findTable(q: Queryable, source: HistorySource): Promise<string> {
  const found = (await q.query<{ t: string }>(
    `SELECT format('%I.%I', n.nspname, c.relname) AS t FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE c.relname = $1 AND c.relkind IN ('r', 'p') ORDER BY 1`, [TABLES[source]],
  )).rows.map((r) => r.t);
  if (found.length === 1) return found[0]!;
  throw new InputError(found.length
    ? `baseline --from ${source}: ${found.length} ${TABLES[source]} tables (${found.join(', ')}); cannot tell which one`
    : `baseline --from ${source}: no ${TABLES[source]} table in this database`, {
    value: source, fix: found.length ? 'pass the version instead: schemaguard baseline VERSION' : `point --database-url at the database ${source} migrated, or pass the version: schemaguard baseline VERSION`,
  });
}

function versionOf(source: HistorySource, recorded: string, table: string): number {
  const m = source === 'flyway' ? /^\s*(\d{1,15})\s*$/.exec(recorded) : /^(\d{1,15})[_-]/.exec(recorded);
  if (m) return Number(m[1]);
  throw new InputError(`baseline --from ${source}: ${table} has "${recorded}", which has no whole-number version`, {
    value: recorded, fix: 'schemaguard versions are whole numbers: pass the version to baseline to instead (schemaguard baseline VERSION)',
  });
}

/**
 * The version to baseline to: the newest the tool applied. Every version it
 * applied must be a file here and every file up to that version must have
 * been applied by it (or lie at or below Flyway's baseline), else the files
 * do not describe that database.
 */
export function baselineVersionFrom(history: ForeignHistory, migrations: Migration[]): number {
  const newest = history.versions[history.versions.length - 1];
  if (newest === undefined) {
    throw new StateRefusalError(`baseline --from ${history.source}: ${history.table} records no applied migration`, {
      versions: [], fix: 'nothing to adopt: run schemaguard migrate',
    });
  }
  const files = new Set(migrations.map((m) => m.version));
  const applied = new Set(history.versions);
  const noFile = history.versions.filter((v) => !files.has(v));
  const covered = (v: number) => history.baselineVersion !== undefined && v <= history.baselineVersion;
  const notApplied = migrations.filter((m) => m.version <= newest && !applied.has(m.version) && !covered(m.version));
  if (history.baselineVersion !== undefined && noFile.includes(history.baselineVersion)) throw flywayBaselineError(history, history.baselineVersion);
  if (noFile.length || notApplied.length) {
    throw new StateRefusalError(`baseline --from ${history.source}: ${history.table} and the files disagree${noFile.length ? `; applied there but no file here: ${noFile.join(', ')}` : ''}${notApplied.length ? `; files it never applied: ${notApplied.map((m) => m.file).join(', ')}` : ''}; nothing was recorded`, {
      versions: noFile, fix: disagreementFix(history, migrations, noFile, notApplied),
    });
  }
  return newest;
}

/** A file the tool never applied below one it did: run it by hand first, or baseline below it (the files above then run, again). */
function disagreementFix(history: ForeignHistory, migrations: Migration[], noFile: number[], notApplied: Migration[]): string {
  const renumber = `number each file as ${history.source} numbered it (the version it recorded)`;
  const [first] = notApplied;
  if (!first) return `${renumber}, or add a file for each version it applied`;
  const below = migrations.filter((m) => m.version < first.version).at(-1);
  const above = history.versions.filter((v) => v > first.version);
  return `${noFile.length ? `${renumber}; ` : ''}${first.file} never ran there: run it by hand first (psql -f ${first.file}, checking it fits the schema as it is now), then baseline --from ${history.source} again`
    + (below ? `; or baseline below it, schemaguard baseline ${below.version}, when the files above it may run again: migrate then runs ${first.file} and the files after it${above.length ? `, ${above.join(', ')} included, which ${history.source} applied already` : ''}` : '');
}

/** Flyway was baselined at a version no file has: the schema up to it was there before Flyway, and no file describes it. */
function flywayBaselineError(history: ForeignHistory, version: number): StateRefusalError {
  return new StateRefusalError(`baseline --from flyway: Flyway was baselined at version ${version} (${history.table}: << Flyway Baseline >>): the schema up to it was there before Flyway ran, and no file here has version ${version}; nothing was recorded`, {
    versions: [version],
    fix: `add a file ${version}_baseline.sql that creates that schema (pg_dump --schema-only of the database as it was at the baseline), then baseline --from flyway again; or, when your files up to a version already describe the database, schemaguard baseline VERSION`,
  });
}
