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

/** What an index's definition says after its table: `USING btree (customer_id) WHERE …`. */
function tail(definition: string): string | undefined {
  const m = HEAD.exec(definition);
  return m ? definition.slice(m[0].length) : undefined;
}

const regclass = (t: TableInfo) => `${ident(t.schema)}.${ident(t.name)}`;

/** The partitions of `parent` in `catalog`, by name. */
function partitionsOf(catalog: Catalog, parent: TableInfo): TableInfo[] {
  return catalog.tables.filter((t) => t.partitionOf === regclass(parent));
}

/** The index of `table` built like `like` (the same text after the table's name), if any. */
function twin(table: TableInfo | undefined, like: string, name?: string): IndexInfo | undefined {
  return table?.indexes.find((i) => i.name === name && tail(i.definition) === like) ?? table?.indexes.find((i) => i.valid && tail(i.definition) === like);
}

/** The fix for a partitioned table's index missing live; undefined when its definition cannot be read. */
export function partitionedIndexFix(table: TableInfo, index: IndexInfo, snapshot: Catalog, live: Catalog): string | undefined {
  const like = tail(index.definition);
  if (!like) return undefined;
  const build = index.definition.replace(/^CREATE (UNIQUE )?INDEX /, 'CREATE $1INDEX IF NOT EXISTS ');
  return [parentIndexLine(build), ...stepsFor(table, qualified(table.schema, index.name), like, snapshot, live)].join('\n');
}

/** Each partition's index (the snapshot's name, or the one it still has) and its ATTACH; a partitioned partition's own partitions after it. */
function stepsFor(table: TableInfo, parentIndex: string, like: string, snapshot: Catalog, live: Catalog): string[] {
  return partitionsOf(snapshot, table).flatMap((p) => {
    const expected = twin(p, like);
    const name = expected?.name ?? `${p.name}_${parentIndex.split('.').pop()!.replace(/"/g, '')}`;
    const has = twin(live.tables.find((t) => t.schema === p.schema && t.name === p.name), like, name);
    const on = qualified(p.schema, p.name);
    const partitioned = p.kind === 'p';
    const step: PartitionIndexStep = {
      table: on, index: qualified(p.schema, has?.name ?? name), partitioned,
      build: has ? undefined : `CREATE INDEX ${partitioned ? '' : 'CONCURRENTLY '}IF NOT EXISTS ${ident(name)} ON ${partitioned ? 'ONLY ' : ''}${regclass(p)} ${like}`,
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
  const like = tail(index.definition);
  const parent = snapshot.tables.find((t) => table.partitionOf === regclass(t));
  const parentIndex = parent?.indexes.find((i) => !i.constraint && tail(i.definition) === like);
  const liveParent = live.tables.find((t) => t.schema === parent?.schema && t.name === parent?.name);
  if (!like || !parent || !parentIndex || liveParent?.indexes.some((i) => i.name === parentIndex.name)) return undefined;
  const build = `CREATE INDEX ${table.kind === 'p' ? '' : 'CONCURRENTLY '}IF NOT EXISTS ${ident(index.name)} ON ${table.kind === 'p' ? 'ONLY ' : ''}${regclass(table)} ${like};`;
  return `${build}  -- the fix of ${qualified(parent.schema, parent.name)}.${ident(parentIndex.name)} (its partitioned index, missing too) makes and attaches it: run that one`;
}
