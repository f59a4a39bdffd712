/**
 * What a database that schemaguard has recorded nothing on already holds,
 * for a first deploy that must be told what it is (the custom resource's
 * `baseline`):
 *
 * - `readExistingTables`: its application tables and views — not
 *   schemaguard's state schema, not an extension's (PostGIS's
 *   spatial_ref_sys), not another tool's history table, not a partition —
 *   counted, the first few named; and the other schemaguard state schemas
 *   here (another SchemaMigrations on this database, with a stateSchema of
 *   its own, made those tables).
 * - `estimateVersion`: the version it appears to be at, from names only. The
 *   files are read in order with PostgreSQL's parser, following the tables,
 *   views, materialized views, indexes and sequences they create, drop and
 *   rename; the estimate is the newest file after which every one of those
 *   still expected exists. Columns, definitions and data are not compared,
 *   a name without a schema is looked for in `public` (a file's own
 *   `SET search_path` is not followed), and files that create nothing it can
 *   see (ALTER, INSERT) cannot be told apart: the estimate is a range.
 */
import type { Queryable } from '../../engine/ports';
import type { Migration } from '../../engine/files/source';
import { FOREIGN_HISTORY_TABLES } from '../../engine/foreign-history/foreign-tables';
import { STATE_TABLE } from '../../engine/state/state';
import { cutToBytes } from '../names/object-names';
import { as, list, loadParser, names, parseSqlInChunks, rangeVar, type Node, type ParsedStatement } from '../parser/parse';
import { present } from '../../engine/errors/present';

export interface ExistingTables {
  /** How many application tables and views there are. */
  count: number;
  /** How many tables carry another tool's history-table name (`foreign-tables.ts` reads them). */
  historyNamed: number;
  /** The first few, `schema.name`, in name order. */
  sample: string[];
  /** Schemas other than `stateSchema` that hold a schemaguard state table (their tables are not counted). */
  otherStateSchemas: string[];
}

/** How many tables `readExistingTables` names. */
const SAMPLE = 5;

/**
 * The application's tables and views. `stateSchema` is schemaguard's own;
 * other tools' history tables are left to `foreign-tables.ts`. One query
 * (the names as one JSON text: the RDS Data API takes no array parameters).
 */
export async function readExistingTables(q: Queryable, stateSchema: string): Promise<ExistingTables> {
  const { rows } = await q.query<{ n: number; h: number; sample: string; states: string }>(
    `
    WITH states AS (
      SELECT n.nspname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
       WHERE c.relname = $3 AND c.relkind = 'r' AND n.nspname <> $1
         AND EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attname = 'checksum' AND NOT a.attisdropped)),
    rel AS (
      SELECT c.oid, format('%I.%I', n.nspname, c.relname) AS t, c.relname IN (SELECT json_array_elements_text($2::json)) AS history
        FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
       WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f') AND NOT c.relispartition
         AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_%' AND n.nspname <> $1
         AND n.nspname NOT IN (SELECT nspname FROM states)
         AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'e')),
    app AS (SELECT t FROM rel WHERE NOT history)
    SELECT (SELECT count(*)::int FROM app) AS n, (SELECT count(*)::int FROM rel WHERE history) AS h,
           (SELECT coalesce(json_agg(t), '[]')::text FROM (SELECT t FROM app ORDER BY t LIMIT ${SAMPLE}) s) AS sample,
           (SELECT coalesce(json_agg(nspname ORDER BY nspname), '[]')::text FROM states) AS states`,
    [stateSchema, JSON.stringify(FOREIGN_HISTORY_TABLES), STATE_TABLE],
  );
  const row = rows[0];
  return {
    count: Number(row.n),
    historyNamed: Number(row.h),
    sample: JSON.parse(row.sample) as string[],
    otherStateSchemas: JSON.parse(row.states) as string[],
  };
}

export interface VersionEstimate {
  /** The oldest version the database may be at: the newest file before the first missing object that creates something. Undefined: not even the first file's objects exist. */
  version?: number;
  /** The newest it may be at: the files after `version` up to this one create nothing the estimate can see. */
  upTo?: number;
  /** The first file that creates an object that is not here, and that object (`schema.name`). */
  missing?: { file: string; version: number; object: string };
  /** How many objects the files create, that it looked for. */
  looked: number;
}

/** One step of a file, in order: an object made, dropped, or renamed. */
type Step = { add: string } | { drop: string } | { from: string; to: string };

/** The relation kinds the estimate follows (pg_class relkinds it compares against: any). */
const FOLLOWED = new Set(['OBJECT_TABLE', 'OBJECT_VIEW', 'OBJECT_MATVIEW', 'OBJECT_INDEX', 'OBJECT_SEQUENCE', 'OBJECT_FOREIGN_TABLE']);

/** The version the database appears to be at, from the objects `migrations` create (see the module's comment for what it does not see). */
export async function estimateVersion(q: Queryable, migrations: Migration[]): Promise<VersionEstimate> {
  await loadParser();
  const files = migrations.map((m) => ({ m, steps: stepsOf(m) }));
  const wanted = new Set(files.flatMap((f) => f.steps.flatMap((s) => ('add' in s ? [s.add] : 'to' in s ? [s.to] : []))));
  const found = await existing(q, [...wanted]);
  return replay(files, found, wanted.size);
}

/** Walk the files' steps, counting the expected objects that are not here; stop at the first file that leaves one missing. */
function replay(files: { m: Migration; steps: Step[] }[], found: Set<string>, looked: number): VersionEstimate {
  const expected = new Set<string>();
  let missing = 0;
  const add = (k: string) => {
    if (!expected.has(k)) {
      expected.add(k);
      if (!found.has(k)) missing++;
    }
  };
  const drop = (k: string) => {
    if (expected.delete(k) && !found.has(k)) missing--;
  };
  let version: number | undefined;
  let upTo: number | undefined;
  for (const { m, steps } of files) {
    for (const s of steps) {
      if ('add' in s) add(s.add);
      else if ('drop' in s) drop(s.drop);
      else if (expected.has(s.from)) {
        drop(s.from);
        add(s.to);
      }
    }
    if (missing > 0) {
      const object = objectOf(present([...expected].find((k) => !found.has(k))));
      return { version, upTo, missing: { file: m.file, version: m.version, object }, looked };
    }
    if (steps.some((s) => 'add' in s)) version = m.version;
    if (version !== undefined) upTo = m.version;
  }
  return { version, upTo, looked };
}

/** Which of `keys` (`schema.name`) name a relation here, in batches (a Data API request and response stay small). */
async function existing(q: Queryable, keys: string[]): Promise<Set<string>> {
  const found = new Set<string>();
  for (let k = 0; k < keys.length; k += 500) {
    const batch = keys.slice(k, k + 500).map((key) => splitKey(key));
    const { rows } = await q.query<{ s: string; n: string }>(
      `SELECT e->>0 AS s, e->>1 AS n FROM json_array_elements($1::json) e
        WHERE EXISTS (SELECT 1 FROM pg_class c JOIN pg_namespace ns ON ns.oid = c.relnamespace WHERE ns.nspname = e->>0 AND c.relname = e->>1)`,
      [JSON.stringify(batch)],
    );
    for (const r of rows) found.add(key(r.s, r.n));
  }
  return found;
}

/** A key as PostgreSQL stores the names: each cut to 63 bytes. */
function key(schema: string, name: string): string {
  return JSON.stringify([cutToBytes(schema), cutToBytes(name)]);
}

function splitKey(k: string): [string, string] {
  return JSON.parse(k) as [string, string];
}

/** `schema.name` of a key, for a message. */
function objectOf(k: string): string {
  const [schema, name] = splitKey(k);
  return `${schema}.${name}`;
}

/** The steps of one file, read a chunk of statements at a time. */
function stepsOf(m: Migration): Step[] {
  const steps: Step[] = [];
  for (const chunk of parseSqlInChunks(m.text, { file: m.file }).chunks) {
    for (const s of chunk) steps.push(...stepsOfStatement(s));
  }
  return steps;
}

function relationKey(r: Node | undefined): string | undefined {
  const v = rangeVar(r);
  return v ? key(v.schema ?? 'public', v.name) : undefined;
}

function stepsOfStatement(s: ParsedStatement): Step[] {
  const n = s.node;
  const one = (k: string | undefined): Step[] => (k ? [{ add: k }] : []);
  switch (s.kind) {
    case 'CreateStmt':
    case 'CreateForeignTableStmt':
      return one(relationKey(((n.base as Node | undefined) ?? n).relation as Node));
    case 'CreateTableAsStmt':
      return one(relationKey((n.into as Node | undefined)?.rel as Node));
    case 'ViewStmt':
      return one(relationKey(n.view as Node));
    case 'CreateSeqStmt':
      return one(relationKey(n.sequence as Node));
    case 'IndexStmt': {
      const table = rangeVar(n.relation);
      return typeof n.idxname === 'string' && table ? [{ add: key(table.schema ?? 'public', n.idxname) }] : [];
    }
    case 'DropStmt':
      if (!FOLLOWED.has(String(n.removeType))) return [];
      return list(n.objects)
        .map((o) => names(as(o, 'List')?.items))
        .filter((p) => p.length > 0)
        .map((p) => ({ drop: key(p.length > 1 ? p[p.length - 2] : 'public', p[p.length - 1]) }));
    case 'RenameStmt': {
      const from = rangeVar(n.relation);
      if (!FOLLOWED.has(String(n.renameType)) || !from || typeof n.newname !== 'string') return [];
      return [{ from: key(from.schema ?? 'public', from.name), to: key(from.schema ?? 'public', n.newname) }];
    }
    default:
      return [];
  }
}
