/**
 * INVALID indexes left by CREATE INDEX CONCURRENTLY in a no-transaction file:
 * found, refused and dropped, so a failed build never stays behind (nor is
 * kept by a later IF NOT EXISTS).
 */
import { MigrationError } from './errors';
import type { Queryable, Session } from './ports';
import type { Migration } from './source';
import type { SqlStatement } from './sql/splitter';
import { concurrentIndexTarget } from './sql/classify';

export async function invalidIndexes(q: Queryable): Promise<Set<string>> {
  const r = await q.query<{ oid: string }>('SELECT indexrelid::bigint::text AS oid FROM pg_index WHERE NOT indisvalid');
  return new Set(r.rows.map((x) => x.oid));
}

/**
 * Not a partitioned table's index (relkind I): `CREATE INDEX … ON ONLY` makes
 * it INVALID on purpose, until an index of each partition is attached (the
 * way to index a partitioned table without blocking writes, often over
 * several files); PostgreSQL cannot drop it CONCURRENTLY either.
 */
export async function newInvalidIndexes(q: Queryable, before: Set<string>): Promise<string[]> {
  const r = await q.query<{ oid: string; name: string }>(
    `SELECT i.indexrelid::bigint::text AS oid, format('%I.%I', n.nspname, c.relname) AS name
       FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE NOT i.indisvalid AND c.relkind <> 'I'`,
  );
  return r.rows.filter((x) => !before.has(x.oid)).map((x) => x.name);
}

/** An index build that failed without its error reaching us still leaves an INVALID index: refuse to record the file. */
export async function refuseNewInvalidIndexes(session: Session, m: Migration, before: Set<string>): Promise<void> {
  const leftover = await newInvalidIndexes(session, before);
  if (leftover.length) {
    throw new MigrationError(`${m.file}: left INVALID index ${leftover.join(', ')}`, {
      file: m.file, version: m.version,
      fix: 'an index build failed without an error reaching schemaguard; it has been dropped — run again',
    });
  }
}

export async function dropNewInvalidIndexes(session: Session, before: Set<string>, s: { onNote?: (message: string) => void }): Promise<void> {
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
