/**
 * An index of a partitioned table missing live (DROP INDEX on the parent
 * drops every partition's too): built again the way PostgreSQL allows it
 * without blocking writes (`doctor/partitioned-index.ts`) — the parent's
 * `ON ONLY`, each partition's `CONCURRENTLY` (or the one it still has), each
 * attached. `CREATE INDEX CONCURRENTLY … ON ONLY` is refused.
 */
import type { Catalog, IndexInfo, TableInfo } from '../../schema/catalog';
import { ident, qualified } from '../doctor/names';
import { parentIndexLine, partitionIndexLines, type PartitionIndexStep } from '../doctor/partitioned-index';

const NAME = String.raw`(?:"(?:[^"]|"")*"|[^\s"])+`;
const HEAD = new RegExp(String.raw`^CREATE (UNIQUE )?INDEX (${NAME}) ON (ONLY )?(${NAME}) `);

/** What an index's definition says besides its name and table: UNIQUE, and `USING btree (customer_id) WHERE …`. */
interface Shape { unique: boolean; rest: string }

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
    const name = expected?.name ?? `${p.name}_${parentIndex.split('.').pop()!.replace(/"/g, '')}`;
    const has = twin(live.tables.find((t) => t.schema === p.schema && t.name === p.name), like, name);
    const partitioned = p.kind === 'p';
    const step: PartitionIndexStep = {
      table: qualified(p.schema, p.name), index: qualified(p.schema, has?.name ?? name), partitioned,
      build: has ? undefined : buildSql(like, name, p),
    };
    const own = partitionIndexLines(parentIndex, [step]);
    return partitioned && !has ? [...own, ...stepsFor(p, qualified(p.schema, name), like, snapshot, live)] : own;
  });
}

/**
 * A partition's index missing live whose parent's index is missing too:
 * the parent's fix makes and attaches it; its own statement (IF NOT EXISTS)
 * does nothing after that one. Undefined when the parent's index is there.
 */
export function partitionIndexFix(table: TableInfo, index: IndexInfo, snapshot: Catalog, live: Catalog): string | undefined {
  const like = shapeOf(index.definition);
  const parent = snapshot.tables.find((t) => table.partitionOf === regclass(t));
  const parentIndex = like && parent?.indexes.find((i) => !i.constraint && alike(i, like));
  const liveParent = live.tables.find((t) => t.schema === parent?.schema && t.name === parent?.name);
  if (!like || !parent || !parentIndex || liveParent?.indexes.some((i) => i.name === parentIndex.name)) return undefined;
  return `${buildSql(like, index.name, table)};  -- the fix of ${qualified(parent.schema, parent.name)}.${ident(parentIndex.name)} (its partitioned index, missing too) makes and attaches it: run that one`;
}
