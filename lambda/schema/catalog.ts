/**
 * A normalised dump of the schema the application sees, read from pg_catalog,
 * and a diff of two dumps. Used to prove that every drifted database ends in
 * the same schema after the fixes, and by drift detection.
 *
 * Normalised means: deterministic and free of what does not matter to the
 * application — object ids, column order (a column added later sits at the
 * end), the session's search_path (definitions are printed with every name
 * schema-qualified), extension-owned objects (pgcrypto's functions). Two
 * databases with equal catalogs accept and reject the same statements.
 *
 * Only the schemas asked for are read (default `public`); schemaguard's own
 * state schema is never part of a dump, even when asked for.
 *
 *     const expected = await readCatalog(freshSession);          // a database migrated from empty
 *     const actual = await readCatalog(prodSession, { schemas: ['public'] });
 *     const diffs = diffCatalogs(expected, actual);             // [] when the schemas are the same
 *     if (diffs.length) console.log(formatDifferences(diffs, { a: 'expected', b: 'live' }));
 *
 * Everything returned is plain data (strings, booleans, null, arrays): it
 * survives JSON.stringify/parse unchanged, so a dump can be stored and
 * compared later.
 */
import type { Queryable } from '../engine/ports';
import { readDetail, readDisabledKeyTriggers, type DomainInfo, type EnumInfo, type KeyTrigger, type PolicyInfo, type TriggerInfo } from './catalog-detail';
import { DEFAULT_STATE_SCHEMA } from '../engine/state/state';
import { catalogRows } from './catalog-pages';
import { readSequences, type ColumnSequence, type SequenceInfo, type SequenceOptions } from './catalog-sequences';
import { present } from '../engine/errors/present';

export interface CatalogOptions {
  /** Schemas to dump. @default ['public'] */
  schemas?: readonly string[];
  /** schemaguard's state schema, always left out. @default 'schemaguard' */
  stateSchema?: string;
  /** Also list the database's other schemas (`Catalog.otherSchemas`): a live schema compared with a snapshot. @default false */
  otherSchemas?: boolean;
}

export interface ColumnInfo {
  name: string;
  /** `format_type()`, e.g. `uuid`, `character varying(255)`, `numeric(10,2)`. */
  type: string;
  nullable: boolean;
  /** `pg_get_expr()` of the default, or null. */
  default: string | null;
  /** `a` (ALWAYS) / `d` (BY DEFAULT) identity, or null. */
  identity: string | null;
  /** Generation expression of a generated column, or null. */
  generated: string | null;
  /** A collation other than its type's (`"C"`, `public.ci`: qualified outside pg_catalog); absent for the type's own. */
  collation?: string;
  comment: string | null;
  /**
   * An identity column's sequence, or a `serial` column's (one it owns and
   * its default calls nextval on): its options, compared as the column's
   * (`sequence.increment`, …). Absent on other columns, and in snapshots
   * taken before sequences were read (`Catalog.sequences` absent).
   */
  sequence?: ColumnSequence;
}

export interface ConstraintInfo {
  name: string;
  /** p primary key, f foreign key, u unique, c check, x exclusion, n not-null (PostgreSQL 18). */
  type: string;
  /** `pg_get_constraintdef()`; ends with ` NOT VALID` while not validated. */
  definition: string;
  validated: boolean;
  comment: string | null;
  /**
   * A foreign key's enforcement triggers (`RI_ConstraintTrigger_*`, on the
   * referencing and the referenced table) that do not fire in an ordinary
   * session: disabled (`ALTER TABLE … DISABLE TRIGGER ALL` on either table)
   * or replica-only. Absent when every one fires (`Catalog.detail`).
   */
  disabledTriggers?: KeyTrigger[];
}

export interface IndexInfo {
  name: string;
  /** `pg_get_indexdef()`. */
  definition: string;
  valid: boolean;
  /** The constraint the index implements (primary key, unique), or null. */
  constraint: string | null;
  comment: string | null;
}

export interface TableInfo {
  schema: string;
  name: string;
  /** r table, p partitioned table, v view, m materialized view, f foreign table. */
  kind: string;
  comment: string | null;
  /**
   * A partition: its partitioned table (`schema.name` as regclass prints it
   * with search_path pg_catalog) and its bound (`FOR VALUES …`, `DEFAULT`).
   * Absent on other tables, and in snapshots taken before it was recorded.
   */
  partitionOf?: string;
  partitionBound?: string;
  /** Sorted by name. */
  columns: ColumnInfo[];
  /** Sorted by name. */
  constraints: ConstraintInfo[];
  /** Sorted by name. */
  indexes: IndexInfo[];
  /** Its triggers, sorted by name (`Catalog.detail`). */
  triggers?: TriggerInfo[];
  /** A view's or materialized view's query, `pg_get_viewdef` (`Catalog.detail`). */
  definition?: string;
  /** A table's row-level security: `off`, `on`, or `forced` (on for its owner too) (`Catalog.detail`). */
  rowSecurity?: string;
  /**
   * A table's row-level security policies, sorted by name (`Catalog.detail`;
   * absent in snapshots taken before they were read, which compare none).
   */
  policies?: PolicyInfo[];
  /**
   * A table's replica identity: `default` (its primary key), `full`,
   * `nothing`, or `index <name>` (`Catalog.detail`; absent in snapshots
   * taken before it was read, which compare none).
   */
  replicaIdentity?: string;
}

export interface FunctionInfo {
  schema: string;
  name: string;
  /** `pg_get_function_identity_arguments()`: names and types, no defaults. */
  arguments: string;
  /** `pg_get_function_result()`. */
  result: string;
  language: string;
  /** `pg_get_functiondef()` (the full CREATE OR REPLACE text), or for aggregates their signature. */
  definition: string;
  comment: string | null;
}

export interface ExtensionInfo {
  name: string;
  schema: string;
  version: string;
}

export interface Catalog {
  /** The schemas dumped, sorted. */
  schemas: string[];
  /**
   * The database's other schemas (not `pg_*`, `information_schema`, the
   * state schema or one an extension made), sorted; read when asked for
   * (`CatalogOptions.otherSchemas`).
   */
  otherSchemas?: string[];
  /**
   * 1: columns carry their collation, tables their triggers, views their
   * definitions, and the enum types and the server's major version are
   * recorded (`catalog-detail.ts`). Absent in snapshots taken before, which
   * compare none of these.
   */
  detail?: 1;
  /** The enum types, sorted by schema and name (`detail`). */
  types?: EnumInfo[];
  /** The domains, sorted by schema and name (`detail`). */
  domains?: DomainInfo[];
  /** The server's major version (`detail`): views' definitions are compared between servers of one major version only. */
  serverMajor?: number;
  /**
   * The sequences that are objects of their own, sorted by schema and name;
   * an identity's or a serial column's is its column's (`ColumnInfo.sequence`).
   * Absent in snapshots taken before sequences were read, which compare
   * none (`catalog-sequences.ts`).
   */
  sequences?: SequenceInfo[];
  /** Extensions installed in the database (plpgsql excluded: it is always there), sorted by name. */
  extensions: ExtensionInfo[];
  /** Tables, views and their parts, sorted by schema and name. */
  tables: TableInfo[];
  /** Functions and procedures not owned by an extension, sorted by schema, name, arguments. */
  functions: FunctionInfo[];
}

/**
 * The settings a definition's text depends on, fixed while the catalog is
 * read and restored after: search_path (every name schema-qualified), and
 * how constants print (a timestamptz in a partition bound, a view or a
 * default prints in the session's TimeZone and DateStyle), so a snapshot
 * taken on a machine in Berlin reads as one of a database in UTC.
 */
const PRINTING: readonly (readonly [string, string])[] = [
  ['search_path', 'pg_catalog'],
  ['TimeZone', 'UTC'],
  ['DateStyle', 'ISO, MDY'],
  ['IntervalStyle', 'postgres'],
  ['extra_float_digits', '1'],
];

/**
 * Read the catalog of `options.schemas` through `q`. `q` must be one session
 * (a pg client, a driver Session): the settings definitions print by
 * (`PRINTING`) are fixed while it reads, and restored afterwards.
 */
export async function readCatalog(q: Queryable, options: CatalogOptions = {}): Promise<Catalog> {
  const stateSchema = options.stateSchema ?? DEFAULT_STATE_SCHEMA;
  const schemas = [...new Set(options.schemas ?? ['public'])].filter((s) => s !== stateSchema).sort();
  const previous = (await q.query<Record<string, string>>(`SELECT ${PRINTING.map(([name], k) => `current_setting('${name}') AS s${k}`).join(', ')}`)).rows[0];
  await q.query(`SELECT ${PRINTING.map(([name, value]) => `set_config('${name}', '${value}', false)`).join(', ')}`);
  let failed = false;
  try {
    // One after the other: a session runs one query at a time.
    // The schemas as one JSON text: the RDS Data API takes no array parameters.
    const names = [JSON.stringify(schemas)];
    // Every part paged where the driver bounds a response (`catalog-pages.ts`): each grows with the database.
    const extensions = await catalogRows<ExtensionInfo>(q, SQL_EXTENSIONS, []);
    const relations = await catalogRows<{ schema: string; name: string; kind: string; comment: string | null; parent: string | null; bound: string | null }>(
      q,
      SQL_RELATIONS,
      names,
    );
    const columns = await catalogRows<Omit<ColumnInfo, 'collation'> & { schema: string; table: string; collation: string | null }>(q, SQL_COLUMNS, names);
    const constraints = await catalogRows<ConstraintInfo & { schema: string; table: string }>(q, SQL_CONSTRAINTS, names);
    const indexes = await catalogRows<IndexInfo & { schema: string; table: string }>(q, SQL_INDEXES, names);
    const functions = await catalogRows<FunctionInfo>(q, SQL_FUNCTIONS, names);
    const tables = new Map<string, TableInfo>();
    for (const r of relations) {
      const partition = r.parent !== null && r.bound !== null ? { partitionOf: r.parent, partitionBound: r.bound } : {};
      tables.set(key(r.schema, r.name), {
        schema: r.schema,
        name: r.name,
        kind: r.kind,
        comment: r.comment,
        ...partition,
        columns: [],
        constraints: [],
        indexes: [],
      });
    }
    for (const { schema, table, collation, ...c } of columns) tables.get(key(schema, table))?.columns.push({ ...c, ...(collation ? { collation } : {}) });
    for (const { schema, table, ...c } of constraints) tables.get(key(schema, table))?.constraints.push(c);
    for (const { schema, table, ...i } of indexes) tables.get(key(schema, table))?.indexes.push(i);
    await readDisabledKeyTriggers(q, names, tables);
    const detail = await readDetail(q, names, tables);
    const sequences = await readSequences(q, names, tables);
    const byName = <T extends { name: string }>(a: T, b: T) => compare(a.name, b.name);
    const sortedTables = [...tables.values()].sort((a, b) => compare(a.schema, b.schema) || compare(a.name, b.name));
    for (const t of sortedTables) {
      t.columns.sort(byName);
      t.constraints.sort(byName);
      t.indexes.sort(byName);
    }
    // A schema per tenant: thousands of names are past one Data API response.
    const others = options.otherSchemas
      ? (await catalogRows<{ name: string }>(q, SQL_OTHER_SCHEMAS, [...names, stateSchema])).map((r) => r.name).sort(compare)
      : undefined;
    return {
      schemas,
      detail: 1,
      ...detail,
      ...(others ? { otherSchemas: others } : {}),
      sequences,
      extensions: extensions.sort(byName),
      tables: sortedTables,
      functions: functions.sort((a, b) => compare(a.schema, b.schema) || compare(a.name, b.name) || compare(a.arguments, b.arguments)),
    };
  } catch (e) {
    failed = true;
    throw e;
  } finally {
    // In a transaction a failed read (a lock timeout) leaves it aborted, and the restore would fail
    // with 25P02 in the read's place; the caller's ROLLBACK restores search_path then.
    await q
      .query(
        `SELECT ${PRINTING.map(([name], k) => `set_config('${name}', $${k + 1}, false)`).join(', ')}`,
        PRINTING.map((_p, k) => previous[`s${k}`]),
      )
      .catch((e: unknown) => {
        if (!failed) throw e;
      });
  }
}

function key(schema: string, name: string): string {
  return `${schema}.${name}`;
}

/** Code-point order, independent of the machine's locale. */
function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

const SQL_EXTENSIONS = `
SELECT e.extname AS name, n.nspname AS schema, e.extversion AS version, e.oid AS page_oid
  FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace
 WHERE e.extname <> 'plpgsql'`;

/** Relations, without extension members (pg_depend deptype 'e'). */
const NOT_EXTENSION_MEMBER = (classid: string, oid: string) =>
  `NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = '${classid}'::regclass AND d.objid = ${oid} AND d.deptype = 'e')`;

const SQL_OTHER_SCHEMAS = `
SELECT nspname AS name, n.oid AS page_oid FROM pg_namespace n
 WHERE nspname NOT IN (SELECT json_array_elements_text($1::json)) AND nspname NOT IN ('information_schema', $2) AND nspname NOT LIKE 'pg\\_%'
   AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_namespace'::regclass AND d.objid = n.oid AND d.deptype = 'e')`;

const SQL_RELATIONS = `
SELECT n.nspname AS schema, c.relname AS name, c.relkind::text AS kind, obj_description(c.oid, 'pg_class') AS comment,
       CASE WHEN c.relispartition THEN (SELECT i.inhparent::regclass::text FROM pg_inherits i WHERE i.inhrelid = c.oid) END AS parent,
       CASE WHEN c.relispartition THEN pg_get_expr(c.relpartbound, c.oid) END AS bound, c.oid AS page_oid
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE n.nspname IN (SELECT json_array_elements_text($1::json)) AND c.relkind IN ('r', 'p', 'v', 'm', 'f')
   AND ${NOT_EXTENSION_MEMBER('pg_class', 'c.oid')}`;

const SQL_COLUMNS = `
SELECT n.nspname AS schema, c.relname AS table, a.attname AS name,
       format_type(a.atttypid, a.atttypmod) AS type, NOT a.attnotnull AS nullable,
       CASE WHEN a.attgenerated = '' THEN pg_get_expr(d.adbin, d.adrelid) END AS default,
       NULLIF(a.attidentity::text, '') AS identity,
       CASE WHEN a.attgenerated <> '' THEN pg_get_expr(d.adbin, d.adrelid) END AS generated,
       (SELECT CASE WHEN cn.nspname = 'pg_catalog' THEN quote_ident(co.collname) ELSE quote_ident(cn.nspname) || '.' || quote_ident(co.collname) END
          FROM pg_collation co JOIN pg_namespace cn ON cn.oid = co.collnamespace
         WHERE co.oid = a.attcollation AND a.attcollation <> (SELECT t.typcollation FROM pg_type t WHERE t.oid = a.atttypid)) AS collation,
       col_description(c.oid, a.attnum) AS comment, c.oid AS page_oid
  FROM pg_attribute a
  JOIN pg_class c ON c.oid = a.attrelid
  JOIN pg_namespace n ON n.oid = c.relnamespace
  LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
 WHERE n.nspname IN (SELECT json_array_elements_text($1::json)) AND c.relkind IN ('r', 'p', 'v', 'm', 'f')
   AND a.attnum > 0 AND NOT a.attisdropped`;

/**
 * Table constraints. PostgreSQL 18 stores NOT NULL as constraints too (type
 * n); they are left out because nullability is already a column property and
 * their names depend on how the column got NOT NULL.
 */
const SQL_CONSTRAINTS = `
SELECT n.nspname AS schema, c.relname AS table, con.conname AS name, con.contype::text AS type,
       pg_get_constraintdef(con.oid) AS definition, con.convalidated AS validated,
       obj_description(con.oid, 'pg_constraint') AS comment, c.oid AS page_oid
  FROM pg_constraint con
  JOIN pg_class c ON c.oid = con.conrelid
  JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE n.nspname IN (SELECT json_array_elements_text($1::json)) AND con.contype <> 'n'`;

const SQL_INDEXES = `
SELECT n.nspname AS schema, t.relname AS table, ic.relname AS name, pg_get_indexdef(i.indexrelid) AS definition,
       i.indisvalid AS valid, con.conname AS constraint, obj_description(ic.oid, 'pg_class') AS comment, t.oid AS page_oid
  FROM pg_index i
  JOIN pg_class ic ON ic.oid = i.indexrelid
  JOIN pg_class t ON t.oid = i.indrelid
  JOIN pg_namespace n ON n.oid = t.relnamespace
  LEFT JOIN pg_constraint con ON con.conindid = i.indexrelid AND con.conrelid = i.indrelid AND con.contype IN ('p', 'u', 'x')
 WHERE n.nspname IN (SELECT json_array_elements_text($1::json))`;

const SQL_FUNCTIONS = `
SELECT n.nspname AS schema, p.proname AS name, pg_get_function_identity_arguments(p.oid) AS arguments,
       coalesce(pg_get_function_result(p.oid), '') AS result, l.lanname AS language,
       CASE WHEN p.prokind IN ('f', 'p', 'w') THEN pg_get_functiondef(p.oid) ELSE p.oid::regprocedure::text END AS definition,
       obj_description(p.oid, 'pg_proc') AS comment, p.oid AS page_oid
  FROM pg_proc p
  JOIN pg_namespace n ON n.oid = p.pronamespace
  JOIN pg_language l ON l.oid = p.prolang
 WHERE n.nspname IN (SELECT json_array_elements_text($1::json))
   AND ${NOT_EXTENSION_MEMBER('pg_proc', 'p.oid')}`;

// --- diff ---------------------------------------------------------------------

export type DifferenceKind =
  | 'schema'
  | 'extension'
  | 'type'
  | 'domain'
  | 'sequence'
  | 'table'
  | 'column'
  | 'constraint'
  | 'index'
  | 'trigger'
  | 'policy'
  | 'function';

export interface Difference {
  kind: DifferenceKind;
  /** Exact object name: `public.lead_purchases`, `public.lead_purchases.id`, `public.create_lead_with_conversation(p_user_id uuid, …)`. */
  name: string;
  /** `only-in-a`, `only-in-b`, or `changed` (then `field`, `a` and `b` say what differs). */
  change: 'only-in-a' | 'only-in-b' | 'changed';
  field?: string;
  a?: unknown;
  b?: unknown;
  /** What a `table` difference's relation is, when not a table: `view`, `materialized view` or `foreign table` (as the live side has it, else the snapshot). */
  object?: string;
}

/**
 * Differences between two catalogs, ordered by kind (extension, table,
 * column, constraint, index, function), then name, then field.
 * An empty list means the schemas are the same. `a` is usually the expected
 * catalog (a fresh database after the fixes) and `b` the one under test.
 */
export function diffCatalogs(a: Catalog, b: Catalog): Difference[] {
  const out: Difference[] = [];
  // A schema of one side that the other does not compare (read as `otherSchemas`): made by hand, or dropped.
  for (const name of b.otherSchemas ?? []) if (!a.schemas.includes(name)) out.push({ kind: 'schema', name, change: 'only-in-b' });
  for (const name of a.otherSchemas ?? []) if (!b.schemas.includes(name)) out.push({ kind: 'schema', name, change: 'only-in-a' });
  diffSets(out, 'extension', a.extensions, b.extensions, (e) => e.name, ['schema', 'version']);
  diffSets(out, 'table', a.tables, b.tables, (t) => key(t.schema, t.name), ['kind', 'comment']);
  const bTables = new Map(b.tables.map((t) => [key(t.schema, t.name), t]));
  for (const ta of a.tables) {
    const tb = bTables.get(key(ta.schema, ta.name));
    if (!tb) continue;
    const prefix = `${key(ta.schema, ta.name)}.`;
    // A snapshot that recorded the table as a partition: detached, or attached elsewhere, since.
    if (ta.partitionOf !== undefined) {
      for (const field of ['partitionOf', 'partitionBound'] as const) {
        if (ta[field] !== tb[field]) out.push({ kind: 'table', name: key(ta.schema, ta.name), change: 'changed', field, a: ta[field], b: tb[field] ?? null });
      }
    }
    // A partition's column type, collation and identity are its parent's (PostgreSQL refuses to change them there), compared on the parent;
    // PostgreSQL 17+ shows the identity on each partition too, 15 and 16 do not.
    const partition = ta.partitionOf !== undefined || tb.partitionOf !== undefined;
    const collation = a.detail && b.detail ? ['collation' as const] : [];
    const inherited = partition ? [] : ['type' as const, 'identity' as const, ...collation];
    diffSets(out, 'column', ta.columns, tb.columns, (c) => prefix + c.name, [...inherited, 'nullable', 'default', 'generated', 'comment']);
    // A foreign key's enforcement (its triggers firing) is read since `detail`.
    const keys = (t: TableInfo) =>
      t.constraints.map((c) => ({ ...c, triggers: c.type === 'f' ? (c.disabledTriggers?.length ? 'disabled' : 'enabled') : null }));
    const enforcement = a.detail && b.detail ? ['triggers' as const] : [];
    diffSets(out, 'constraint', keys(ta), keys(tb), (c) => prefix + c.name, ['type', 'definition', 'validated', 'comment', ...enforcement]);
    diffSets(out, 'index', ta.indexes, tb.indexes, (i) => prefix + i.name, ['definition', 'valid', 'constraint', 'comment']);
  }
  diffDetail(a, b, out);
  diffSequences(a, b, out);
  diffSets(out, 'function', a.functions, b.functions, (f) => `${key(f.schema, f.name)}(${f.arguments})`, ['result', 'language', 'definition', 'comment']);
  nameRelations(out, a, b);
  // Stable sort: fields of one object keep their order.
  return out.sort((x, y) => KIND_ORDER.indexOf(x.kind) - KIND_ORDER.indexOf(y.kind) || compare(x.name, y.name));
}

/** The noun of each relkind that is not a table (kind `table` covers every relation the catalog reads). */
const RELATION_NOUNS: Record<string, string> = { v: 'view', m: 'materialized view', f: 'foreign table' };

/** Sets `object` on each `table` difference whose relation is a view, a materialized view or a foreign table. */
function nameRelations(out: Difference[], a: Catalog, b: Catalog): void {
  const kinds = new Map([...a.tables, ...b.tables].map((t) => [key(t.schema, t.name), t.kind]));
  for (const d of out) {
    const noun = d.kind === 'table' ? RELATION_NOUNS[d.field === 'kind' ? '' : (kinds.get(d.name) ?? '')] : undefined;
    if (noun) d.object = noun;
  }
}

const KIND_ORDER: DifferenceKind[] = [
  'schema',
  'extension',
  'type',
  'domain',
  'sequence',
  'table',
  'column',
  'constraint',
  'index',
  'trigger',
  'policy',
  'function',
];

/** The detail's differences (`Catalog.detail`), when both catalogs have it; views' definitions between servers of one major version. */
function diffDetail(a: Catalog, b: Catalog, out: Difference[]): void {
  if (!a.detail || !b.detail) return;
  const bTables = new Map(b.tables.map((t) => [key(t.schema, t.name), t]));
  for (const ta of a.tables) {
    const tb = bTables.get(key(ta.schema, ta.name));
    if (!tb) continue;
    if (a.serverMajor === b.serverMajor) diffSets(out, 'table', [ta], [tb], (t) => key(t.schema, t.name), ['definition']);
    for (const field of ['rowSecurity', 'replicaIdentity'] as const) {
      if (ta[field] !== undefined && tb[field] !== undefined) diffSets(out, 'table', [ta], [tb], (t) => key(t.schema, t.name), [field]);
    }
    diffSets(out, 'trigger', ta.triggers ?? [], tb.triggers ?? [], (t) => `${key(ta.schema, ta.name)}.${t.name}`, ['definition', 'enabled']);
    if (ta.policies && tb.policies) diffSets(out, 'policy', ta.policies, tb.policies, (p) => `${key(ta.schema, ta.name)}.${p.name}`, ['definition']);
  }
  const enums = (c: Catalog) => (c.types ?? []).map((t) => ({ ...t, values: labelList(t.values) }));
  diffSets(out, 'type', enums(a), enums(b), (t) => key(t.schema, t.name), ['values']);
  const domains = (c: Catalog) => (c.domains ?? []).map((d) => ({ ...d, checks: d.checks.map((x) => `${x.name} ${x.definition}`).join('; ') }));
  diffSets(out, 'domain', domains(a), domains(b), (d) => key(d.schema, d.name), ['baseType', 'notNull', 'default', 'checks']);
}

/** A sequence's options, in the order a fix sets them (AS first: it moves a bound left at its type's limit). */
export const SEQUENCE_FIELDS: readonly (keyof SequenceOptions)[] = ['type', 'increment', 'min', 'max', 'start', 'cycle'];

/** A sequence by its own name: one of its own, or a serial column's (`attached`). */
export type NamedSequence = SequenceInfo & { attached: boolean };

/** The sequences of `c` that have a name users know: its own, and each serial column's (owned by its column); not an identity's. */
export function namedSequences(c: Catalog): NamedSequence[] {
  const attached = c.tables.flatMap((t) =>
    t.columns
      .filter((col) => col.sequence && col.identity === null)
      .map(({ name, sequence: s }): NamedSequence => ({ ...present(s), ownedBy: `${key(t.schema, t.name)}.${name}`, attached: true })),
  );
  return [...(c.sequences ?? []).map((s) => ({ ...s, attached: false })), ...attached];
}

/**
 * Sequences, when both catalogs read them. An identity's or a serial
 * column's options are its column's (`sequence.increment`, …); a sequence
 * of its own is compared by name, with its owner: a serial column's made a
 * sequence of its own (`OWNED BY NONE`) is one whose owner changed. A
 * serial column's sequence on one side only is a sequence's difference when
 * the other side has the column with no sequence (`bareColumns`); otherwise
 * its column's (the column, or its default, is).
 */
function diffSequences(a: Catalog, b: Catalog, out: Difference[]): void {
  if (!a.sequences || !b.sequences) return;
  const bTables = new Map(b.tables.map((t) => [key(t.schema, t.name), t]));
  for (const ta of a.tables) {
    const tb = bTables.get(key(ta.schema, ta.name));
    // A partition's identity is its parent's: one sequence, compared on the parent.
    if (!tb || ta.partitionOf !== undefined || tb.partitionOf !== undefined) continue;
    const bColumns = new Map(tb.columns.map((c) => [c.name, c]));
    for (const ca of ta.columns) {
      const cb = bColumns.get(ca.name);
      const [sa, sb] = [ca.sequence, cb?.sequence];
      if (!sa || !sb) continue;
      // An identity's sequence takes its column's type (and that type's bounds) when the column's changes: the column's difference says it.
      const follows = ca.identity !== null && present(cb).identity !== null && ca.type !== present(cb).type;
      for (const field of SEQUENCE_FIELDS) {
        if (follows && (field === 'type' || field === 'min' || field === 'max')) continue;
        if (sa[field] !== sb[field])
          out.push({
            kind: 'column',
            name: `${key(ta.schema, ta.name)}.${ca.name}`,
            change: 'changed',
            field: `sequence.${field}`,
            a: sa[field],
            b: sb[field],
          });
      }
    }
  }
  const named = (c: Catalog) => new Map(namedSequences(c).map((s) => [key(s.schema, s.name), s]));
  const [am, bm] = [named(a), named(b)];
  const [aBare, bBare] = [bareColumns(a), bareColumns(b)];
  const kept = (m: Map<string, NamedSequence>, other: Map<string, NamedSequence>, otherBare: Set<string>) =>
    [...m.values()].filter((s) => {
      if (!s.attached) return true;
      const there = other.get(key(s.schema, s.name));
      return there ? !there.attached : otherBare.has(present(s.ownedBy));
    });
  diffSets(out, 'sequence', kept(am, bm, bBare), kept(bm, am, aBare), (s) => key(s.schema, s.name), [...SEQUENCE_FIELDS, 'ownedBy']);
}

/**
 * The columns (`schema.table.column`) with no sequence of their own: a
 * serial column's sequence on one side only, whose column is one of these
 * on the other, was dropped (`DROP SEQUENCE … CASCADE` takes the default
 * along) or added by hand, and is a sequence's difference. One whose column
 * is missing, or has another sequence (renamed), is its column's.
 */
function bareColumns(c: Catalog): Set<string> {
  return new Set(c.tables.flatMap((t) => t.columns.filter((col) => !col.sequence).map((col) => `${key(t.schema, t.name)}.${col.name}`)));
}

/** An enum's labels as one text, each quoted as a literal (`'new', 'paid'`): a label holding ", " stays one. */
export function labelList(labels: readonly string[]): string {
  return labels.map((l) => `'${l.replaceAll("'", "''")}'`).join(', ');
}

/** The labels of a `labelList` text. */
export function labelsOf(list: string): string[] {
  return [...list.matchAll(/'((?:[^']|'')*)'/g)].map((m) => m[1].replaceAll("''", "'"));
}

function diffSets<T>(out: Difference[], kind: DifferenceKind, a: T[], b: T[], nameOf: (x: T) => string, fields: (keyof T & string)[]): void {
  const am = new Map(a.map((x) => [nameOf(x), x]));
  const bm = new Map(b.map((x) => [nameOf(x), x]));
  const names = [...new Set([...am.keys(), ...bm.keys()])].sort(compare);
  for (const name of names) {
    const x = am.get(name);
    const y = bm.get(name);
    if (!y) {
      out.push({ kind, name, change: 'only-in-a' });
      continue;
    }
    if (!x) {
      out.push({ kind, name, change: 'only-in-b' });
      continue;
    }
    for (const field of fields) {
      // A field left out when it has nothing to say (a column's collation) reads as null.
      const [va, vb] = [x[field] ?? null, y[field] ?? null];
      if (va !== vb) out.push({ kind, name, change: 'changed', field, a: va, b: vb });
    }
  }
}

/** One line per difference, e.g. `column public.lead_purchases.id: default differs: gen_random_uuid() vs null`. */
export function formatDifferences(diffs: readonly Difference[], labels: { a: string; b: string } = { a: 'a', b: 'b' }): string {
  return diffs
    .map((d) => {
      const noun = d.object ?? d.kind;
      if (d.change === 'only-in-a') return `${noun} ${d.name}: only in ${labels.a}`;
      if (d.change === 'only-in-b') return `${noun} ${d.name}: only in ${labels.b}`;
      return `${noun} ${d.name}: ${d.field} differs: ${labels.a} ${JSON.stringify(d.a)} vs ${labels.b} ${JSON.stringify(d.b)}`;
    })
    .join('\n');
}
