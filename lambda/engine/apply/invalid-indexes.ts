/**
 * INVALID indexes left by CREATE INDEX CONCURRENTLY in a no-transaction file:
 * found, refused and dropped, so a failed build never stays behind (nor is
 * kept by a later IF NOT EXISTS).
 */
import { MigrationError } from '../errors/errors';
import type { Queryable, Session } from '../ports';
import type { Migration } from '../files/source';
import type { SqlStatement } from '../sql/splitter';
import { concurrentIndexTarget, indexTarget } from '../sql/classify';
import { present } from '../errors/present';

/** The INVALID indexes before a file ran, and the tables its builds are on (undefined: any table, see `buildTables`). */
export interface InvalidBefore {
  oids: Set<string>;
  tables?: readonly string[];
}

export async function invalidIndexes(q: Queryable, m?: Migration): Promise<InvalidBefore> {
  const tables = m && buildTables(m);
  // A file that builds no index leaves none of its own: nothing to compare, and no scan of every index of the database.
  if (tables?.length === 0) return { oids: new Set(), tables };
  // The tables resolved now as they are after the file (not every index of a database that may hold a fleet's tenants),
  // unless the file changes search_path: a name may then resolve elsewhere after, so every INVALID index counts as before.
  const r =
    tables && !present(m).statements.some((s) => /\bsearch_path\b/i.test(s.text))
      ? await q.query<{ oid: string }>(`SELECT i.indexrelid::bigint::text AS oid ${INVALID_ON_TABLES}`, [JSON.stringify(tables)])
      : await q.query<{ oid: string }>('SELECT indexrelid::bigint::text AS oid FROM pg_index WHERE NOT indisvalid');
  return { oids: new Set(r.rows.map((x) => x.oid)), tables };
}

/**
 * The INVALID indexes of the tables `$1` names (a JSON array), each looked
 * up by pg_index's index on its table (OFFSET 0 keeps the planner from
 * scanning every index of the database instead, as it would for a join: it
 * expects almost no INVALID index). The tables as one JSON text: the RDS
 * Data API takes no array parameters.
 */
const INVALID_ON_TABLES = `FROM json_array_elements_text($1::json) t
  CROSS JOIN LATERAL (SELECT x.indexrelid FROM pg_index x WHERE x.indrelid = to_regclass(t) AND NOT x.indisvalid OFFSET 0) i`;

/**
 * The tables `m`'s CREATE INDEX CONCURRENTLY statements build on, as written
 * (resolved on the file's session): an INVALID index on any other table is
 * not this file's, but another session's build that failed meanwhile (a
 * fleet's tenants in one database run the same files at once); none when
 * it builds none. Undefined when the file may leave one elsewhere (REINDEX …
 * CONCURRENTLY, a build of an unnamed index).
 */
function buildTables(m: Migration): string[] | undefined {
  const tables: string[] = [];
  for (const stmt of m.statements) {
    if (/\breindex\b/i.test(stmt.text)) return undefined;
    const target = concurrentIndexTarget(stmt.text);
    if (target) tables.push(target.table);
    // A build this reading cannot name (an unnamed index): any table.
    else if (/\bcreate\s+(unique\s+)?index\s+concurrently\b/i.test(stmt.text)) return undefined;
  }
  return tables;
}

/**
 * Not a partitioned table's index (relkind I): `CREATE INDEX … ON ONLY` makes
 * it INVALID on purpose, until an index of each partition is attached (the
 * way to index a partitioned table without blocking writes, often over
 * several files); PostgreSQL cannot drop it CONCURRENTLY either. Nor an
 * index another session is building now (pg_stat_progress_create_index): a
 * build is INVALID until it ends, and another runner's (a fleet's tenants in
 * one database, another state schema's files) is not this file's to drop.
 */
export async function newInvalidIndexes(q: Queryable, before: InvalidBefore): Promise<string[]> {
  if (before.tables?.length === 0) return [];
  const r = before.tables
    ? await q.query<{ oid: string; name: string }>(`${NEW_INVALID} ${INVALID_ON_TABLES} ${NEW_INVALID_NAMED} WHERE ${NOT_BUILDING}`, [
        JSON.stringify(before.tables),
      ])
    : await q.query<{ oid: string; name: string }>(`${NEW_INVALID} FROM pg_index i ${NEW_INVALID_NAMED} WHERE NOT i.indisvalid AND ${NOT_BUILDING}`);
  return r.rows.filter((x) => !before.oids.has(x.oid)).map((x) => x.name);
}

const NEW_INVALID = `SELECT i.indexrelid::bigint::text AS oid, format('%I.%I', n.nspname, c.relname) AS name`;
const NEW_INVALID_NAMED = 'JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_namespace n ON n.oid = c.relnamespace';
const NOT_BUILDING = `c.relkind <> 'I'
    AND NOT EXISTS (SELECT 1 FROM pg_stat_progress_create_index p WHERE p.index_relid = i.indexrelid AND p.pid <> pg_backend_pid())`;

/** An index build that failed without its error reaching us still leaves an INVALID index: refuse to record the file. */
export async function refuseNewInvalidIndexes(session: Session, m: Migration, before: InvalidBefore): Promise<void> {
  const leftover = await newInvalidIndexes(session, before);
  if (leftover.length) {
    throw new MigrationError(`${m.file}: left INVALID index ${leftover.join(', ')}`, {
      file: m.file,
      version: m.version,
      fix: 'an index build failed without an error reaching schemaguard; it has been dropped — run again',
    });
  }
}

export async function dropNewInvalidIndexes(session: Session, before: InvalidBefore, s: { onNote?: (message: string) => void }): Promise<void> {
  for (const name of await newInvalidIndexes(session, before)) {
    // `name` comes from format('%I.%I'), so it is already quoted.
    await session.query(`DROP INDEX CONCURRENTLY IF EXISTS ${name}`);
    s.onNote?.(`dropped INVALID index ${name} left by the failed statement`);
  }
}

/**
 * An INVALID index with the name a statement creates is a leftover of an
 * earlier failed run; `CREATE INDEX CONCURRENTLY IF NOT EXISTS` would silently
 * keep it. Looked up just before the statement, in the file's session (its
 * own `SET search_path` applies), in the table's schema, where PostgreSQL
 * makes it (an index of `app.t` is `app.i`).
 */
export async function dropLeftoverInvalidIndexes(session: Session, m: Migration, stmt: SqlStatement, s: { onNote?: (message: string) => void }): Promise<void> {
  const target = concurrentIndexTarget(stmt.text);
  if (!target) return;
  const r = await session.query<{ name: string }>(
    `SELECT format('%I.%I', n.nspname, c.relname) AS name
       FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE NOT i.indisvalid AND i.indrelid = to_regclass($2) AND i.indexrelid = to_regclass(quote_ident(n.nspname) || '.' || $1)`,
    [target.index, target.table],
  );
  for (const row of r.rows) {
    await session.query(`DROP INDEX CONCURRENTLY IF EXISTS ${row.name}`);
    s.onNote?.(`${m.file}: dropped INVALID index ${row.name} left by an earlier failed run`);
  }
}

interface NamedRelation {
  name: string;
  kind: string;
  valid: boolean | null;
  on_table: boolean | null;
  on: string | null;
}

const KINDS: Record<string, string> = {
  r: 'a table',
  p: 'a partitioned table',
  v: 'a view',
  m: 'a materialized view',
  S: 'a sequence',
  f: 'a foreign table',
  c: 'a composite type',
};

/**
 * After `CREATE INDEX [CONCURRENTLY] IF NOT EXISTS name ON table` in a
 * no-transaction file: PostgreSQL skips the statement (a notice, "already
 * exists, skipping") when any relation of that name is in the table's schema
 * — an index on another table, an INVALID index a failed build left there, a
 * table — and the file would be recorded with nothing built. Refused unless
 * the relation is a valid index on the table the statement names.
 */
export async function refuseSkippedIndex(session: Session, m: Migration, stmt: SqlStatement): Promise<void> {
  const target = indexTarget(stmt.text);
  if (!target?.ifNotExists) return;
  const r = await session.query<NamedRelation>(
    `SELECT format('%I.%I', n.nspname, c.relname) AS name, c.relkind::text AS kind, i.indisvalid AS valid,
            i.indrelid = t.oid AS on_table, i.indrelid::regclass::text AS on
       FROM pg_class t JOIN pg_namespace n ON n.oid = t.relnamespace
       JOIN pg_class c ON c.oid = to_regclass(quote_ident(n.nspname) || '.' || $1)
       LEFT JOIN pg_index i ON i.indexrelid = c.oid
      WHERE t.oid = to_regclass($2)`,
    [target.index, target.table],
  );
  const found = r.rows[0];
  // A partitioned table's index made ON ONLY stays INVALID until each partition's is attached: expected.
  if (!found || (found.on_table && (found.valid || found.kind === 'I'))) return;
  const where = `${m.file}:${stmt.line}`;
  const index = found.kind === 'i' || found.kind === 'I';
  const what = !index
    ? `${KINDS[found.kind] ?? `a relation (relkind ${found.kind})`}`
    : `${found.valid ? 'an' : 'an INVALID'} index on ${found.on_table ? target.table : found.on}${found.valid ? '' : ' (a build that failed or was cut off left it)'}`;
  const fix =
    index && !found.valid
      ? `drop it and run again: DROP INDEX CONCURRENTLY ${found.name};`
      : `give the new index another name in ${m.file} (an index's name is unique among the tables, views, sequences and indexes of its schema), or rename the existing ${index ? 'index' : 'relation'} if it is the one in the wrong place`;
  throw new MigrationError(
    `${where}: CREATE INDEX IF NOT EXISTS ${target.index} built nothing: PostgreSQL skipped it because ${found.name} already exists and is ${what}, not a valid index on ${target.table}; the file is not recorded`,
    {
      file: m.file,
      version: m.version,
      line: stmt.line,
      fix,
    },
  );
}
