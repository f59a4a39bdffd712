/**
 * A copy of the target's schema without its rows, made in a database of its
 * own from the target's catalog (`lambda/schema/catalog.ts`, the dump drift
 * and snapshots use, and `catalog-shape.ts`), rendered as statements
 * (`catalog-ddl.ts`). From the catalog rather than pg_dump: it reads through
 * the connection plan already has (a pg_dump of the right major may be
 * missing, and cannot reach a database through the RDS Data API), and needs
 * nothing installed. Every user schema but schemaguard's state schema is
 * copied. Each statement commits on its own (the copy is thrown away after);
 * one that fails is tried again once the others are made (a view on a later
 * view, a function returning a table's rows), and what still fails is named
 * (`notCopied`): a statement on it may then fail on the copy, and says so.
 */
import type { Queryable, Session } from '../../engine/ports';
import { DEFAULT_STATE_SCHEMA } from '../../engine/state/state';
import { boundedCatalogRead } from '../../schema/bounded-read';
import { readCatalog } from '../../schema/catalog';
import { catalogDdl, type DdlStatement } from '../../schema/catalog-ddl';
import { readCatalogShape } from '../../schema/catalog-shape';
import { errorText } from './run-files';

export interface CopyResult {
  /** Statements that made the copy. */
  made: number;
  /** What could not be made, and the server's error. */
  notCopied: { object: string; error: string }[];
}

/** The user schemas: not PostgreSQL's, not an extension's, not the state schema. */
const USER_SCHEMAS_SQL = `
SELECT n.nspname AS name FROM pg_namespace n
 WHERE n.nspname NOT IN ('information_schema', $1) AND n.nspname NOT LIKE 'pg\\_%'
   AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_namespace'::regclass AND d.objid = n.oid AND d.deptype = 'e')
 ORDER BY 1`;

/** The statements that make a copy of `source`'s schema, read from its catalog (in a bounded read on a session). */
export async function schemaStatements(source: Queryable | Session, stateSchema = DEFAULT_STATE_SCHEMA): Promise<DdlStatement[][]> {
  const read = async () => {
    const schemas = (await source.query<{ name: string }>(USER_SCHEMAS_SQL, [stateSchema])).rows.map((r) => r.name);
    const catalog = await readCatalog(source, { schemas, stateSchema });
    return catalogDdl(catalog, await readCatalogShape(source, schemas));
  };
  return 'begin' in source ? boundedCatalogRead(source, 'the schema for plan --trace', read) : read();
}

/** Runs the phases on `copy`, each statement on its own; what failed is tried again while that makes something. */
export async function makeCopy(copy: Queryable, phases: DdlStatement[][]): Promise<CopyResult> {
  // A function's body may name what is made later: checked when it runs, not now (as pg_dump's output does).
  await copy.query('SET check_function_bodies = off');
  let made = 0;
  let failed: { statement: DdlStatement; error: string }[] = [];
  try {
    for (const phase of phases) {
      const run = await runAll(copy, phase);
      made += run.made;
      failed.push(...run.failed);
    }
    for (;;) {
      const again = await runAll(
        copy,
        failed.map((f) => f.statement),
      );
      made += again.made;
      const progress = again.failed.length < failed.length;
      failed = again.failed;
      if (!progress || failed.length === 0) break;
    }
  } finally {
    await copy.query('RESET check_function_bodies');
  }
  return { made, notCopied: failed.map((f) => ({ object: f.statement.object, error: f.error })) };
}

/** duplicate_object, duplicate_table, duplicate_function, duplicate_schema: an extension made it already (the catalog lists some of an extension's objects, its domains). */
const THERE_ALREADY = new Set(['42710', '42P07', '42723', '42P06']);

async function runAll(copy: Queryable, statements: DdlStatement[]): Promise<{ made: number; failed: { statement: DdlStatement; error: string }[] }> {
  let made = 0;
  const failed: { statement: DdlStatement; error: string }[] = [];
  for (const statement of statements) {
    try {
      await copy.query(statement.sql);
      made++;
    } catch (e) {
      if (THERE_ALREADY.has(String((e as { code?: unknown }).code))) continue;
      failed.push({ statement, error: errorText(e) });
    }
  }
  return { made, failed };
}
