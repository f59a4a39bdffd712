/**
 * The history tables of the TypeScript tools, read as each tool reads its own
 * (the registry is foreign-history.ts):
 *
 * - drizzle `drizzle.__drizzle_migrations (id, hash, created_at)`: a row per
 *   migration it ran, `created_at` the journal entry's `when`, `hash` the
 *   sha-256 of the file's text. Its migrator reads only the newest
 *   `created_at` and runs the journal entries above it, all in one
 *   transaction, so there is no failed row. Rows map to files by `when`
 *   (the drizzle layout keeps it as the file's `origin`), checked by hash.
 * - knex `knex_migrations (id, name, batch, migration_time)`: a row per file
 *   it ran, `name` the file name (`20240101120000_init.js`); each file runs
 *   in its own transaction, so a failure records nothing; a run holds
 *   `knex_migrations_lock.is_locked = 1`, left so by a run that stopped
 *   midway (knex then refuses to run: `knex migrate:unlock`).
 * - TypeORM `migrations (id, timestamp, name)`: a row per class it ran,
 *   `timestamp` the class name's number (`Init1700000000000`).
 * - Sequelize (umzug) `SequelizeMeta (name)`: a row per file it ran
 *   (`20240101120000-create-users.js`).
 * - Kysely `kysely_migration (name, timestamp)`: a row per migration it ran,
 *   in name order; on PostgreSQL all of a run in one transaction under an
 *   advisory lock (its `kysely_migration_lock` row is not used there).
 * - MikroORM `mikro_orm_migrations (id, name, executed_at)`: a row per class
 *   it ran (`Migration20240101120000`).
 * - dbmate `schema_migrations (version)`: a row per file it ran, the file's
 *   number; each in its own transaction (unless `transaction:false`).
 *
 * A name's version is its leading number (its digits, separators between
 * them dropped: Kysely's `2024_01_01_init` is 20240101); the versions must
 * keep the tool's order and be one per row, or the row is refused by name.
 */
import { InputError, StateRefusalError } from '../errors/errors';
import type { ForeignHistory, HistorySource } from './foreign-history-types';
import type { Queryable } from '../ports';

/** A row as the tool names it (for messages) and the version it maps to. */
interface MappedRow {
  row: string;
  version: number;
}

/** The recorded names of `sql` (one column `v`, in the tool's order), as versions. */
async function namedRows(q: Queryable, source: HistorySource, table: string, sql: string, sortByName: boolean): Promise<ForeignHistory> {
  const names = (await q.query<{ v: string }>(sql.replace('%s', table))).rows.map((r) => String(r.v));
  // The tools that run files in name order (knex, umzug, Kysely, MikroORM) sort by code unit, as Array.prototype.sort does.
  const ordered = sortByName ? [...names].sort() : names;
  const mapped = ordered.map((name) => ({ row: name, version: leadingVersion(source, table, name) }));
  refuseDisorder(source, table, mapped);
  return { source, table, versions: mapped.map((m) => m.version).sort((a, b) => a - b) };
}

/** `20240101120000_init.js` → 20240101120000; `Migration20240101120000` → 20240101120000; `2024_01_01_init` → 20240101. */
export function leadingVersion(source: HistorySource, table: string, name: string): number {
  const m = /^(?:Migration)?(\d+(?:[_\-.:]\d+)*)/.exec(name);
  const digits = m?.[1]?.replace(/\D/g, '');
  if (digits && Number.isSafeInteger(Number(digits))) return Number(digits);
  throw new InputError(
    `baseline --from ${source}: ${table} has "${name}", ${digits ? `whose version ${digits} is past 2^53 (${Number.MAX_SAFE_INTEGER}), the largest schemaguard reads exactly` : 'which has no leading number to take as its version'}`,
    {
      value: name,
      fix: 'schemaguard versions are whole numbers below 2^53: pass instead the version of the newest file this database already has: schemaguard baseline VERSION',
    },
  );
}

/** Two rows on one version, or a row after another whose version is higher: the files cannot keep the tool's order. */
function refuseDisorder(source: HistorySource, table: string, rows: MappedRow[]): void {
  for (let k = 1; k < rows.length; k++) {
    const [a, b] = [rows[k - 1], rows[k]];
    if (a.version < b.version) continue;
    const why =
      a.version === b.version
        ? `both map to version ${a.version}`
        : `${source} runs ${b.row} after ${a.row}, but its version ${b.version} is below ${a.version}`;
    throw new StateRefusalError(`baseline --from ${source}: ${table} rows ${a.row} and ${b.row}: ${why}; nothing was recorded`, {
      versions: [a.version, b.version],
      fix: `number the files here so that each row has a version of its own in ${source}'s order, then record the newest with schemaguard baseline VERSION`,
    });
  }
}

export const readKnex = async (q: Queryable, table: string): Promise<ForeignHistory> => {
  await refuseKnexLock(q, table);
  return namedRows(q, 'knex', table, 'SELECT name AS v FROM %s', true);
};

/** knex's lock table (`<table>_lock`) says a run holds it, or one stopped midway. */
async function refuseKnexLock(q: Queryable, table: string): Promise<void> {
  const found = (
    await q.query<{ t: string }>(
      `SELECT l.oid::regclass::text AS t FROM pg_class c JOIN pg_class l ON l.relnamespace = c.relnamespace AND l.relname = c.relname || '_lock'
      WHERE c.oid = $1::regclass AND l.relkind IN ('r', 'p')`,
      [table],
    )
  ).rows[0];
  if (!found) return;
  const lock = { t: found.t, locked: (await q.query<{ locked: boolean | null }>(`SELECT bool_or(is_locked = 1) AS locked FROM ${found.t}`)).rows[0]?.locked };
  if (!lock?.locked) return;
  throw new StateRefusalError(
    `baseline --from knex: detected a held lock (${lock.t}: is_locked = 1): a knex migration is running, or one stopped midway and left it; nothing was recorded`,
    {
      versions: [],
      fix: 'wait for the running knex migrate to end; if none runs, repair what the stopped one left by hand (its transaction was rolled back unless it ran without one), then knex migrate:unlock, and baseline --from knex again',
    },
  );
}

export const readTypeorm = async (q: Queryable, table: string): Promise<ForeignHistory> => {
  const rows = (await q.query<{ name: string; v: string }>(`SELECT name, timestamp::text AS v FROM ${table} ORDER BY timestamp, id`)).rows;
  const mapped = rows.map((r) => ({ row: r.name, version: leadingVersion('typeorm', table, r.v) }));
  refuseDisorder('typeorm', table, mapped);
  return { source: 'typeorm', table, versions: mapped.map((m) => m.version) };
};

export const readSequelize = (q: Queryable, table: string): Promise<ForeignHistory> => namedRows(q, 'sequelize', table, 'SELECT name AS v FROM %s', true);
export const readKysely = (q: Queryable, table: string): Promise<ForeignHistory> => namedRows(q, 'kysely', table, 'SELECT name AS v FROM %s', true);
export const readMikroOrm = (q: Queryable, table: string): Promise<ForeignHistory> => namedRows(q, 'mikro-orm', table, 'SELECT name AS v FROM %s', true);
export const readDbmate = (q: Queryable, table: string): Promise<ForeignHistory> =>
  namedRows(q, 'dbmate', table, 'SELECT version AS v FROM %s ORDER BY version', false);

/** drizzle's rows in its order (created_at), each mapped to a file later by its `when` (`resolveOrigins`). */
export const readDrizzle = async (q: Queryable, table: string): Promise<ForeignHistory> => {
  const rows = (await q.query<{ id: number; hash: string; at: string | null }>(`SELECT id, hash, created_at::text AS at FROM ${table} ORDER BY created_at, id`))
    .rows;
  return {
    source: 'drizzle',
    table,
    versions: [],
    origins: rows.map((r) => ({ origin: r.at ?? '', hash: r.hash, row: `id ${r.id} (created_at ${r.at ?? 'null'}, hash ${r.hash.slice(0, 12)})` })),
  };
};
