/**
 * An index of a partitioned table missing live (DROP INDEX on the parent
 * drops every partition's too): built again the way PostgreSQL allows it
 * without blocking writes (`doctor/partitioned-index.ts`) — the parent's
 * `ON ONLY`, each partition's `CONCURRENTLY` (or the one it still has), each
 * attached. `CREATE INDEX CONCURRENTLY … ON ONLY` is refused.
 */
import { sqlComment } from '../../engine/sql/sql-quote';
import type { Catalog, IndexInfo, TableInfo } from '../../schema/catalog';
import { ident, qualified } from '../doctor/names';
import { parentIndexLine, partitionIndexLines, type PartitionIndexStep } from '../doctor/partitioned-index';
import { present } from '../../engine/errors/present';

const NAME = String.raw`(?:"(?:[^"]|"")*"|[^\s"])+`;
const HEAD = new RegExp(String.raw`^CREATE (UNIQUE )?INDEX (${NAME}) ON (ONLY )?(${NAME}) `);

/** What an index's definition says besides its name and table: UNIQUE, and `USING btree (customer_id) WHERE …`. */
interface Shape {
  unique: boolean;
  rest: string;
}

function shapeOf(definition: string): Shape | undefined {
  const m = HEAD.exec(definition);
  return m ? { unique: m[1] !== undefined, rest: definition.slice(m[0].length) } : undefined;
}

/** Two indexes one may stand for the other under a partitioned index (ATTACH refuses "index definitions do not match" otherwise). */
function alike(index: IndexInfo, like: Shape): boolean {
  const s = shapeOf(index.definition);
  return s !== undefined && s.unique === like.unique && s.rest === like.rest;
}

const regclass = (t: TableInfo) => `${ident(t.schema)}.${ident(t.name)}`;

/**
 * The statement that builds index `name` shaped `like` on `table` without
 * blocking its writes: `CONCURRENTLY` on a plain table; `ON ONLY` on a
 * partitioned one (CONCURRENTLY is refused there), no `;`.
 */
function buildSql(like: Shape, name: string, table: TableInfo): string {
  const partitioned = table.kind === 'p';
  return `CREATE ${like.unique ? 'UNIQUE ' : ''}INDEX ${partitioned ? '' : 'CONCURRENTLY '}IF NOT EXISTS ${ident(name)} ON ${partitioned ? 'ONLY ' : ''}${regclass(table)} ${like.rest}`;
}

/** The partitions of `parent` in `catalog`, by name. */
function partitionsOf(catalog: Catalog, parent: TableInfo): TableInfo[] {
  return catalog.tables.filter((t) => t.partitionOf === regclass(parent));
}

/** The index of `table` built like `like` (the same uniqueness and text after the table's name), if any: the one named `name` first, else a valid one. */
function twin(table: TableInfo | undefined, like: Shape, name?: string): IndexInfo | undefined {
  return table?.indexes.find((i) => i.name === name && alike(i, like)) ?? table?.indexes.find((i) => i.valid && alike(i, like));
}

/** The fix for a partitioned table's index missing live; undefined when its definition cannot be read. */
export function partitionedIndexFix(table: TableInfo, index: IndexInfo, snapshot: Catalog, live: Catalog): string | undefined {
  const like = shapeOf(index.definition);
  if (!like) return undefined;
  return [parentIndexLine(buildSql(like, index.name, table)), ...stepsFor(table, qualified(table.schema, index.name), like, snapshot, live)].join('\n');
}

/** Each partition's index (the snapshot's name, or the one it still has) and its ATTACH; a partitioned partition's own partitions after it. */
function stepsFor(table: TableInfo, parentIndex: string, like: Shape, snapshot: Catalog, live: Catalog): string[] {
  return partitionsOf(snapshot, table).flatMap((p) => {
    const expected = twin(p, like);
    const name = expected?.name ?? `${p.name}_${present(parentIndex.split('.').pop()).replace(/"/g, '')}`;
    const has = twin(
      live.tables.find((t) => t.schema === p.schema && t.name === p.name),
      like,
      name,
    );
    const partitioned = p.kind === 'p';
    const step: PartitionIndexStep = {
      table: qualified(p.schema, p.name),
      index: qualified(p.schema, has?.name ?? name),
      partitioned,
      build: has ? undefined : buildSql(like, name, p),
    };
    const own = partitionIndexLines(parentIndex, [step]);
    return partitioned && !has ? [...own, ...stepsFor(p, qualified(p.schema, name), like, snapshot, live)] : own;
  });
}

/**
 * A partitioned table's index changed by hand: dropped, then built again as
 * a missing one is. `DROP INDEX CONCURRENTLY` is refused on a partitioned
 * index (0A000); the plain drop removes the partitions' attached indexes
 * with it, and takes ACCESS EXCLUSIVE on the table and its partitions for
 * the catalog change only (no scan). Undefined when the definition cannot
 * be read.
 */
export function partitionedIndexChangedFix(table: TableInfo, index: IndexInfo, snapshot: Catalog, live: Catalog): string | undefined {
  const build = partitionedIndexFix(table, index, snapshot, live);
  if (!build) return undefined;
  const drop = `DROP INDEX IF EXISTS ${qualified(table.schema, index.name)};  ${sqlComment(`CONCURRENTLY is refused on a partitioned index: this drops its partitions' attached indexes too, under ACCESS EXCLUSIVE on ${qualified(table.schema, table.name)} and its partitions for the catalog change only (no scan)`)}`;
  return `${drop}\n${build}`;
}

/**
 * A partition's index missing live whose parent's index is missing or
 * changed too: the parent's fix makes and attaches it; its own statement
 * (IF NOT EXISTS) does nothing after that one. Undefined when the parent's
 * index is there as the snapshot has it.
 */
export function partitionIndexFix(table: TableInfo, index: IndexInfo, snapshot: Catalog, live: Catalog): string | undefined {
  const like = shapeOf(index.definition);
  const parent = snapshot.tables.find((t) => table.partitionOf === regclass(t));
  const parentIndex = like && parent?.indexes.find((i) => !i.constraint && alike(i, like));
  const liveParent = live.tables.find((t) => t.schema === parent?.schema && t.name === parent?.name);
  const liveIndex = parentIndex && liveParent?.indexes.find((i) => i.name === parentIndex.name);
  if (!like || !parent || !parentIndex || liveIndex?.definition === parentIndex.definition) return undefined;
  return `${buildSql(like, index.name, table)};  ${sqlComment(`the fix of ${qualified(parent.schema, parent.name)}.${ident(parentIndex.name)} (its partitioned index, ${liveIndex ? 'changed' : 'missing'} too) makes and attaches it: run that one`)}`;
}

/**
 * A partition's index only the live schema has, built like its parent's
 * index that was changed by hand (attached to it, or to its own parent's
 * copy of it): it cannot be dropped on its own ("index … requires it"); the
 * changed index's fix drops it with that one.
 */
export function partitionChangedStrayFix(table: TableInfo, stray: IndexInfo, snapshot: Catalog, live: Catalog): string | undefined {
  const changed = changedAncestor(table, shapeOf(stray.definition), snapshot, live);
  if (!changed) return undefined;
  return sqlComment(
    `attached to ${qualified(changed.table.schema, changed.table.name)}.${ident(changed.index.name)}, changed by hand: that index's fix drops it with ${ident(changed.index.name)}: run that one`,
  );
}

/** The index changed by hand above `table` (its parent's, or its parent's parent's) that an index shaped `shape` on `table` is attached under. */
function changedAncestor(table: TableInfo, shape: Shape | undefined, snapshot: Catalog, live: Catalog): { table: TableInfo; index: IndexInfo } | undefined {
  const parent = live.tables.find((t) => table.partitionOf === regclass(t));
  const index = shape && parent?.indexes.find((i) => !i.constraint && alike(i, shape));
  if (!parent || !index) return undefined;
  const expected = snapshot.tables.find((t) => t.schema === parent.schema && t.name === parent.name)?.indexes.find((e) => e.name === index.name);
  if (expected) return expected.definition !== index.definition ? { table: parent, index } : undefined;
  return changedAncestor(parent, shape, snapshot, live);
}
