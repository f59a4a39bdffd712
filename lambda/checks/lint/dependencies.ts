/**
 * What `DROP … CASCADE` would take with it in the database as it is now:
 * lint reads the user objects' dependencies (`pg_depend`) once, when it has
 * a database and a pending file says CASCADE, and walks them the way
 * PostgreSQL's dependency.c does, so drop-cascade can name what goes.
 *
 * The walk, as checked against PostgreSQL 15 and 18 (the NOTICE's "drop
 * cascades to …" lines, `dependencies.int.test.ts`): everything that
 * depends on a dropped object (on any of its columns, when a whole object
 * is dropped) goes with it. Of those, PostgreSQL names only what a normal
 * dependency reached; what depends automatically or internally (a table's
 * indexes and row type, a view's rewrite rule, an extension's members)
 * goes without a word. An object that is the internal part of another (a
 * view's `_RETURN` rule) takes its owner with it: the view is named, not the
 * rule. Partition dependencies are treated as automatic ones. Names come
 * from `pg_describe_object`, the words PostgreSQL's own NOTICE uses.
 * Catalog reads only.
 */
import type { Queryable } from '../../engine/ports';

/** What a dropped object is, as the statement names it. */
export type DropKind = 'relation' | 'type' | 'function' | 'schema' | 'extension' | 'column' | 'constraint';

/** One object the statement drops: `table` for a column or a table's constraint. */
export interface DropTarget {
  kind: DropKind;
  /** Unqualified: looked up through the search path. */
  schema?: string;
  /** The table of a column or constraint (its schema is `schema`). */
  table?: string;
  name: string;
  /** For a relation: the `relkind`s the statement's kind allows (`DROP VIEW` → v). */
  relkinds?: string;
}

/** An object in the dependency graph, as lint looks it up and PostgreSQL describes it. */
export interface DependencyObject {
  /** `classid/objid/objsubid`. */
  id: string;
  kind: string;
  /** relkind, prokind or contype. */
  sub: string;
  schema: string;
  /** The relation of a column or constraint. */
  parent: string;
  /** The relation's oid of a column or constraint, as `classid/objid/0`. */
  parentId: string;
  name: string;
  description: string;
}

/** One `pg_depend` row. */
export interface DependencyEdge {
  /** The dependent. */
  from: string;
  /** `classid/objid` of the referenced object. */
  ref: string;
  refsub: number;
  type: string;
}

/** The user objects' dependencies (`readDependencies`), read-only once read. */
export interface DependencyGraph {
  /** `current_user`, for `$user` in a search path. */
  user: string;
  /** The session's schemas an unqualified name is looked up in (`current_schemas(false)`). */
  searchPath: string[];
  objects: Map<string, DependencyObject>;
  /** The objects by their name (a column's or a constraint's own). */
  byName: Map<string, DependencyObject[]>;
  /** Edges by the object they reference (`classid/objid`). */
  byRef: Map<string, DependencyEdge[]>;
  /** An object's internal owner, by the object's id. */
  owner: Map<string, string>;
}

const EDGES = `
  SELECT d.classid::int AS c, d.objid::int AS o, d.objsubid AS s, d.refclassid::int AS rc, d.refobjid::int AS ro, d.refobjsubid AS rs, d.deptype AS t
    FROM pg_depend d
   WHERE d.objid >= 16384`;

/** Every object an edge names, with what a DROP statement would call it. */
const OBJECTS = `
  WITH e AS (${EDGES}),
  o AS (SELECT c, o, s FROM e UNION SELECT rc, ro, rs FROM e)
  SELECT o.c, o.o, o.s, pg_describe_object(o.c, o.o, o.s) AS description,
         CASE o.c WHEN 'pg_class'::regclass::int THEN CASE WHEN o.s <> 0 THEN 'column' ELSE 'relation' END
                  WHEN 'pg_type'::regclass::int THEN 'type'
                  WHEN 'pg_proc'::regclass::int THEN 'function'
                  WHEN 'pg_namespace'::regclass::int THEN 'schema'
                  WHEN 'pg_extension'::regclass::int THEN 'extension'
                  WHEN 'pg_constraint'::regclass::int THEN 'constraint'
                  ELSE 'other' END AS kind,
         COALESCE(c.relkind::text, p.prokind::text, k.contype::text, '') AS sub,
         COALESCE(ns.nspname, '') AS schema,
         COALESCE(kc.relname, '') AS parent, COALESCE(kc.oid::int, 0) AS parent_oid,
         COALESCE(a.attname, c.relname, t.typname, p.proname, n.nspname, x.extname, k.conname, '') AS name
    FROM o
    LEFT JOIN pg_class c ON o.c = 'pg_class'::regclass::int AND c.oid = o.o
    LEFT JOIN pg_attribute a ON c.oid IS NOT NULL AND o.s > 0 AND a.attrelid = c.oid AND a.attnum = o.s
    LEFT JOIN pg_type t ON o.c = 'pg_type'::regclass::int AND t.oid = o.o
    LEFT JOIN pg_proc p ON o.c = 'pg_proc'::regclass::int AND p.oid = o.o
    LEFT JOIN pg_namespace n ON o.c = 'pg_namespace'::regclass::int AND n.oid = o.o
    LEFT JOIN pg_extension x ON o.c = 'pg_extension'::regclass::int AND x.oid = o.o
    LEFT JOIN pg_constraint k ON o.c = 'pg_constraint'::regclass::int AND k.oid = o.o
    LEFT JOIN pg_class kc ON kc.oid = CASE WHEN a.attrelid IS NOT NULL THEN a.attrelid ELSE k.conrelid END
    LEFT JOIN pg_namespace ns ON ns.oid = COALESCE(c.relnamespace, t.typnamespace, p.pronamespace, k.connamespace)`;

const PG_CLASS = 1259;

/**
 * Read what the user's objects depend on (an object initdb made can be
 * dropped too, the public schema or plpgsql, so what they reference is not
 * filtered; what initdb made depends on nothing a migration drops).
 */
export async function readDependencies(q: Queryable): Promise<DependencyGraph> {
  const session = (await q.query<{ u: string; path: string[] }>('SELECT current_user AS u, current_schemas(false)::text[] AS path')).rows[0]!;
  const user = String(session.u);
  const objects = new Map<string, DependencyObject>();
  const byName = new Map<string, DependencyObject[]>();
  type ObjectRow = { c: number; o: number; s: number; description: string | null; kind: string; sub: string; schema: string; parent: string; parent_oid: number; name: string };
  for (const r of (await q.query<ObjectRow>(OBJECTS)).rows) {
    const id = `${r.c}/${r.o}/${r.s}`;
    const o: DependencyObject = { id, kind: r.kind, sub: r.sub, schema: r.schema, parent: r.parent, parentId: r.parent_oid ? `${PG_CLASS}/${r.parent_oid}/0` : '', name: r.name, description: r.description ?? id };
    objects.set(id, o);
    const named = byName.get(o.name);
    if (named) named.push(o);
    else byName.set(o.name, [o]);
  }
  const byRef = new Map<string, DependencyEdge[]>();
  const owner = new Map<string, string>();
  for (const r of (await q.query<{ c: number; o: number; s: number; rc: number; ro: number; rs: number; t: string }>(EDGES)).rows) {
    const edge: DependencyEdge = { from: `${r.c}/${r.o}/${r.s}`, ref: `${r.rc}/${r.ro}`, refsub: r.rs, type: r.t };
    const list = byRef.get(edge.ref);
    if (list) list.push(edge);
    else byRef.set(edge.ref, [edge]);
    if (r.t === 'i') owner.set(edge.from, `${r.rc}/${r.ro}/${r.rs}`);
  }
  return { user, searchPath: session.path, objects, byName, byRef, owner };
}

/**
 * Kinds every object of which is in the graph (each depends on its schema,
 * a schema is depended on by what is in it): one that is not there has
 * nothing in the database for CASCADE to take (it is not there, or it is an
 * empty schema). A column or a constraint is in the graph only when
 * something depends on it or it on something.
 */
export const ALWAYS_IN_GRAPH: ReadonlySet<DropKind> = new Set(['relation', 'type', 'function', 'schema', 'extension']);

/** The objects a target names in the database (a function's overloads are several); none when it is not there. */
export function resolve(graph: DependencyGraph, target: DropTarget, searchPath: readonly string[]): string[] {
  const schemas = target.schema !== undefined ? [target.schema] : searchPath.map((s) => (s === '$user' ? graph.user : s));
  for (const schema of schemas) {
    const found = (graph.byName.get(target.name) ?? []).filter((o) => matches(o, target, schema));
    if (found.length) return found.map((o) => o.id);
  }
  return [];
}

function matches(o: DependencyObject, t: DropTarget, schema: string): boolean {
  if (o.kind !== t.kind || o.name !== t.name) return false;
  if (t.kind === 'schema' || t.kind === 'extension') return true;
  if (o.schema !== schema) return false;
  if (t.kind === 'column' || t.kind === 'constraint') return o.parent === t.table;
  return t.kind !== 'relation' || t.relkinds === undefined || t.relkinds.includes(o.sub);
}

/**
 * What dropping these objects with CASCADE drops and PostgreSQL names, as
 * it describes them, in the order found; the dropped objects themselves are
 * left out.
 */
export function cascadeOf(graph: DependencyGraph, start: readonly string[]): string[] {
  const flags = new Map<string, { normal: boolean; quiet: boolean }>();
  const mark = (id: string, normal: boolean): boolean => {
    const seen = flags.get(id);
    if (seen) {
      if (normal) seen.normal = true;
      else seen.quiet = true;
      return false;
    }
    flags.set(id, { normal, quiet: !normal });
    return true;
  };
  const queue = [...start];
  for (const id of start) flags.set(id, { normal: false, quiet: true });
  while (queue.length) {
    const id = queue.shift()!;
    const [c, o, s] = id.split('/');
    for (const e of graph.byRef.get(`${c}/${o}`) ?? []) {
      if (s !== '0' && String(e.refsub) !== s) continue;
      if (partOfDropped(e.from, flags)) continue;
      const owner = graph.owner.get(e.from);
      if (owner !== undefined && !flags.has(owner)) {
        // The internal part of another object (a view's rewrite rule): its owner goes, and is named.
        if (mark(owner, true)) queue.push(owner);
        continue;
      }
      if (mark(e.from, e.type === 'n')) queue.push(e.from);
    }
  }
  const startSet = new Set(start);
  return [...flags].filter(([id, f]) => !startSet.has(id) && f.normal && !f.quiet && !partOfDropped(id, flags)).map(([id]) => graph.objects.get(id)?.description ?? id);
}

/** Whether an object is a column of a relation already being dropped whole. */
function partOfDropped(id: string, flags: Map<string, unknown>): boolean {
  const [c, o, s] = id.split('/');
  return s !== '0' && flags.has(`${c}/${o}/0`);
}

/**
 * The tables `TRUNCATE … CASCADE` of these tables empties too: every table
 * with a foreign key to one of them, and so on, as PostgreSQL describes them.
 */
export function truncatedWith(graph: DependencyGraph, tables: readonly string[]): string[] {
  const reached = new Set(tables);
  const queue = [...tables];
  const found: string[] = [];
  while (queue.length) {
    const [c, o] = queue.shift()!.split('/');
    for (const e of graph.byRef.get(`${c}/${o}`) ?? []) {
      const fk = graph.objects.get(e.from);
      if (e.type !== 'n' || fk?.kind !== 'constraint' || fk.sub !== 'f' || reached.has(fk.parentId)) continue;
      reached.add(fk.parentId);
      queue.push(fk.parentId);
      found.push(graph.objects.get(fk.parentId)?.description ?? `table ${fk.parent}`);
    }
  }
  return found;
}
