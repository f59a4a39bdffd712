/**
 * A first deploy (schemaguard has recorded nothing, files are pending) onto a
 * database that already has a schema, without SchemaMigrations `baseline`:
 * refused under the runner lock before anything runs, the fix naming the
 * prop and the version to give it (the engine calls this as migrate's
 * `firstRunCheck`).
 *
 * - Another tool's history table that records migrations: `from: '<tool>'`,
 *   with the version its history gives (or why `from` would refuse it).
 * - Application tables or views: `version: N`, N estimated from the names
 *   the files create (`checks/existing-schema.ts`, which says what it does
 *   not compare); or `version: 'none'` when the tables are not the files'.
 *
 * A database with neither (a new one, or only a history table that records
 * nothing) is migrated as new, and so is one where another schemaguard state
 * schema is (another SchemaMigrations on the same database, with a
 * `stateSchema` of its own, made the tables).
 */
import { estimateVersion, readExistingTables, type ExistingTables, type VersionEstimate } from '../checks/deploy/existing-schema';
import { ForeignHistoryError, MigrationError, StateRefusalError } from '../engine/errors/errors';
import { baselineVersionFrom, readForeignHistory } from '../engine/foreign-history/foreign-history';
import { foreignHistoryTables, type ForeignHistoryTable } from '../engine/foreign-history/foreign-tables';
import type { Queryable } from '../engine/ports';
import type { FirstRunCheck } from '../engine/server/run-refusals';
import type { Migration } from '../engine/files/source';
import { noun, plural } from '../engine/errors/words';
import { present } from '../engine/errors/present';

const REASON = "reason: '…'";
const NONE = `if these tables are not the files' (the files make new objects beside them), baseline: { version: 'none', ${REASON} } runs every file`;

/** migrate's `firstRunCheck` for a deploy without `baseline`. */
export function existingSchemaCheck(stateSchema: string, migrations: Migration[]): FirstRunCheck {
  return async (reader, pending) => {
    // One catalog query for a new database, the common case.
    const tables = await readExistingTables(reader, stateSchema);
    if (tables.count === 0 && tables.historyNamed === 0) return undefined;
    const history = await foreignHistoryRefusal(reader, migrations, pending.length);
    // Another SchemaMigrations (its own stateSchema) migrates this database: the tables are its files', not a schema to adopt.
    if (history || tables.otherStateSchemas.length > 0) return history;
    return tablesRefusal(reader, tables, migrations, pending.length);
  };
}

/** The first history table that records migrations: what `from` would record, or why it would refuse. */
async function foreignHistoryRefusal(q: Queryable, migrations: Migration[], pending: number): Promise<ForeignHistoryError | undefined> {
  for (const found of await foreignHistoryTables(q)) {
    const read = await readHistory(q, found, migrations);
    if (read.empty) continue;
    const upTo = read.version === undefined ? '' : ` up to version ${read.version}`;
    const from = `baseline: { from: '${found.source}', ${REASON} }`;
    const fix =
      read.version !== undefined
        ? `set the SchemaMigrations prop ${from} and deploy again: it records the files up to version ${read.version} (what ${found.source}'s history says) as applied without running them, and the rest run in the same deploy`
        : read.refusal
          ? `${from} would refuse this history: ${read.refusal.message}; ${read.refusal.fix ?? ''}`
          : `set the SchemaMigrations prop ${from}, after granting the database secret's user SELECT on ${found.table}, which it cannot read here (${read.unreadable}); or baseline: { version: N, ${REASON} } with the newest file the database reflects`;
    return new ForeignHistoryError(
      `${found.table} (${found.source}'s history) records migrations${upTo} and schemaguard has recorded nothing here: this first deploy would run all ${plural(pending, 'migration file')} again on the schema ${found.source} built; nothing was run`,
      { source: found.source, fix },
    );
  }
  return undefined;
}

/** A history table read as `baseline --from` reads it: empty (as a new database), the version it gives, or its refusal. */
async function readHistory(
  q: Queryable,
  found: ForeignHistoryTable,
  migrations: Migration[],
): Promise<{ empty: boolean; version?: number; refusal?: MigrationError; unreadable?: string }> {
  let history;
  try {
    history = await readForeignHistory(q, found.source, found.table);
  } catch (e) {
    // Another tool's table this user may not read (its owner's): it counts as recording migrations, as for migrate.
    return e instanceof MigrationError && !e.sqlstate ? { empty: false, refusal: e } : { empty: false, unreadable: e instanceof Error ? e.message : String(e) };
  }
  if (history.versions.length === 0 && !history.repeatables?.length) return { empty: true };
  try {
    return { empty: false, version: baselineVersionFrom(history, migrations) };
  } catch (e) {
    if (!(e instanceof MigrationError)) throw e;
    return { empty: false, refusal: e };
  }
}

async function tablesRefusal(q: Queryable, tables: ExistingTables, migrations: Migration[], pending: number): Promise<StateRefusalError | undefined> {
  if (tables.count === 0) return undefined;
  const estimate = await estimateVersion(q, migrations).catch((e: unknown) => (e instanceof MigrationError ? e : Promise.reject(e)));
  const known = estimate instanceof MigrationError ? undefined : estimate;
  const fileOf = (v: number) => migrations.find((m) => m.version === v)?.file ?? String(v);
  return new StateRefusalError(
    `${tablesText(tables)} and schemaguard has recorded nothing here: this first deploy would run all ${plural(pending, 'migration file')} against them; nothing was run. ${estimateText(estimate, fileOf)}`,
    {
      versions: known?.version === undefined ? [] : [known.version],
      fix:
        known?.version !== undefined
          ? `set the SchemaMigrations prop baseline: { version: ${known.version}, ${REASON} } and deploy again: it records the files up to ${fileOf(known.version)} as applied without running them, and the rest run in the same deploy; ${NONE}`
          : `${NONE}; or, when the database reflects the files up to a version, baseline: { version: N, ${REASON} }`,
    },
  );
}

function tablesText(t: ExistingTables): string {
  const more = t.count > t.sample.length ? ', …' : '';
  return `the database already has ${plural(t.count, 'table')} or ${noun(t.count, 'view')} (${t.sample.join(', ')}${more})`;
}

/** How the version was estimated, honestly: names only, and what it could not tell apart. */
function estimateText(e: VersionEstimate | MigrationError, fileOf: (v: number) => string): string {
  if (e instanceof MigrationError) return `The version it is at was not estimated: ${e.message}.`;
  if (e.looked === 0) return 'The version it is at was not estimated: the files create no table, view, index or sequence to look for.';
  const missing = e.missing ? `, and ${e.missing.file} creates ${e.missing.object}, which does not` : ', as does every one the newer files create';
  const basis = '(estimated from names only: columns, definitions and data were not compared; a name without a schema was looked for in public)';
  if (e.version === undefined)
    return `None of the files' objects appear to be here: ${present(e.missing).file} creates ${present(e.missing).object}, which does not exist ${basis}.`;
  const range =
    e.upTo !== undefined && e.upTo > e.version
      ? ` The files after it up to ${fileOf(e.upTo)} create nothing it can look for (they alter or fill): if they ran here, the version is up to ${e.upTo}.`
      : '';
  return `It appears to be at version ${e.version}: every table, view, index and sequence the files up to ${fileOf(e.version)} create exists here${missing} ${basis}.${range}`;
}
