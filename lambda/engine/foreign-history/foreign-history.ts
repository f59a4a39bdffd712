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
 * - drizzle, knex, TypeORM, Sequelize, Kysely, MikroORM and dbmate:
 *   foreign-readers.ts.
 *
 * The table is looked up by name in every schema, and taken as the tool's
 * only with the tool's columns (`HISTORY_TOOLS`); one match is required.
 */
import { createHash } from 'node:crypto';
import { InputError, StateRefusalError } from '../errors/errors';
import { readDbmate, readDrizzle, readKnex, readKysely, readMikroOrm, readSequelize, readTypeorm } from './foreign-readers';
import type { ForeignHistory, HistorySource, HistoryTool } from './foreign-history-types';
import type { Queryable } from '../ports';
import { isMillisecondVersion, type Migration } from '../files/source';
import { dirname, join } from 'node:path';
import { renameCommand, shellCommand, typedPath } from '../errors/shell-quote';
import { present } from '../errors/present';

export type { ForeignHistory, HistorySource, HistoryTool } from './foreign-history-types';

const COUNT = 'SELECT count(*)::int AS n FROM %s';

/** Flyway's row types that take a version back (an undo, or a row `repair` marked deleted). */
export const FLYWAY_UNDONE = ['UNDO_SQL', 'UNDO_JDBC', 'UNDO_SCRIPT', 'DELETE'];

/**
 * The registry: every tool `baseline --from` reads, the `--from` values, the
 * tables `migrate` refuses to run over (foreign-tables.ts) and `diff` does not
 * count as drift. In order of recognition: golang-migrate's `schema_migrations`
 * before dbmate's.
 */
export const HISTORY_TOOLS = {
  flyway: {
    table: 'flyway_schema_history',
    read: (q, t) => readFlyway(q, t),
    count: `SELECT count(*)::int AS n FROM (SELECT DISTINCT ON (version) type, success FROM %s WHERE version IS NOT NULL ORDER BY version, installed_rank DESC) v
      WHERE success AND type NOT IN ('SCHEMA', 'BASELINE', ${FLYWAY_UNDONE.map((t) => `'${t}'`).join(', ')})`,
    failed: "SELECT 'version ' || coalesce(version, script) || ' (' || script || ', success = false)' AS f FROM %s WHERE NOT success ORDER BY installed_rank",
  },
  'node-pg-migrate': { table: 'pgmigrations', code: true, read: (q, t) => readNodePgMigrate(q, t), count: COUNT },
  'golang-migrate': {
    table: 'schema_migrations',
    columns: { version: 'bigint', dirty: 'boolean' },
    read: (q, t) => readGolangMigrate(q, t),
    failed: "SELECT 'version ' || version || ' (dirty = true)' AS f FROM %s WHERE dirty ORDER BY version",
    newest: 'SELECT max(version)::text AS v FROM %s WHERE NOT dirty',
  },
  prisma: {
    table: '_prisma_migrations',
    read: (q, t) => readPrisma(q, t),
    count: 'SELECT count(*)::int AS n FROM %s WHERE finished_at IS NOT NULL AND rolled_back_at IS NULL',
    failed: "SELECT migration_name || ' (finished_at is null)' AS f FROM %s WHERE finished_at IS NULL AND rolled_back_at IS NULL ORDER BY started_at",
  },
  drizzle: { table: '__drizzle_migrations', columns: { hash: 'text', created_at: 'bigint' }, read: readDrizzle, count: COUNT },
  knex: { table: 'knex_migrations', code: true, columns: { name: 'character varying', batch: 'integer' }, read: readKnex, count: COUNT },
  typeorm: { table: 'migrations', code: true, columns: { timestamp: 'bigint', name: 'character varying' }, read: readTypeorm, count: COUNT },
  sequelize: { table: 'SequelizeMeta', code: true, columns: { name: 'character varying' }, read: readSequelize, count: COUNT },
  kysely: { table: 'kysely_migration', code: true, columns: { name: 'character varying', timestamp: 'character varying' }, read: readKysely, count: COUNT },
  'mikro-orm': {
    table: 'mikro_orm_migrations',
    code: true,
    columns: { name: 'character varying', executed_at: 'timestamp' },
    read: readMikroOrm,
    count: COUNT,
  },
  dbmate: { table: 'schema_migrations', columns: { version: 'character varying' }, exactly: true, read: readDbmate, count: COUNT },
} satisfies Record<HistorySource, HistoryTool>;

/** The `--from` values, in the registry's order. */
export const HISTORY_SOURCES = Object.keys(HISTORY_TOOLS) as HistorySource[];

/** The history table `baseline --from` reads for each tool. */
export const TABLES = Object.fromEntries(HISTORY_SOURCES.map((s) => [s, HISTORY_TOOLS[s].table])) as Record<HistorySource, string>;

/** A table's columns (name → format_type) and whether Rails' `ar_internal_metadata` is beside it. */
export interface TableShape {
  columns: Record<string, string>;
  rails: boolean;
}

/** The tool whose table `name` with `shape` is, or undefined (another tool's table of that name: Rails' `schema_migrations`). */
export function toolOfTable(name: string, shape: TableShape): HistorySource | undefined {
  return HISTORY_SOURCES.find((s) => {
    const tool: HistoryTool = HISTORY_TOOLS[s];
    if (tool.table !== name) return false;
    const wanted = Object.entries(tool.columns ?? {});
    if (!wanted.every(([c, type]) => shape.columns[c]?.startsWith(type))) return false;
    return !tool.exactly || (Object.keys(shape.columns).length === wanted.length && !shape.rails);
  });
}

/** SQL: the tables named as one of the tools' (`$1`: the names as one JSON text), each with its shape (`TableShape`, `cols` as JSON text). */
export const HISTORY_TABLES_SQL = `SELECT format('%I.%I', n.nspname, c.relname) AS t, c.relname::text AS name,
    (SELECT json_object_agg(a.attname, format_type(a.atttypid, a.atttypmod)) FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped)::text AS cols,
    EXISTS (SELECT 1 FROM pg_class r WHERE r.relnamespace = n.oid AND r.relname = 'ar_internal_metadata') AS rails
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
  WHERE c.relname IN (SELECT json_array_elements_text($1::json)) AND c.relkind IN ('r', 'p') ORDER BY 1`;

/** Every history table of the tools in the database, `schema.table` and the tool, in name order. */
export async function historyTables(q: Queryable): Promise<{ source: HistorySource; table: string }[]> {
  const names = [...new Set(Object.values(TABLES))];
  const rows = (await q.query<{ t: string; name: string; cols: string | null; rails: boolean }>(HISTORY_TABLES_SQL, [JSON.stringify(names)])).rows;
  return rows.flatMap((r) => {
    const source = toolOfTable(r.name, { columns: JSON.parse(r.cols ?? '{}') as Record<string, string>, rails: r.rails });
    return source ? [{ source, table: r.t }] : [];
  });
}

/** `table`: the one to read (`schema.table`, as `foreignHistoryTables` found it); looked up by name when not given. */
export async function readForeignHistory(q: Queryable, source: HistorySource, table?: string): Promise<ForeignHistory> {
  table ??= await findTable(q, source);
  const tool: HistoryTool = HISTORY_TOOLS[source];
  return tool.read(q, table);
}

async function readNodePgMigrate(q: Queryable, table: string): Promise<ForeignHistory> {
  const raw = (await q.query<{ v: string }>(`SELECT name AS v FROM ${table} ORDER BY id`)).rows.map((r) => r.v);
  const versions = raw.map((v) => versionOf('node-pg-migrate', v, table));
  return { source: 'node-pg-migrate', table, versions: [...new Set(versions)].sort((a, b) => a - b) };
}

interface FlywayRow {
  rank: number;
  version: string | null;
  type: string;
  script: string;
  success: boolean;
}

/**
 * Each version's row with the highest installed_rank says where it stands,
 * as Flyway reads its table: applied (SQL, JDBC, …), undone (UNDO_SQL,
 * DELETE: not applied), the baseline (`<< Flyway Baseline >>`). A failed row
 * is refused, as Flyway refuses to migrate past it.
 */
async function readFlyway(q: Queryable, table: string): Promise<ForeignHistory> {
  const rows = (await q.query<FlywayRow>(`SELECT installed_rank AS rank, version, type, script, success FROM ${table} ORDER BY installed_rank`)).rows;
  const latest = new Map<string, FlywayRow>();
  for (const r of rows) latest.set(r.version ?? `script:${r.script}`, r);
  const failed = [...latest.values()].find((r) => !r.success);
  if (failed) throw flywayFailed(table, failed);
  const applied = [...latest.values()].filter((r) => !FLYWAY_UNDONE.includes(r.type) && r.type !== 'SCHEMA');
  const kept = applied.filter((r) => r.version !== null);
  const versions = kept.map((r) => versionOf('flyway', present(r.version), table));
  const base = kept.find((r) => r.type === 'BASELINE');
  return {
    source: 'flyway',
    table,
    versions: [...new Set(versions)].sort((a, b) => a - b),
    baselineVersion: base ? versionOf('flyway', present(base.version), table) : undefined,
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
  const record =
    'schemaguard runs no R__ files: each became a versioned file with its current text. When your files up to a version re-create what is in this database ' +
    "(the repeatables' objects included), record them without running them: schemaguard baseline VERSION";
  return {
    records: `records only repeatable migrations, no versioned one (${repeatableList(scripts)})`,
    record,
    fix: `${record}; when every file may run here (a repeatable's file replaces its objects: CREATE OR REPLACE), run them with schemaguard migrate --ignore-foreign-history (${table} is left as it is)`,
  };
}

function flywayFailed(table: string, r: FlywayRow): StateRefusalError {
  const what = r.version === null ? `repeatable migration ${r.script}` : `migration to version ${r.version.trim()}`;
  return new StateRefusalError(
    `baseline --from flyway: detected failed ${what} (${table}, installed_rank ${r.rank}, ${r.script}, success = false); nothing was recorded`,
    {
      versions: [],
      fix: `the failed migration may have left part of its change: repair that by hand (finish or undo it), then delete its row (flyway repair, or DELETE FROM ${table} WHERE installed_rank = ${r.rank}) and baseline --from flyway again; or baseline below it with schemaguard baseline VERSION, and let migrate run the file`,
    },
  );
}

/** golang-migrate's one row: the version it reached, refused when dirty (that migration failed midway). */
async function readGolangMigrate(q: Queryable, table: string): Promise<ForeignHistory> {
  const rows = (await q.query<{ version: string; dirty: boolean }>(`SELECT version::text AS version, dirty FROM ${table} ORDER BY version`)).rows;
  if (rows.length > 1) {
    throw new StateRefusalError(
      `baseline --from golang-migrate: ${table} has ${rows.length} rows (versions ${rows.map((r) => r.version).join(', ')}); golang-migrate keeps one, the version it reached; nothing was recorded`,
      {
        versions: [],
        fix: 'pass the version the database reflects instead: schemaguard baseline VERSION (or set it with migrate force VERSION, then baseline --from golang-migrate again)',
      },
    );
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
  return new StateRefusalError(
    `baseline --from golang-migrate: detected a failed migration (${table}: version ${version}, dirty = true): it stopped midway; nothing was recorded`,
    {
      versions: [],
      fix: `the failed migration may have left part of its change: repair that by hand (finish or undo it), then tell golang-migrate where the schema stands (${force}) and baseline --from golang-migrate again`,
    },
  );
}

interface PrismaRow {
  name: string;
  finished: boolean;
  rolledBack: boolean;
}

/** Prisma's rows: finished and not rolled back are applied; a row neither finished nor rolled back is a failed migration. */
async function readPrisma(q: Queryable, table: string): Promise<ForeignHistory> {
  const rows = (
    await q.query<PrismaRow>(
      `SELECT migration_name AS name, finished_at IS NOT NULL AS finished, rolled_back_at IS NOT NULL AS "rolledBack" FROM ${table} ORDER BY started_at, migration_name`,
    )
  ).rows;
  const applied = rows.filter((r) => r.finished && !r.rolledBack);
  const done = new Set(applied.map((r) => r.name));
  const failed = rows.find((r) => !r.finished && !r.rolledBack && !done.has(r.name));
  if (failed) {
    throw new StateRefusalError(
      `baseline --from prisma: detected failed migration ${failed.name} (${table}: finished_at is null, rolled_back_at is null); nothing was recorded`,
      {
        versions: [],
        fix: `the failed migration may have left part of its change: repair that by hand (finish or undo it), then record it with prisma migrate resolve --applied ${failed.name} (finished) or --rolled-back ${failed.name} (undone), and baseline --from prisma again`,
      },
    );
  }
  const names = new Map(applied.map((r) => [versionOf('prisma', r.name, table), r.name]));
  return { source: 'prisma', table, versions: [...names.keys()].sort((a, b) => a - b), names };
}

async function findTable(q: Queryable, source: HistorySource): Promise<string> {
  const found = (await historyTables(q)).filter((f) => f.source === source).map((f) => f.table);
  if (found.length === 1) return found[0];
  throw new InputError(
    found.length
      ? `baseline --from ${source}: ${found.length} ${TABLES[source]} tables (${found.join(', ')}); cannot tell which one`
      : `baseline --from ${source}: no ${TABLES[source]} table in this database`,
    {
      value: source,
      fix: found.length
        ? 'pass the version instead: schemaguard baseline VERSION'
        : `point --database-url at the database ${source} migrated, or pass the version: schemaguard baseline VERSION`,
    },
  );
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
  throw new InputError(
    `baseline --from ${source}: ${table} has "${recorded}", ${digits ? `whose version ${digits} is past 2^53 (${Number.MAX_SAFE_INTEGER}), the largest schemaguard reads exactly` : 'which has no whole-number version'}`,
    {
      value: recorded,
      fix: 'schemaguard versions are whole numbers below 2^53: pass instead the version of the newest file this database already has: schemaguard baseline VERSION',
    },
  );
}

/**
 * The version to baseline to: the newest the tool applied. Every version it
 * applied must be a file here and every file up to that version must have
 * been applied by it (or lie at or below Flyway's baseline), else the files
 * do not describe that database.
 */
export function baselineVersionFrom(read: ForeignHistory, migrations: Migration[]): number {
  const history = resolveOrigins(read, migrations);
  const newest = history.versions[history.versions.length - 1];
  if (newest === undefined && history.repeatables?.length) {
    const { records, fix } = flywayRepeatablesOnly(history.table, history.repeatables);
    throw new StateRefusalError(
      `baseline --from flyway: ${history.table} ${records}: Flyway applied them, and they have no version to baseline to; nothing was recorded`,
      { versions: [], fix },
    );
  }
  if (newest === undefined) {
    throw new StateRefusalError(`baseline --from ${history.source}: ${history.table} records no applied migration`, {
      versions: [],
      fix: `nothing to adopt: run schemaguard migrate, which runs every file as on a new database (it notes ${history.table} and leaves it as it is)`,
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
      misnamed.length
        ? `recorded under another name: ${misnamed.map((m) => `${m.file} (${history.table}: ${present(history.names).get(m.version)})`).join(', ')}`
        : '',
    ].filter(Boolean);
    throw new StateRefusalError(`baseline --from ${history.source}: ${history.table} and the files disagree; ${parts.join('; ')}; nothing was recorded`, {
      versions: noFile,
      file: misnamed[0]?.file ?? notApplied[0]?.file,
      fix: misnamed.length && !noFile.length && !notApplied.length ? renameFix(history, misnamed) : disagreementFix(history, migrations, noFile, notApplied),
    });
  }
  return newest;
}

/**
 * drizzle's rows as versions: each row is the file whose `origin` (journal
 * `when`) is its created_at, and whose text has its hash (drizzle hashes the
 * file as it reads it: the LF text, or the CRLF text of a CRLF checkout). A
 * row no file is, or whose file changed since, is refused by name.
 */
function resolveOrigins(history: ForeignHistory, migrations: Migration[]): ForeignHistory {
  if (!history.origins) return history;
  const byOrigin = new Map(migrations.filter((m) => m.origin !== undefined).map((m) => [present(m.origin), m]));
  const versions: number[] = [];
  for (const r of history.origins) {
    const m = byOrigin.get(r.origin);
    if (!m) {
      throw new StateRefusalError(
        `baseline --from ${history.source}: ${history.table} row ${r.row} is no migration here: no journal entry has when = ${r.origin}; nothing was recorded`,
        {
          versions: [],
          fix: `point --dir at the drizzle folder (with meta/_journal.json) whose migrations ${history.source} ran on this database; or, when the files here describe it, schemaguard baseline VERSION`,
        },
      );
    }
    const sha = (t: string) => createHash('sha256').update(t).digest('hex');
    if (r.hash !== m.checksum && r.hash !== sha(m.text.replace(/\n/g, '\r\n'))) {
      throw new StateRefusalError(
        `baseline --from ${history.source}: ${history.table} row ${r.row} ran ${m.file} with another text (its hash is not the file's, ${m.checksum.slice(0, 12)}); nothing was recorded`,
        {
          versions: [m.version],
          file: m.file,
          fix: `restore ${m.file} as drizzle ran it (git log -p ${m.file}), then baseline --from ${history.source} again; or, if the database has what the file says now, schemaguard baseline ${m.version}`,
        },
      );
    }
    versions.push(m.version);
  }
  return { ...history, versions: [...new Set(versions)].sort((a, b) => a - b) };
}

/** The file's name without `.sql`: what Prisma records as `migration_name` for its folder. */
function fileStem(m: Migration): string {
  // Prisma's layout: the folder's name.
  return m.origin ?? m.file.replace(/\.sql$/i, '');
}

/** Files whose version Prisma applied under another name: name them as it did (the folder they came from). */
function renameFix(history: ForeignHistory, misnamed: Migration[]): string {
  return (
    `name each file as ${history.source} recorded its migration: ${misnamed
      .slice(0, 3)
      .map((m) => renameCommand(typedPath(m.path), join(dirname(typedPath(m.path)), `${present(history.names).get(m.version)}.sql`)))
      .join(', ')}${misnamed.length > 3 ? ', …' : ''}; ` +
    `then baseline --from ${history.source} again (a file of another migration under that version: the files are not the ones ${history.source} ran)`
  );
}

/** A file the tool never applied below one it did: run it by hand first, or baseline below it (the files above then run, again). */
function disagreementFix(history: ForeignHistory, migrations: Migration[], noFile: number[], notApplied: Migration[]): string {
  const tool: HistoryTool = HISTORY_TOOLS[history.source];
  const renumber =
    `number each file as ${history.source} numbered it (the version it recorded)` +
    (tool.code
      ? ` (its migrations are code: write each as a .sql file named with that version, or put the schema it built in one file named with the newest version it applied, pg_dump --schema-only, and record that with schemaguard baseline VERSION)`
      : '');
  const [first] = notApplied;
  if (!first) return `${renumber}, or add a file for each version it applied`;
  const below = migrations.filter((m) => m.version < first.version).at(-1);
  const above = history.versions.filter((v) => v > first.version);
  return (
    `${noFile.length ? `${renumber}; ` : ''}${first.file} never ran there: run it by hand first (${shellCommand('psql', '-f', typedPath(first.path))}, checking it fits the schema as it is now), then baseline --from ${history.source} again` +
    (below
      ? `; or baseline below it, schemaguard baseline ${below.version}, when the files above it may run again: migrate then runs ${first.file} and the files after it${above.length ? `, ${above.join(', ')} included, which ${history.source} applied already` : ''}`
      : '')
  );
}

/** Flyway was baselined at a version no file has: the schema up to it was there before Flyway, and no file describes it. */
function flywayBaselineError(history: ForeignHistory, version: number): StateRefusalError {
  return new StateRefusalError(
    `baseline --from flyway: Flyway was baselined at version ${version} (${history.table}: << Flyway Baseline >>): the schema up to it was there before Flyway ran, and no file here has version ${version}; nothing was recorded`,
    {
      versions: [version],
      fix: `add a file ${version}_baseline.sql that creates that schema (pg_dump --schema-only of the database as it was at the baseline), then baseline --from flyway again; or, when your files up to a version already describe the database, schemaguard baseline VERSION`,
    },
  );
}
