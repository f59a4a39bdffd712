/**
 * What lint reads from a database when it has one (`lint --database-url`):
 * every function's volatility (`pg_proc.provolatile`) and every domain's
 * constraints and default, so a DEFAULT calling a user-defined or overloaded function,
 * or a column of a constrained domain, is judged by what the database
 * declares; the NOT NULL constraints left NOT VALID (PostgreSQL 18), on
 * whose columns a primary key is refused; the validated CHECKs that prove
 * columns not null (`col IS NOT NULL`), which spare SET NOT NULL its scan;
 * the partitioned tables and their partitions, where CREATE INDEX has no
 * CONCURRENTLY; the columns (type, NOT NULL) of the tables a pending file
 * alters (`alteredTables`), so that a table no migration made (one that was
 * there before schemaguard) has known column types;
 * and, when a pending file says
 * CASCADE, the user objects' dependencies (`dependencies.ts`), so
 * drop-cascade names what would go.
 * Catalog reads only.
 */
import type { Queryable } from '../../engine/ports';
import { as, list, loadParser, parseSql } from '../parser/parse';
import { notNullColumns } from './model-tables';
import type { TableModel } from './model-types';
import { readDependencies, type DependencyGraph } from './dependencies';
import type { LintSource } from './source';
import type { FunctionSignature, Volatility } from './volatility';

export interface CatalogDomain {
  schema: string;
  name: string;
  /** format_type() of the base type. */
  baseType: string;
  constrained: boolean;
  notNull: boolean;
  /** Has a DEFAULT (`pg_type.typdefaultbin`; a domain over a domain is given its base's when made): a column of it added to a table is filled with it. @default false */
  hasDefault?: boolean;
}

/** A validated CHECK of the database that proves columns not null (`notNullColumns`): SET NOT NULL on them reads no row (PostgreSQL 12+). */
export interface CatalogNotNullCheck {
  schema: string;
  table: string;
  /** The constraint's name. */
  name: string;
  columns: string[];
}

/** A partitioned table of the database, with its partitions (direct ones, by name): PostgreSQL refuses CREATE INDEX CONCURRENTLY on it. */
export interface CatalogPartitionedTable {
  schema: string;
  name: string;
  partitions: { schema: string; name: string }[];
}

/**
 * A NOT NULL constraint left NOT VALID (PostgreSQL 18's `ADD CONSTRAINT name
 * NOT NULL col NOT VALID`; `pg_constraint.contype = 'n'`, not validated):
 * PostgreSQL refuses a primary key on its column until it is validated
 * (55000), although `pg_attribute.attnotnull` is already true. PostgreSQL 17
 * and earlier have none.
 */
export interface CatalogNotValidNotNull {
  schema: string;
  table: string;
  column: string;
  /** The constraint's name. */
  name: string;
  /** The table's indexes whose key has the column: those ADD PRIMARY KEY USING INDEX would be refused. */
  indexes: string[];
}

/** A column of a table of the database (`LintCatalog.columns`), before the pending files. */
export interface CatalogColumn {
  schema: string;
  table: string;
  column: string;
  /** format_type(), as the lint model writes types (`character varying(20)`, `timestamp(3) with time zone`). */
  type: string;
  /** NOT NULL, and (PostgreSQL 18) not by a NOT VALID constraint: SET NOT NULL on it reads no row. */
  notNull: boolean;
}

/** A constraint of a table of the database (`LintCatalog.constraints`), before the pending files: a name a new one cannot take. */
export interface CatalogConstraint {
  schema: string;
  table: string;
  name: string;
}

/** A relation of the database among the names lint read (`LintCatalog.relations`). */
export interface CatalogRelation {
  schema: string;
  name: string;
  /** `pg_class.relkind`: r table, p partitioned table, v view, m materialized view, f foreign table. */
  kind: string;
}

/** An index of a table of the database among the names lint read (`LintCatalog.indexes`). */
export interface CatalogIndex {
  schema: string;
  table: string;
  name: string;
}

export interface LintCatalog {
  functions: FunctionSignature[];
  domains: CatalogDomain[];
  /** NOT NULL constraints left NOT VALID. @default - none */
  notValidNotNull?: CatalogNotValidNotNull[];
  /** Validated CHECKs proving columns not null. @default - none */
  notNullChecks?: CatalogNotNullCheck[];
  /** The columns of the tables the pending files alter (`ReadCatalogOptions.tables`). @default - none: a table no migration made has unknown columns */
  columns?: CatalogColumn[];
  /**
   * The names whose relations were read (`ReadCatalogOptions.tables`): a
   * table of such a name that `relations` lacks is not in the database.
   * @default - none: every table no file creates is taken to exist
   */
  tablesRead?: string[];
  /** The relations of those names that the database has. @default - none known */
  relations?: CatalogRelation[];
  /** The indexes of the tables of those names. @default - none known */
  indexes?: CatalogIndex[];
  /** The constraints (every kind) of the tables the pending files alter (`ReadCatalogOptions.tables`), by name. @default - none known */
  constraints?: CatalogConstraint[];
  /** The schemas a session of the database searches, in order (`current_schemas(false)`: those that exist). @default - `public` */
  searchPath?: string[];
  /** The partitioned tables. @default - none known */
  partitionedTables?: CatalogPartitionedTable[];
  /** What depends on what (`pg_depend`), read when asked for. */
  dependencies?: DependencyGraph;
  /**
   * Whether a session of this database and role runs in UTC (a zone of offset
   * 0 all year, as PostgreSQL's own test): then a timestamp ↔ timestamptz
   * change rewrites nothing (PostgreSQL 12+). @default - not known
   */
  utcSessions?: boolean;
  /**
   * The server's major version (`server_version_num` / 10000): lint reports
   * syntax newer than it (`server-version.ts`), rules whose outcome changed
   * between versions judge by it (enum-value-before-commit), and plan picks
   * the locks that version takes. @default - not known: PostgreSQL 18's grammar and locks
   */
  serverMajor?: number;
}

export interface ReadCatalogOptions {
  /** Read the columns of the tables of these names (in any schema; `alteredTables`). @default - none */
  tables?: readonly string[];
  /** Read the dependencies too (`needsDependencies`). @default false */
  dependencies?: boolean;
  /**
   * Told, in one line, why the dependencies could not be read (the RDS Data
   * API returns at most 1 MiB: a large catalog's graph is more); lint goes on
   * without them, and drop-cascade names no dependents.
   * @default - the line is dropped
   */
  onUnread?: (line: string) => void;
}

/** Whether a pending file may drop with CASCADE (a foreign key's ON DELETE/UPDATE CASCADE does not count): only then are the dependencies worth reading. */
export function needsDependencies(sources: readonly LintSource[]): boolean {
  return sources.some((s) => !s.applied && DROP_CASCADE_WORD.test(s.text));
}

const DROP_CASCADE_WORD = /(?<!\b(?:delete|update)\s+)\bcascade\b/i;

/** At most this many table names are read (a file that names more still lints, with the others' columns unknown). */
const MAX_ALTERED_TABLES = 2000;

/** A name as PostgreSQL reads it: quoted as written, or an identifier (folded to lower case below). */
const NAME = String.raw`(?:"(?:[^"]|"")+"|[\p{L}_][\p{L}\p{N}_$]*)`;
/** `schema.name` or `name`, the last part captured. */
const QUALIFIED = String.raw`(?:${NAME}\s*\.\s*)?(${NAME})`;
/**
 * Where a statement names a table that must already be there: ALTER TABLE
 * (RENAME and the rest), CREATE INDEX … ON, TRUNCATE, LOCK, UPDATE, DELETE
 * FROM, REFERENCES. DROP TABLE's list is read apart (`DROP_LIST`).
 */
const NAMED_TABLE = new RegExp(
  String.raw`\b(?:alter\s+table\s+(?:if\s+exists\s+)?(?:only\s+)?|\bon\s+(?:only\s+)?|truncate\s+(?:table\s+)?(?:only\s+)?|lock\s+(?:table\s+)?(?:only\s+)?|update\s+(?:only\s+)?|delete\s+from\s+(?:only\s+)?|references\s+)${QUALIFIED}`,
  'giu',
);
const DROP_LIST = new RegExp(String.raw`\bdrop\s+table\s+(?:if\s+exists\s+)?(${QUALIFIED}(?:\s*,\s*${QUALIFIED})*)`, 'giu');
const LIST_ITEM = new RegExp(QUALIFIED, 'gu');

/**
 * The names of the tables the pending files may alter or drop (quoted as
 * written or folded to lower case): whose columns, indexes and existence
 * lint reads from the database. A name too many is harmless, one missed only
 * leaves that table as the applied files' replay has it.
 */
export function alteredTables(sources: readonly LintSource[]): string[] {
  const found = new Set<string>();
  // PostgreSQL folds ASCII letters only.
  const add = (raw: string) => found.add(raw.startsWith('"') ? raw.slice(1, -1).replaceAll('""', '"') : raw.replace(/[A-Z]+/g, (c) => c.toLowerCase()));
  for (const src of sources) {
    if (src.applied) continue;
    for (const m of src.text.matchAll(NAMED_TABLE)) add(m[1]);
    for (const m of src.text.matchAll(DROP_LIST)) for (const item of m[1].matchAll(LIST_ITEM)) add(item[1]);
    if (found.size >= MAX_ALTERED_TABLES) return [...found].slice(0, MAX_ALTERED_TABLES);
  }
  return [...found];
}

// attnotnull is true under PostgreSQL 18's NOT VALID NOT NULL too (then SET NOT NULL validates: it reads the table).
const COLUMNS_SQL = `
SELECT n.nspname AS schema, c.relname AS "table", a.attname AS "column", format_type(a.atttypid, a.atttypmod) AS type,
       a.attnotnull AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conrelid = c.oid AND k.contype = 'n' AND NOT k.convalidated AND k.conkey[1] = a.attnum) AS "notNull"
  FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE c.relname IN (SELECT json_array_elements_text($1::json)) AND c.relkind IN ('r', 'p')
   AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_%' AND a.attnum > 0 AND NOT a.attisdropped`;

const CONSTRAINTS_SQL = `
SELECT n.nspname AS schema, c.relname AS "table", k.conname AS name
  FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE c.relname IN (SELECT json_array_elements_text($1::json)) AND c.relkind IN ('r', 'p')
   AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_%'`;

const RELATIONS_SQL = `
SELECT n.nspname AS schema, c.relname AS name, c.relkind::text AS kind
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE c.relname IN (SELECT json_array_elements_text($1::json)) AND c.relkind IN ('r', 'p', 'v', 'm', 'f')
   AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_%'`;

const INDEXES_SQL = `
SELECT n.nspname AS schema, c.relname AS "table", x.relname AS name
  FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid JOIN pg_class x ON x.oid = i.indexrelid JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE c.relname IN (SELECT json_array_elements_text($1::json)) AND c.relkind IN ('r', 'p', 'm')
   AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_%'`;

const VOLATILITY: Record<string, Volatility> = { i: 'immutable', s: 'stable', v: 'volatile' };

export async function readLintCatalog(q: Queryable, options: ReadCatalogOptions = {}): Promise<LintCatalog> {
  const functions = (
    await q.query<{ schema: string; name: string; nargs: number; ndefaults: number; variadic: boolean; v: string }>(
      `SELECT n.nspname AS schema, p.proname AS name, p.pronargs AS nargs, p.pronargdefaults AS ndefaults,
            p.provariadic <> 0 AS variadic, p.provolatile AS v
       FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
      WHERE p.prokind = 'f'`,
    )
  ).rows.map((r) => ({
    schema: r.schema,
    name: r.name,
    nargs: Number(r.nargs),
    ndefaults: Number(r.ndefaults),
    variadic: r.variadic,
    volatility: VOLATILITY[r.v] ?? 'volatile',
  }));
  const domains = (
    await q.query<CatalogDomain>(
      `SELECT n.nspname AS schema, t.typname AS name, format_type(t.typbasetype, t.typtypmod) AS "baseType", t.typnotnull AS "notNull",
            t.typdefaultbin IS NOT NULL AS "hasDefault",
            EXISTS (SELECT 1 FROM pg_constraint c WHERE c.contypid = t.oid AND c.contype = 'c') AS constrained
       FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
      WHERE t.typtype = 'd'`,
    )
  ).rows;
  const notValidNotNull = (await q.query<CatalogNotValidNotNull>(NOT_VALID_NOT_NULL_SQL)).rows;
  const checkRows = (await q.query<{ schema: string; table: string; name: string; def: string }>(NOT_NULL_CHECKS_SQL)).rows;
  if (checkRows.length) await loadParser(); // their definitions are read by PostgreSQL's parser
  const notNullChecks = checkRows
    .map((r) => ({ schema: r.schema, table: r.table, name: r.name, columns: checkProves(r.def) }))
    .filter((c) => c.columns.length > 0);
  // The zone's offset in January and in July (a zone with summer time is not UTC, even while its offset is 0).
  const [zone] = (
    await q.query<{ utc: boolean; version: number }>(
      "SELECT extract(timezone FROM '2000-01-15 12:00+00'::timestamptz) = 0 AND extract(timezone FROM '2000-07-15 12:00+00'::timestamptz) = 0 AS utc, current_setting('server_version_num')::int AS version",
    )
  ).rows;
  const partitionedTables = (await q.query<{ schema: string; name: string; schemas: string[]; names: string[] }>(PARTITIONED_SQL)).rows.map((r) => ({
    schema: r.schema,
    name: r.name,
    partitions: r.names.map((name, k) => ({ schema: r.schemas[k], name })),
  }));
  const named = options.tables?.length ? await readNamedTables(q, options.tables) : undefined;
  // As text: the RDS Data API returns no arrays.
  const [path] = (await q.query<{ p: string }>('SELECT array_to_json(current_schemas(false))::text AS p')).rows;
  const searchPath = path ? (JSON.parse(path.p) as string[]) : undefined;
  return {
    functions,
    domains,
    notValidNotNull,
    notNullChecks,
    partitionedTables,
    utcSessions: zone?.utc === true,
    ...named,
    ...(zone?.version ? { serverMajor: Math.floor(Number(zone.version) / 10000) } : {}),
    ...(searchPath?.length ? { searchPath } : {}),
    ...(options.dependencies ? { dependencies: await readOrSay(q, options.onUnread) } : {}),
  };
}

/** What the database has of the tables of these names: the relations, their columns, constraints and indexes. */
async function readNamedTables(
  q: Queryable,
  tables: readonly string[],
): Promise<Pick<LintCatalog, 'tablesRead' | 'relations' | 'columns' | 'constraints' | 'indexes'>> {
  const names = [JSON.stringify(tables)];
  return {
    tablesRead: [...tables],
    relations: (await q.query<CatalogRelation>(RELATIONS_SQL, names)).rows,
    columns: (await q.query<CatalogColumn>(COLUMNS_SQL, names)).rows,
    constraints: (await q.query<CatalogConstraint>(CONSTRAINTS_SQL, names)).rows,
    indexes: (await q.query<CatalogIndex>(INDEXES_SQL, names)).rows,
  };
}

const PARTITIONED_SQL = `
SELECT n.nspname AS schema, c.relname AS name,
       ARRAY(SELECT pn.nspname::text FROM pg_inherits i JOIN pg_class p ON p.oid = i.inhrelid JOIN pg_namespace pn ON pn.oid = p.relnamespace
              WHERE i.inhparent = c.oid ORDER BY pn.nspname, p.relname) AS schemas,
       ARRAY(SELECT p.relname::text FROM pg_inherits i JOIN pg_class p ON p.oid = i.inhrelid JOIN pg_namespace pn ON pn.oid = p.relnamespace
              WHERE i.inhparent = c.oid ORDER BY pn.nspname, p.relname) AS names
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE c.relkind = 'p'`;

// Only definitions that can prove a column not null are read (a database has few of those).
const NOT_NULL_CHECKS_SQL = `
SELECT n.nspname AS schema, r.relname AS "table", c.conname AS name, pg_get_constraintdef(c.oid) AS def
  FROM pg_constraint c
  JOIN pg_class r ON r.oid = c.conrelid
  JOIN pg_namespace n ON n.oid = r.relnamespace
 WHERE c.contype = 'c' AND c.convalidated AND pg_get_constraintdef(c.oid) ILIKE '%IS NOT NULL%'`;

/** The columns a CHECK's definition (`pg_get_constraintdef`: `CHECK ((a IS NOT NULL))`) proves not null. */
export function checkProves(def: string): string[] {
  let stmt;
  try {
    stmt = parseSql(`ALTER TABLE t ADD ${def}`).statements[0];
  } catch {
    return []; // a definition this parser cannot read proves nothing here
  }
  const cmd = as(list(stmt?.node.cmds)[0], 'AlterTableCmd');
  const con = as(cmd?.def, 'Constraint');
  return con ? (notNullColumns(con) ?? []) : [];
}

/**
 * Whether a validated CHECK of the database proves `column` of `t` not null,
 * and no pending migration has dropped (or validated, or renamed away) it or
 * the column since. The catalog has the names from before the run.
 */
export function notNullProvenInDatabase(catalog: LintCatalog | undefined, t: TableModel, column: string): boolean {
  if (!catalog?.notNullChecks?.length) return false;
  const db = t.databaseName ?? t;
  const inDatabase = t.databaseColumns?.get(column) ?? column;
  const settled = t.notNullSettled;
  if (settled?.columns.has(column) || settled?.columns.has(inDatabase)) return false;
  return catalog.notNullChecks.some(
    (c) => c.schema === db.schema && c.table === db.name && c.columns.includes(inDatabase) && !settled?.constraints.has(c.name),
  );
}

/** Whether `t` is partitioned: a migration made it so, or the database's catalog says so (under the name it had before the run). */
export function isPartitioned(catalog: LintCatalog | undefined, t: TableModel): boolean {
  if (t.partitioned) return true;
  if (t.isNew || !catalog?.partitionedTables?.length) return false;
  const db = t.databaseName ?? t;
  return catalog.partitionedTables.some((p) => p.schema === db.schema && p.name === db.name);
}

/**
 * The names a new constraint of `t` cannot take: its constraints as the
 * migrations lint read left them, and those the database has (`lint
 * --database-url`; under the name the table had before the run).
 */
export function constraintNames(catalog: LintCatalog | undefined, t: TableModel): Set<string> {
  const names = new Set(t.constraints.keys());
  if (t.isNew || !catalog?.constraints?.length) return names;
  const db = t.databaseName ?? t;
  for (const c of catalog.constraints) if (c.schema === db.schema && c.table === db.name) names.add(c.name);
  return names;
}

// contype 'n' is PostgreSQL 18's: on earlier versions no row has it, and this reads nothing.
const NOT_VALID_NOT_NULL_SQL = `
SELECT n.nspname AS schema, r.relname AS "table", a.attname AS "column", c.conname AS name,
       ARRAY(SELECT x.relname::text FROM pg_index i JOIN pg_class x ON x.oid = i.indexrelid
              WHERE i.indrelid = c.conrelid AND c.conkey[1] = ANY (i.indkey::int2[]) ORDER BY 1) AS indexes
  FROM pg_constraint c
  JOIN pg_class r ON r.oid = c.conrelid
  JOIN pg_namespace n ON n.oid = r.relnamespace
  JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1]
 WHERE c.contype = 'n' AND NOT c.convalidated`;

async function readOrSay(q: Queryable, onUnread: ReadCatalogOptions['onUnread']): Promise<DependencyGraph | undefined> {
  try {
    return await readDependencies(q);
  } catch (e) {
    onUnread?.(`lint could not read what depends on what (${(e as Error).message}), so drop-cascade names no dependents`);
    return undefined;
  }
}
