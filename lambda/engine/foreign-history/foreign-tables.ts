/**
 * Other tools' history tables found on a database where schemaguard has
 * recorded nothing: its files likely re-create a schema such a tool made, so
 * `migrate` refuses (ForeignHistoryError) and `status` and `plan` say so,
 * with what each table records and the baseline to run first. A table that
 * records no applied migration (read as `baseline --from` reads it:
 * `foreign-history.ts`) is noted and set aside: the database is new to migrate.
 */
import { ForeignHistoryError, StateRefusalError } from '../errors/errors';
import {
  flywayRepeatablesOnly,
  historyTables,
  HISTORY_TOOLS,
  readForeignHistory,
  repeatableList,
  TABLES,
  type ForeignHistory,
  type HistorySource,
  type HistoryTool,
} from './foreign-history';
import type { Queryable } from '../ports';
import { oneOrMany, plural } from '../errors/words';
import { present } from '../errors/present';

/** The other tools' history table names (`diff` does not count them as drift). */
export const FOREIGN_HISTORY_TABLES: readonly string[] = [...new Set(Object.values(TABLES))];

export interface ForeignHistoryTable {
  source: HistorySource;
  /** `schema.table`. */
  table: string;
}

/**
 * The other tools' history tables in the database (`schema.table` and the
 * tool). One catalog query (the names as one JSON text: the RDS Data API
 * takes no array parameters); a table counts only with its tool's columns
 * (golang-migrate's `schema_migrations` from dbmate's, and Rails' from both).
 */
export async function foreignHistoryTables(q: Queryable): Promise<ForeignHistoryTable[]> {
  return historyTables(q);
}

/** What a table records: how many applied migrations, the failed ones, the newest version; undefined fields when it cannot be read (no privilege, another layout). */
async function recorded(q: Queryable, found: ForeignHistoryTable): Promise<{ count?: number; failed: string[]; newest?: string }> {
  const tool: HistoryTool = HISTORY_TOOLS[found.source];
  const read = async <T>(sql: string | undefined, pick: (rows: Record<string, unknown>[]) => T): Promise<T | undefined> => {
    if (!sql) return undefined;
    try {
      return pick((await q.query<Record<string, unknown>>(sql.replace('%s', found.table))).rows);
    } catch {
      return undefined;
    }
  };
  return {
    count: await read(tool.count, (r) => r[0]?.n as number | undefined),
    failed: (await read(tool.failed, (r) => r.map((x) => String(x.f)))) ?? [],
    newest: await read(tool.newest, (r) => (r[0]?.v ?? undefined) as string | undefined),
  };
}

/**
 * How `baseline --from` reads a table: `empty` when it records no applied
 * migration (and no failed one; Flyway's repeatables are applied ones), with
 * what it read; `refusal` when it records a failed one,
 * with the fix for it. Neither when it cannot be read (no privilege, a
 * version that is no whole number): it counts as recording migrations.
 */
async function adoption(q: Queryable, found: ForeignHistoryTable): Promise<{ empty: boolean; refusal?: StateRefusalError; history?: ForeignHistory }> {
  try {
    const history = await readForeignHistory(q, found.source, found.table);
    return { empty: history.versions.length === 0 && !history.repeatables?.length && !history.origins?.length, history };
  } catch (e) {
    return { empty: false, refusal: e instanceof StateRefusalError ? e : undefined };
  }
}

/** The tables found that record an applied (or failed) migration, and those that record none. */
async function sortTables(q: Queryable, found: ForeignHistoryTable[]): Promise<{ recording: ForeignHistoryTable[]; empty: ForeignHistoryTable[] }> {
  const recording: ForeignHistoryTable[] = [];
  const empty: ForeignHistoryTable[] = [];
  for (const f of found) ((await adoption(q, f)).empty ? empty : recording).push(f);
  return { recording, empty };
}

/**
 * The note on a first run where every history table found records no applied
 * migration: seen, and set aside (the files run as on a new database).
 * Undefined when there is none, or one records migrations (refused, or the
 * note of `foreignHistoryNote`).
 */
export async function emptyForeignHistoryNote(q: Queryable, found: ForeignHistoryTable[]): Promise<string | undefined> {
  const { recording, empty } = await sortTables(q, found);
  if (recording.length || !empty.length) return undefined;
  return `${empty.map((f) => `${f.table} (${f.source}'s history)`).join(', ')} records no applied migration: this database is migrated as a new one, every file runs, and that table is left as it is`;
}

/** The command that records what the tool applied, with `flags`. */
function baselineCommand(found: ForeignHistoryTable, flags: string): string {
  return `schemaguard baseline --from ${found.source} ${flags}`;
}

function failedPart(failed: string[]): string {
  return failed.length
    ? `; it records ${oneOrMany(failed.length, 'a failed migration', `${failed.length} failed migrations`)}: ${failed.slice(0, 3).join(', ')} (repair what it left by hand first)`
    : '';
}

/** Flyway's history whose one version is its `<< Flyway Baseline >>` row (repeatables aside): the version it was baselined at. */
function flywayBaselineOnly(history: ForeignHistory | undefined): number | undefined {
  const v = history?.baselineVersion;
  return v !== undefined && present(history).versions.length === 1 ? v : undefined;
}

/** Flyway's history holding only repeatable migrations (`R__…`): their scripts. */
function flywayRepeatables(history: ForeignHistory | undefined): string[] | undefined {
  return history?.versions.length === 0 && history.repeatables?.length ? history.repeatables : undefined;
}

/** What the table records, said in the refusal: the count or newest version, Flyway's baseline, its repeatables. */
function recordsPhrase(r: { count?: number; failed: string[]; newest?: string }, history: ForeignHistory | undefined): string {
  const repeatables = flywayRepeatables(history);
  if (repeatables) return flywayRepeatablesOnly(present(history).table, repeatables).records;
  const base = flywayBaselineOnly(history);
  const also = history?.repeatables?.length ? ` and repeatable migrations (${repeatableList(history.repeatables)})` : '';
  if (base !== undefined) {
    return `records ${also ? '' : 'only '}a Flyway baseline, at version ${base} (<< Flyway Baseline >>, written by flyway baseline: the schema up to version ${base} was there before Flyway ran)${also}`;
  }
  const above = history?.baselineVersion !== undefined ? ` above a Flyway baseline at version ${history.baselineVersion}` : '';
  const records = r.count
    ? `records ${plural(r.count, 'applied migration')}`
    : r.newest
      ? `records migrations up to version ${r.newest}`
      : r.failed.length
        ? ''
        : 'records migrations';
  return records ? `${records}${above}${also}` : records;
}

/** How to record what the tool applied: its baseline --from, or (Flyway's repeatables alone, no version to read) baseline VERSION. */
function recordFix(first: ForeignHistoryTable, history: ForeignHistory | undefined): string {
  const repeatables = flywayRepeatables(history);
  if (repeatables) return flywayRepeatablesOnly(first.table, repeatables).record;
  const base = flywayBaselineOnly(history);
  const command = baselineCommand(first, `--database-url <this database> --reason "adopted from ${first.source}"`);
  if (base !== undefined) {
    return `record the files up to version ${base} without running them, then migrate: ${command} (it takes a file with version ${base} that creates the schema from before Flyway, pg_dump --schema-only; for the custom resource, run it once before the deploy)`;
  }
  return `record the files ${first.source} applied without running them, then migrate: ${command} (for the custom resource, run it once before the deploy)`;
}

/** The note said before the first run on a database another tool migrated (status, plan, migrate --ignore-foreign-history). */
export async function foreignHistoryNote(q: Queryable, tables: ForeignHistoryTable[]): Promise<string | undefined> {
  const found = (await sortTables(q, tables)).recording;
  const [first] = found;
  if (!first) return undefined;
  const r = await recorded(q, first);
  const repeatables = flywayRepeatables((await adoption(q, first)).history);
  const command = repeatables
    ? `schemaguard baseline VERSION --reason … (the newest file that re-creates what its repeatable migrations ${repeatableList(repeatables)} made: they have no version for baseline --from to read)`
    : baselineCommand(first, '--reason …');
  return (
    `${found.map((f) => `${f.table} (${f.source}'s history)`).join(', ')} is here and schemaguard has recorded nothing yet${failedPart(r.failed)}: if these files re-create the schema ${first.source} made, ` +
    `stop and record them first, without running them: ${command}`
  );
}

/**
 * The refusal of `migrate` on a database another tool migrated while
 * schemaguard has recorded nothing: its files would run again on the schema
 * that tool built (a seed row twice, a value doubled). Read before anything runs.
 */
export async function foreignHistoryRefusal(q: Queryable, tables: ForeignHistoryTable[], pending: number): Promise<ForeignHistoryError | undefined> {
  const found = (await sortTables(q, tables)).recording;
  const [first] = found;
  if (!first) return undefined;
  const r = await recorded(q, first);
  // A failed migration: repaired first, as baseline --from says (it refuses until then).
  const { refusal, history } = await adoption(q, first);
  const records = recordsPhrase(r, history);
  const others =
    found.length > 1
      ? ` (also: ${found
          .slice(1)
          .map((f) => `${f.table}, ${f.source}'s`)
          .join('; ')})`
      : '';
  const failed = records ? failedPart(r.failed) : failedPart(r.failed).replace(/^; it /, '');
  // Only repeatables ran: the files never did, but the objects those made are there.
  const again = flywayRepeatables(history) ? `on the objects ${first.source}'s repeatable migrations made` : `again on the schema ${first.source} built`;
  return new ForeignHistoryError(
    `${first.table} (${first.source}'s history) ${records}${failed}${others} and schemaguard has recorded nothing here: migrate would run all ${plural(pending, 'file')} ${again}; nothing was run`,
    {
      table: first.table,
      source: first.source,
      appliedCount: r.count,
      fix:
        `${refusal?.fix ? `${refusal.fix}; then migrate` : recordFix(first, history)}` +
        '. If these files do not re-create what it made (a new schema beside it), ' +
        "run them once with schemaguard migrate --ignore-foreign-history (the engine's ignoreForeignHistory option): once schemaguard has recorded a migration it no longer asks",
    },
  );
}
