/**
 * The history tables of the tools a team moves from, read (never written) to
 * find the version `baseline --from` records up to:
 *
 * - Flyway: `flyway_schema_history` — each version's latest row (highest
 *   installed_rank): applied unless an undo (`UNDO_SQL`, …) or `DELETE` row
 *   took it back; a failed one (`success = false`) is refused, as Flyway
 *   refuses it; a `BASELINE` row says the schema up to its version predates
 *   Flyway. `V3__add_index.sql` → 3; repeatable (`R__`) rows have no version:
 *   listed, not baselined to (a history of only those is refused: Flyway
 *   applied something, and no version says which files). A dotted version
 *   (1.1) has no whole-number equivalent and is refused.
 * - node-pg-migrate: `pgmigrations` — `name` is the file name without its
 *   extension (`1700000000000_create-users`), the version its number prefix.
 * - golang-migrate: `schema_migrations (version bigint, dirty boolean)` —
 *   one row (it empties the table and inserts the version it reached), so
 *   every file up to that version ran; `dirty` means that migration failed
 *   midway, and is refused as golang-migrate refuses it. Another tool's
 *   `schema_migrations` (Rails', a text version) is not it.
 * - Prisma: `_prisma_migrations` — a row per attempt, `migration_name` the
 *   folder's name (`20240101120000_init`): applied when `finished_at` is set
 *   and `rolled_back_at` is not; neither set is a failed migration (refused,
 *   as `prisma migrate deploy` refuses it); rolled back ones are left out.
 *   The file of each version must carry the folder's name
 *   (`20240101120000_init.sql`).
 *
 * The table is looked up by name in every schema; one match is required.
 */
import { InputError, StateRefusalError } from './errors';
import type { Queryable } from './ports';
import { isMillisecondVersion, type Migration } from './source';
import { shellCommand } from './shell-quote';

export type HistorySource = 'flyway' | 'node-pg-migrate' | 'golang-migrate' | 'prisma';

export interface ForeignHistory {
  source: HistorySource;
  /** `schema.table` it was read from. */
  table: string;
  /** Versions the tool recorded as applied, ascending. */
  versions: number[];
  /** Flyway's `<< Flyway Baseline >>` version: the schema up to it was there before Flyway ran (files up to it need not have run). */
  baselineVersion?: number;
  /** golang-migrate records only the version it reached: every file up to it ran. */
  upToNewest?: boolean;
  /** Prisma: the name each version was recorded under (`20240101120000_init`), which its file must carry. */
  names?: Map<number, string>;
  /** Flyway: the repeatable migrations (`R__views.sql`, no version) it applied, as `script` names them. */
  repeatables?: string[];
}

/** The history table `baseline --from` reads for each tool. */
export const TABLES: Record<HistorySource, string> = {
  flyway: 'flyway_schema_history', 'node-pg-migrate': 'pgmigrations', 'golang-migrate': 'schema_migrations', prisma: '_prisma_migrations',
};

/** Every tool `baseline --from` reads (the keys of TABLES): what SchemaMigrations' `baseline.from` and the handler accept. */
export const HISTORY_SOURCES = Object.keys(TABLES) as readonly HistorySource[];

/**
 * SQL true for the table `c` (a pg_class row) unless it is a `schema_migrations`
 * without golang-migrate's columns (`version bigint`, `dirty boolean`): Rails
 * and others name their table so too.
 */
export const GOLANG_MIGRATE_COLUMNS = `(c.relname <> 'schema_migrations' OR (SELECT count(*) FROM pg_attribute a WHERE a.attrelid = c.oid AND NOT a.attisdropped
          AND ((a.attname = 'version' AND a.atttypid = 'bigint'::regtype) OR (a.attname = 'dirty' AND a.atttypid = 'boolean'::regtype))) = 2)`;

/** Flyway's row types that take a version back (an undo, or a row `repair` marked deleted). */
export const FLYWAY_UNDONE = ['UNDO_SQL', 'UNDO_JDBC', 'UNDO_SCRIPT', 'DELETE'];

/** `table`: the one to read (`schema.table`, as `foreignHistoryTables` found it); looked up by name when not given. */
export async function readForeignHistory(q: Queryable, source: HistorySource, table?: string): Promise<ForeignHistory> {
  table ??= await findTable(q, source);
  if (source === 'flyway') return readFlyway(q, table);
  if (source === 'golang-migrate') return readGolangMigrate(q, table);
  if (source === 'prisma') return readPrisma(q, table);
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
  const applied = [...latest.values()].filter((r) => !FLYWAY_UNDONE.includes(r.type) && r.type !== 'SCHEMA');
  const kept = applied.filter((r) => r.version !== null);
  const versions = kept.map((r) => versionOf('flyway', r.version!, table));
  const base = kept.find((r) => r.type === 'BASELINE');
  return {
    source: 'flyway', table, versions: [...new Set(versions)].sort((a, b) => a - b),
    baselineVersion: base ? versionOf('flyway', base.version!, table) : undefined,
    repeatables: applied.filter((r) => r.version === null).map((r) => r.script),
  };
}

/** `R__a.sql, R__b.sql, R__c.sql, …` (the first three). */
export function repeatableList(scripts: string[]): string {
  return `${scripts.slice(0, 3).join(', ')}${scripts.length > 3 ? `, … (${scripts.length})` : ''}`;
}

/**
 * What `table` records when Flyway applied only repeatable migrations: the
 * objects they made are in the database, but no version says which files
 * they are (schemaguard has no repeatables: each became a versioned file).
 */
export function flywayRepeatablesOnly(table: string, scripts: string[]): { records: string; record: string; fix: string } {
  const record = 'schemaguard runs no R__ files: each became a versioned file with its current text. When your files up to a version re-create what is in this database '
    + '(the repeatables\' objects included), record them without running them: schemaguard baseline VERSION';
  return {
    records: `records only repeatable migrations, no versioned one (${repeatableList(scripts)})`,
    record,
    fix: `${record}; when every file may run here (a repeatable's file replaces its objects: CREATE OR REPLACE), run them with schemaguard migrate --ignore-foreign-history (${table} is left as it is)`,
  };
}

function flywayFailed(table: string, r: FlywayRow): StateRefusalError {
  const what = r.version === null ? `repeatable migration ${r.script}` : `migration to version ${r.version.trim()}`;
  return new StateRefusalError(`baseline --from flyway: detected failed ${what} (${table}, installed_rank ${r.rank}, ${r.script}, success = false); nothing was recorded`, {
    versions: [],
    fix: `the failed migration may have left part of its change: repair that by hand (finish or undo it), then delete its row (flyway repair, or DELETE FROM ${table} WHERE installed_rank = ${r.rank}) and baseline --from flyway again; or baseline below it with schemaguard baseline VERSION, and let migrate run the file`,
  });
}

/** golang-migrate's one row: the version it reached, refused when dirty (that migration failed midway). */
async function readGolangMigrate(q: Queryable, table: string): Promise<ForeignHistory> {
  const rows = (await q.query<{ version: string; dirty: boolean }>(`SELECT version::text AS version, dirty FROM ${table} ORDER BY version`)).rows;
  if (rows.length > 1) {
    throw new StateRefusalError(`baseline --from golang-migrate: ${table} has ${rows.length} rows (versions ${rows.map((r) => r.version).join(', ')}); golang-migrate keeps one, the version it reached; nothing was recorded`, {
      versions: [], fix: 'pass the version the database reflects instead: schemaguard baseline VERSION (or set it with migrate force VERSION, then baseline --from golang-migrate again)',
    });
  }
  const [row] = rows;
  if (row?.dirty) throw golangMigrateDirty(table, row.version);
  if (!row || row.version.startsWith('-')) return { source: 'golang-migrate', table, versions: [], upToNewest: true };
  return { source: 'golang-migrate', table, versions: [versionOf('golang-migrate', row.version, table)], upToNewest: true };
}

function golangMigrateDirty(table: string, version: string): StateRefusalError {
  const force = version.startsWith('-')
    ? 'migrate force VERSION, the version of the last file whose change is complete, or empty the table when none is'
    : `migrate force ${version} if you finished it, or migrate force with the version before it if you undid it`;
  return new StateRefusalError(`baseline --from golang-migrate: detected a failed migration (${table}: version ${version}, dirty = true): it stopped midway; nothing was recorded`, {
    versions: [],
    fix: `the failed migration may have left part of its change: repair that by hand (finish or undo it), then tell golang-migrate where the schema stands (${force}) and baseline --from golang-migrate again`,
  });
}

interface PrismaRow { name: string; finished: boolean; rolledBack: boolean }

/** Prisma's rows: finished and not rolled back are applied; a row neither finished nor rolled back is a failed migration. */
async function readPrisma(q: Queryable, table: string): Promise<ForeignHistory> {
  const rows = (await q.query<PrismaRow>(
    `SELECT migration_name AS name, finished_at IS NOT NULL AS finished, rolled_back_at IS NOT NULL AS "rolledBack" FROM ${table} ORDER BY started_at, migration_name`,
  )).rows;
  const applied = rows.filter((r) => r.finished && !r.rolledBack);
  const done = new Set(applied.map((r) => r.name));
  const failed = rows.find((r) => !r.finished && !r.rolledBack && !done.has(r.name));
  if (failed) {
    throw new StateRefusalError(`baseline --from prisma: detected failed migration ${failed.name} (${table}: finished_at is null, rolled_back_at is null); nothing was recorded`, {
      versions: [],
      fix: `the failed migration may have left part of its change: repair that by hand (finish or undo it), then record it with prisma migrate resolve --applied ${failed.name} (finished) or --rolled-back ${failed.name} (undone), and baseline --from prisma again`,
    });
  }
  const names = new Map(applied.map((r) => [versionOf('prisma', r.name, table), r.name]));
  return { source: 'prisma', table, versions: [...names.keys()].sort((a, b) => a - b), names };
}

async function findTable(q: Queryable, source: HistorySource): Promise<string> {
  const found = (await q.query<{ t: string }>(
    `SELECT format('%I.%I', n.nspname, c.relname) AS t FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE c.relname = $1 AND c.relkind IN ('r', 'p') AND ${GOLANG_MIGRATE_COLUMNS} ORDER BY 1`, [TABLES[source]],
  )).rows.map((r) => r.t);
  if (found.length === 1) return found[0]!;
  throw new InputError(found.length
    ? `baseline --from ${source}: ${found.length} ${TABLES[source]} tables (${found.join(', ')}); cannot tell which one`
    : `baseline --from ${source}: no ${TABLES[source]} table in this database`, {
    value: source, fix: found.length ? 'pass the version instead: schemaguard baseline VERSION' : `point --database-url at the database ${source} migrated, or pass the version: schemaguard baseline VERSION`,
  });
}

/**
 * The version a row records. node-pg-migrate's UTC names (YYYYMMDDHHMMSSmmm,
 * past 2^53) read to the second, as their files are named for schemaguard
 * (`isMillisecondVersion`).
 */
function versionOf(source: HistorySource, recorded: string, table: string): number {
  const m = source === 'flyway' || source === 'golang-migrate' ? /^\s*(\d+)\s*$/.exec(recorded) : /^(\d+)[_-]/.exec(recorded);
  const digits = m?.[1];
  if (digits && source === 'node-pg-migrate' && isMillisecondVersion(digits)) return Number(digits.slice(0, 14));
  if (digits && Number.isSafeInteger(Number(digits))) return Number(digits);
  throw new InputError(`baseline --from ${source}: ${table} has "${recorded}", ${digits ? `whose version ${digits} is past 2^53 (${Number.MAX_SAFE_INTEGER}), the largest schemaguard reads exactly` : 'which has no whole-number version'}`, {
    value: recorded, fix: 'schemaguard versions are whole numbers below 2^53: pass instead the version of the newest file this database already has: schemaguard baseline VERSION',
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
  if (newest === undefined && history.repeatables?.length) {
    const { records, fix } = flywayRepeatablesOnly(history.table, history.repeatables);
    throw new StateRefusalError(`baseline --from flyway: ${history.table} ${records}: Flyway applied them, and they have no version to baseline to; nothing was recorded`, { versions: [], fix });
  }
  if (newest === undefined) {
    throw new StateRefusalError(`baseline --from ${history.source}: ${history.table} records no applied migration`, {
      versions: [], fix: `nothing to adopt: run schemaguard migrate, which runs every file as on a new database (it notes ${history.table} and leaves it as it is)`,
    });
  }
  const files = new Set(migrations.map((m) => m.version));
  const applied = new Set(history.versions);
  const noFile = history.versions.filter((v) => !files.has(v));
  const covered = (v: number) => history.upToNewest || (history.baselineVersion !== undefined && v <= history.baselineVersion);
  const notApplied = migrations.filter((m) => m.version <= newest && !applied.has(m.version) && !covered(m.version));
  const misnamed = migrations.filter((m) => history.names?.has(m.version) && history.names.get(m.version) !== fileStem(m));
  if (history.baselineVersion !== undefined && noFile.includes(history.baselineVersion)) throw flywayBaselineError(history, history.baselineVersion);
  if (noFile.length || notApplied.length || misnamed.length) {
    const parts = [
      noFile.length ? `applied there but no file here: ${noFile.map((v) => history.names?.get(v) ?? v).join(', ')}` : '',
      notApplied.length ? `files it never applied: ${notApplied.map((m) => m.file).join(', ')}` : '',
      misnamed.length ? `recorded under another name: ${misnamed.map((m) => `${m.file} (${history.table}: ${history.names!.get(m.version)})`).join(', ')}` : '',
    ].filter(Boolean);
    throw new StateRefusalError(`baseline --from ${history.source}: ${history.table} and the files disagree; ${parts.join('; ')}; nothing was recorded`, {
      versions: noFile, file: misnamed[0]?.file ?? notApplied[0]?.file,
      fix: misnamed.length && !noFile.length && !notApplied.length ? renameFix(history, misnamed) : disagreementFix(history, migrations, noFile, notApplied),
    });
  }
  return newest;
}

/** The file's name without `.sql`: what Prisma records as `migration_name` for its folder. */
function fileStem(m: Migration): string {
  return m.file.replace(/\.sql$/i, '');
}

/** Files whose version Prisma applied under another name: name them as it did (the folder they came from). */
function renameFix(history: ForeignHistory, misnamed: Migration[]): string {
  return `name each file as ${history.source} recorded its migration: ${misnamed.slice(0, 3).map((m) => shellCommand('git', 'mv', m.file, `${history.names!.get(m.version)}.sql`)).join(', ')}${misnamed.length > 3 ? ', …' : ''}; `
    + `then baseline --from ${history.source} again (a file of another migration under that version: the files are not the ones ${history.source} ran)`;
}

/** A file the tool never applied below one it did: run it by hand first, or baseline below it (the files above then run, again). */
function disagreementFix(history: ForeignHistory, migrations: Migration[], noFile: number[], notApplied: Migration[]): string {
  const renumber = `number each file as ${history.source} numbered it (the version it recorded)`;
  const [first] = notApplied;
  if (!first) return `${renumber}, or add a file for each version it applied`;
  const below = migrations.filter((m) => m.version < first.version).at(-1);
  const above = history.versions.filter((v) => v > first.version);
  return `${noFile.length ? `${renumber}; ` : ''}${first.file} never ran there: run it by hand first (${shellCommand('psql', '-f', first.file)}, checking it fits the schema as it is now), then baseline --from ${history.source} again`
    + (below ? `; or baseline below it, schemaguard baseline ${below.version}, when the files above it may run again: migrate then runs ${first.file} and the files after it${above.length ? `, ${above.join(', ')} included, which ${history.source} applied already` : ''}` : '');
}

/** Flyway was baselined at a version no file has: the schema up to it was there before Flyway, and no file describes it. */
function flywayBaselineError(history: ForeignHistory, version: number): StateRefusalError {
  return new StateRefusalError(`baseline --from flyway: Flyway was baselined at version ${version} (${history.table}: << Flyway Baseline >>): the schema up to it was there before Flyway ran, and no file here has version ${version}; nothing was recorded`, {
    versions: [version],
    fix: `add a file ${version}_baseline.sql that creates that schema (pg_dump --schema-only of the database as it was at the baseline), then baseline --from flyway again; or, when your files up to a version already describe the database, schemaguard baseline VERSION`,
  });
}
