/**
 * What `DROP … CASCADE` would take with it in the database as it is now:
 * lint reads the user objects' dependencies (`pg_depend`), their
 * inheritance (`pg_inherits`) and foreign keys once, in one statement (one
 * snapshot), when it has a database and a pending file says CASCADE, and
 * walks them the way PostgreSQL's dependency.c does, so drop-cascade can
 * name what goes.
 *
 * The walk, as checked against PostgreSQL 15 and 18 (the NOTICE's "drop
 * cascades to …" lines, `dependencies.int.test.ts`): everything that
 * depends on a dropped object (on any of its columns, when a whole object
 * is dropped) goes with it. Of those, PostgreSQL names only what a normal
 * dependency reached; what depends automatically or internally (a table's
 * indexes and row type, a view's rewrite rule, an extension's members)
 * goes without a word. An object that is the internal part of another (a
 * view's `_RETURN` rule), or a member of an extension, takes its owner with
 * it: the view, or the extension, is named. Partition dependencies are
 * treated as automatic ones. `DROP COLUMN` of a parent drops the column
 * it passed to its partitions and inheritance children too. A statement
 * that drops such a part without its owner (an identity column's sequence,
 * an extension's function, a range type's multirange, a partition's index
 * attached to its parent's) is refused (2BP01), and so is dropping a column
 * or constraint a child got from its parent (42P16), a partition key's
 * column (42P16) or a typed table's column (42809). Names
 * come from `pg_describe_object`, the words PostgreSQL's own NOTICE uses.
 * Catalog reads only.
 */
import type { Queryable } from '../../engine/ports';
import { INVALID_TABLE_DEFINITION } from '../../engine/errors/sqlstate';
import { present } from '../../engine/errors/present';

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
  /** A function's argument types as `format_type` writes them, when the statement lists them. @default - any */
  args?: string[];
  /** TRUNCATE ONLY: not the table's partitions and inheritance children. @default false */
  only?: boolean;
  /** A column or constraint the database has by no name: the pending set added it, or renamed it away. @default false */
  absent?: boolean;
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
  /** A function's argument types (`oidvectortypes`). */
  args: string;
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
  /** An object's owner: what it is the internal part of, or the extension it belongs to. */
  owner: Map<string, string>;
  /** A relation's partitions and inheritance children, by the relation's id. */
  children: Map<string, string[]>;
  /** A partition's index or trigger: the parent's it is attached to (`P`), by its id. */
  partitionOf: Map<string, string>;
  /** Columns and constraints a relation got from a parent, as `relation id:column:name` and `relation id:constraint:name`: PostgreSQL refuses to drop them there (42P16). */
  inherited: Set<string>;
  /** The columns a parent's column passed down and that go with it (`attinhcount` 1, not also local), by `parent relation id:column name`. */
  inheritedColumns: Map<string, { relation: string; column: string }[]>;
  /** The tables with a foreign key to a table (one row per referenced partition), by the referenced table's id. */
  referencedBy: Map<string, string[]>;
  /** Typed tables (`CREATE TABLE … OF type`): PostgreSQL refuses to drop their columns (42809). */
  typed: Set<string>;
}

const PG_CLASS = 1259;

/**
 * One statement, so one snapshot: the session, the edges (user objects', and
 * extension membership, which reaches initdb's plpgsql), every object they
 * name, inheritance, inherited columns and foreign keys, told apart by `k`.
 */
const GRAPH = `
  WITH e AS (
    SELECT d.classid::int AS c, d.objid::int AS o, d.objsubid AS s, d.refclassid::int AS rc, d.refobjid::int AS ro, d.refobjsubid AS rs, d.deptype::text AS t
      FROM pg_depend d
     WHERE d.objid >= 16384 OR d.deptype = 'e'),
  o AS (SELECT c, o, s FROM e UNION SELECT rc, ro, rs FROM e)
  SELECT 's' AS k, NULL::int AS c, NULL::int AS o, NULL::int AS s, NULL::int AS rc, NULL::int AS ro, NULL::int AS rs, NULL::text AS t,
         array_to_json(current_schemas(false))::text AS description, NULL::text AS kind, NULL::text AS sub, NULL::text AS schema,
         NULL::text AS parent, NULL::int AS parent_oid, current_user::text AS name, NULL::text AS args
  UNION ALL
  SELECT 'e', c, o, s, rc, ro, rs, t, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL FROM e
  UNION ALL
  SELECT 'o', o.c, o.o, o.s, NULL, NULL, NULL, NULL, pg_describe_object(o.c, o.o, o.s),
         CASE o.c WHEN 'pg_class'::regclass::int THEN CASE WHEN o.s <> 0 THEN 'column' ELSE 'relation' END
                  WHEN 'pg_type'::regclass::int THEN 'type'
                  WHEN 'pg_proc'::regclass::int THEN 'function'
                  WHEN 'pg_namespace'::regclass::int THEN 'schema'
                  WHEN 'pg_extension'::regclass::int THEN 'extension'
                  WHEN 'pg_constraint'::regclass::int THEN 'constraint'
                  ELSE 'other' END,
         COALESCE(c.relkind::text, p.prokind::text, k.contype::text, ''),
         COALESCE(ns.nspname::text, ''),
         COALESCE(kc.relname::text, ''), COALESCE(kc.oid::int, 0),
         COALESCE(a.attname, c.relname, t.typname, p.proname, n.nspname, x.extname, k.conname, '')::text,
         COALESCE(oidvectortypes(p.proargtypes), '')
    FROM o
    LEFT JOIN pg_class c ON o.c = 'pg_class'::regclass::int AND c.oid = o.o
    LEFT JOIN pg_attribute a ON c.oid IS NOT NULL AND o.s > 0 AND a.attrelid = c.oid AND a.attnum = o.s
    LEFT JOIN pg_type t ON o.c = 'pg_type'::regclass::int AND t.oid = o.o
    LEFT JOIN pg_proc p ON o.c = 'pg_proc'::regclass::int AND p.oid = o.o
    LEFT JOIN pg_namespace n ON o.c = 'pg_namespace'::regclass::int AND n.oid = o.o
    LEFT JOIN pg_extension x ON o.c = 'pg_extension'::regclass::int AND x.oid = o.o
    LEFT JOIN pg_constraint k ON o.c = 'pg_constraint'::regclass::int AND k.oid = o.o
    LEFT JOIN pg_class kc ON kc.oid = CASE WHEN a.attrelid IS NOT NULL THEN a.attrelid ELSE k.conrelid END
    LEFT JOIN pg_namespace ns ON ns.oid = COALESCE(c.relnamespace, t.typnamespace, p.pronamespace, k.connamespace)
  UNION ALL
  SELECT 'h', NULL, i.inhrelid::int, NULL, NULL, i.inhparent::int, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL FROM pg_inherits i
  UNION ALL
  SELECT 'a', NULL, a.attrelid::int, a.attnum, NULL, i.inhparent::int, NULL, CASE WHEN a.attinhcount = 1 AND NOT a.attislocal THEN 'd' ELSE 'k' END,
         NULL, NULL, NULL, NULL, NULL, NULL, a.attname::text, NULL
    FROM pg_attribute a JOIN pg_inherits i ON i.inhrelid = a.attrelid
   WHERE a.attnum > 0 AND NOT a.attisdropped AND a.attinhcount > 0
  UNION ALL
  SELECT 'c', NULL, k.conrelid::int, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, k.conname::text, NULL
    FROM pg_constraint k WHERE k.coninhcount > 0 AND k.conrelid <> 0
  UNION ALL
  SELECT 'f', NULL, f.conrelid::int, NULL, NULL, f.confrelid::int, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL
    FROM pg_constraint f WHERE f.contype = 'f'
  UNION ALL
  SELECT 't', NULL, t.oid::int, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL
    FROM pg_class t WHERE t.reloftype <> 0`;

interface GraphRow {
  k: 's' | 'e' | 'o' | 'h' | 'a' | 'c' | 'f' | 't';
  c: number;
  o: number;
  s: number;
  rc: number;
  ro: number;
  rs: number;
  t: string;
  description: string | null;
  kind: string;
  sub: string;
  schema: string;
  parent: string;
  parent_oid: number;
  name: string;
  args: string;
}

function push<V>(map: Map<string, V[]>, key: string, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

const relation = (oid: number) => `${PG_CLASS}/${oid}/0`;

/** Read the graph: one catalog query (about 1–2 s for 2,000 tables, some 50,000 objects). */
export async function readDependencies(q: Queryable): Promise<DependencyGraph> {
  const graph: DependencyGraph = {
    user: '',
    searchPath: [],
    objects: new Map(),
    byName: new Map(),
    byRef: new Map(),
    owner: new Map(),
    children: new Map(),
    partitionOf: new Map(),
    inherited: new Set(),
    inheritedColumns: new Map(),
    referencedBy: new Map(),
    typed: new Set(),
  };
  for (const r of (await q.query<GraphRow>(GRAPH)).rows) {
    switch (r.k) {
      case 's':
        graph.user = r.name;
        graph.searchPath = JSON.parse(r.description ?? '[]') as string[];
        break;
      case 'e': {
        const from = `${r.c}/${r.o}/${r.s}`;
        push(graph.byRef, `${r.rc}/${r.ro}`, { from, ref: `${r.rc}/${r.ro}`, refsub: r.rs, type: r.t });
        if (r.t === 'i' || r.t === 'e') graph.owner.set(from, `${r.rc}/${r.ro}/${r.rs}`);
        if (r.t === 'P') graph.partitionOf.set(from, `${r.rc}/${r.ro}/${r.rs}`);
        break;
      }
      case 'o': {
        const id = `${r.c}/${r.o}/${r.s}`;
        const o: DependencyObject = {
          id,
          kind: r.kind,
          sub: r.sub,
          schema: r.schema,
          parent: r.parent,
          parentId: r.parent_oid ? relation(r.parent_oid) : '',
          name: r.name,
          args: r.args,
          description: r.description ?? id,
        };
        graph.objects.set(id, o);
        push(graph.byName, o.name, o);
        break;
      }
      case 'h':
        push(graph.children, relation(r.ro), relation(r.o));
        break;
      case 'a':
        graph.inherited.add(`${relation(r.o)}:column:${r.name}`);
        if (r.t === 'd') push(graph.inheritedColumns, `${relation(r.ro)}:${r.name}`, { relation: relation(r.o), column: `${PG_CLASS}/${r.o}/${r.s}` });
        break;
      case 'c':
        graph.inherited.add(`${relation(r.o)}:constraint:${r.name}`);
        break;
      case 'f':
        push(graph.referencedBy, relation(r.ro), relation(r.o));
        break;
      case 't':
        graph.typed.add(relation(r.o));
        break;
    }
  }
  return graph;
}

/**
 * Kinds every object of which is in the graph (each depends on its schema,
 * a schema is depended on by what is in it): one that is not there has
 * nothing in the database for CASCADE to take (it is not there, or it is an
 * empty schema). A column or a constraint is in the graph only when
 * something depends on it or it on something.
 */
export const ALWAYS_IN_GRAPH: ReadonlySet<DropKind> = new Set(['relation', 'type', 'function', 'schema', 'extension']);

/**
 * The objects a target names in the database: `ids` (a function's
 * overloads are several when the statement lists no arguments); `named`
 * when an object of that kind and name is there, even if its arguments did
 * not match the ones written (then lint cannot tell).
 */
export function resolve(graph: DependencyGraph, target: DropTarget, searchPath: readonly string[]): Resolved {
  const schemas = target.schema !== undefined ? [target.schema] : searchPath.map((s) => (s === '$user' ? graph.user : s));
  if (target.absent) return { ids: [], named: false, independent: true };
  if (target.kind === 'column') return resolveColumn(graph, target, schemas);
  for (const schema of schemas) {
    const found = (graph.byName.get(target.name) ?? []).filter((o) => matches(o, target, schema));
    if (!found.length) continue;
    const args = target.args?.join(', ');
    const inherited = target.kind === 'constraint' && found.some((o) => graph.inherited.has(`${o.parentId}:constraint:${o.name}`));
    return { ids: found.filter((o) => args === undefined || o.args === args).map((o) => o.id), named: true, ...(inherited ? { inherited } : {}) };
  }
  return { ids: [], named: false };
}

/**
 * A target as found: `inherited` when it is a column or constraint the table
 * got from a parent (PostgreSQL refuses to drop it there, 42P16); `typed`
 * when it is a column of a typed table (refused, 42809); `independent` when
 * it is a column of a table in the graph that is not there itself: nothing
 * in the database depends on that column.
 */
export interface Resolved {
  ids: string[];
  named: boolean;
  inherited?: boolean;
  typed?: boolean;
  independent?: boolean;
}

/**
 * A column, with the columns it passed to its partitions and inheritance
 * children that go with it (theirs to their children too): PostgreSQL drops
 * them in the same statement. A column is in the graph only when something
 * depends on it or it on something (a type, a collation, a sequence): one of
 * a table that is (every table is: it depends on its schema) and not
 * itself, nor passed to a child, has nothing that depends on it, whether it
 * is a plain column or not there at all (`independent`).
 */
function resolveColumn(graph: DependencyGraph, target: DropTarget, schemas: readonly string[]): Resolved {
  for (const schema of schemas) {
    const table = (graph.byName.get(target.table ?? '') ?? []).find((o) => o.kind === 'relation' && o.schema === schema && 'rpf'.includes(o.sub));
    const own = (graph.byName.get(target.name) ?? []).filter((o) => matches(o, target, schema)).map((o) => o.id);
    if (!table && !own.length) continue;
    const ids = [...own];
    const relations = table ? [table.id] : [];
    for (let k = 0; k < relations.length; k++) {
      for (const child of graph.inheritedColumns.get(`${relations[k]}:${target.name}`) ?? []) {
        ids.push(child.column);
        relations.push(child.relation);
      }
    }
    const inherited = table !== undefined && graph.inherited.has(`${table.id}:column:${target.name}`);
    if (inherited) return { ids, named: true, inherited };
    if (table !== undefined && graph.typed.has(table.id)) return { ids, named: true, typed: true };
    return { ids, named: ids.length > 0, ...(ids.length === 0 ? { independent: true } : {}) };
  }
  return { ids: [], named: false };
}

function matches(o: DependencyObject, t: DropTarget, schema: string): boolean {
  if (o.kind !== t.kind || o.name !== t.name) return false;
  if (t.kind === 'schema' || t.kind === 'extension') return true;
  if (o.schema !== schema) return false;
  if (t.kind === 'column' || t.kind === 'constraint') return o.parent === t.table;
  return t.kind !== 'relation' || t.relkinds === undefined || t.relkinds.includes(o.sub);
}

/** What dropping objects with CASCADE does: the dependents PostgreSQL names, or why it refuses the statement. */
export interface Cascade {
  /** As PostgreSQL describes them, in the order found; the dropped objects themselves left out. */
  names: string[];
  /**
   * Why PostgreSQL refuses the statement: `<owner> requires <object>`, it
   * drops part of an object it does not drop (2BP01); or `<column> is part
   * of the partition key` (42P16, `sqlstate`).
   */
  refused?: string;
  /** The SQLSTATE of the refusal. @default '2BP01' */
  sqlstate?: string;
}

/** What dropping these objects with CASCADE drops and PostgreSQL names. */
export function cascadeOf(graph: DependencyGraph, dropped: readonly string[]): Cascade {
  const start = [...new Set(dropped)];
  const startSet = new Set(start);
  for (const id of dropped) {
    const owner = graph.owner.get(id) ?? graph.partitionOf.get(id);
    if (owner !== undefined && !startSet.has(owner) && !partOf(owner, startSet)) {
      // A partitioned table's key column is recorded as an internal part of its own table.
      if (partOf(id, new Set([owner])))
        return { names: [], refused: `${describe(graph, id)} is part of the partition key`, sqlstate: INVALID_TABLE_DEFINITION };
      return { names: [], refused: `${describe(graph, owner)} requires ${describe(graph, id)}` };
    }
  }
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
    const id = present(queue.shift());
    const [c, o, s] = id.split('/');
    for (const e of graph.byRef.get(`${c}/${o}`) ?? []) {
      if (s !== '0' && String(e.refsub) !== s) continue;
      if (partOf(e.from, flags)) continue;
      // The internal part of another object (a view's rewrite rule), or an extension's member: its owner goes,
      // and is named (the owner's owner, when it has one: a member view's rule takes the extension).
      let top = e.from;
      for (let owner = graph.owner.get(top); owner !== undefined && !flags.has(owner); owner = graph.owner.get(top)) top = owner;
      if (top !== e.from) {
        if (mark(top, true)) queue.push(top);
        continue;
      }
      if (mark(e.from, e.type === 'n')) queue.push(e.from);
    }
  }
  const names = [...flags].filter(([id, f]) => !startSet.has(id) && f.normal && !f.quiet && !partOf(id, flags)).map(([id]) => describe(graph, id));
  return { names };
}

const describe = (graph: DependencyGraph, id: string) => graph.objects.get(id)?.description ?? id;

/** Whether an object is a column of a relation already in the set, whole. */
function partOf(id: string, set: { has(id: string): boolean }): boolean {
  const [c, o, s] = id.split('/');
  return s !== '0' && set.has(`${c}/${o}/0`);
}

/**
 * The tables `TRUNCATE … CASCADE` empties too and PostgreSQL names: with
 * the truncated tables go their partitions and inheritance children (unless
 * ONLY), unnamed; then every table with a foreign key to any of them, with
 * all the partitions of one that is partitioned (an inheritance child of a
 * plain one is left: foreign keys are not inherited), and so on, each named.
 */
export function truncatedWith(graph: DependencyGraph, tables: readonly { id: string; only: boolean }[]): string[] {
  const reached = new Set<string>();
  const queue: string[] = [];
  const add = (id: string, descendants: boolean) => {
    if (reached.has(id)) return;
    reached.add(id);
    queue.push(id);
    if (descendants) for (const child of graph.children.get(id) ?? []) add(child, true);
  };
  for (const t of tables) add(t.id, !t.only);
  const found: string[] = [];
  const named = (id: string) => {
    if (reached.has(id)) return;
    add(id, false);
    found.push(describe(graph, id));
    if (graph.objects.get(id)?.sub === 'p') for (const partition of graph.children.get(id) ?? []) named(partition);
  };
  while (queue.length) for (const referencing of graph.referencedBy.get(present(queue.shift())) ?? []) named(referencing);
  return found;
}
