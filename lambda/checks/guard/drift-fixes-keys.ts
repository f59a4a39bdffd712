/**
 * Fixes for keys that drifted without their definition changing: a foreign
 * key whose enforcement triggers were turned off (`DISABLE TRIGGER ALL`),
 * and a primary key or unique constraint dropped with a unique index of its
 * name made in its place.
 */
import { oneLine, sqlComment } from '../../engine/sql/sql-quote';
import type { Catalog, ConstraintInfo, Difference, IndexInfo, TableInfo } from '../../schema/catalog';
import type { KeyTrigger } from '../../schema/catalog-detail';
import { ident, qualified } from '../doctor/names';
import { usingOffset } from '../names/index-definition';
import { INTO_MIGRATION, locate } from './drift-fixes-detail';
import { present } from '../../engine/errors/present';

/**
 * A foreign key whose triggers do not fire: the rows written meanwhile that
 * break it are listed first (enabling checks only rows written after, and
 * the key still reads validated), then its own triggers are enabled by name
 * — `ENABLE TRIGGER ALL` would also enable the table's own triggers that
 * were disabled on purpose.
 */
export function keyTriggersFix(d: Difference, live: Catalog): string {
  const at = locate(d, [live]);
  const key = at?.table.constraints.find((c) => c.name === at.member && c.type === 'f');
  if (!at || !key?.disabledTriggers?.length || d.a !== 'enabled') return `undo the change to ${oneLine(d.name)} by hand, ${INTO_MIGRATION}`;
  const table = qualified(at.table.schema, at.table.name);
  const orphans = orphanQuery(table, key);
  const enable = byTable(key.disabledTriggers).map(([on, names]) => `ALTER TABLE ${on} ${names.map((n) => `ENABLE TRIGGER ${ident(n)}`).join(', ')};`);
  return [
    orphans
      ? `${orphans}  -- rows written while the key was off that break it: repair or delete them first (enabling checks only rows written after)`
      : sqlComment(`first find the rows of ${table} written while the key was off that break it (${key.definition}): enabling checks only rows written after`),
    `${enable.join(' ')}  -- its own enforcement triggers only (ENABLE TRIGGER ALL would also enable the tables' triggers disabled on purpose); a superuser's: PostgreSQL refuses a system trigger to others`,
    // A table owner who is no superuser (RDS) cannot touch the triggers; a key made again has new ones, and VALIDATE checks every row.
    sqlComment(`or, as the table's owner: ${ownerReadd(at.table, key, live)}`),
  ].join('\n');
}

/**
 * The key dropped and added again, on the table that owns it (a partition's
 * copy of its parent's key cannot be dropped alone). `NOT VALID` then
 * `VALIDATE` where PostgreSQL allows it; a partitioned table before 18
 * refuses `NOT VALID`: the key is added validated, every row checked at once.
 */
function ownerReadd(table: TableInfo, key: ConstraintInfo, live: Catalog): string {
  let on = table;
  for (let up = parentWithKey(on, key.name, live); up; up = parentWithKey(up, key.name, live)) on = up;
  const name = qualified(on.schema, on.name);
  const readd = `ALTER TABLE ${name} DROP CONSTRAINT ${ident(key.name)}, ADD CONSTRAINT ${ident(key.name)} ${key.definition.replace(/ NOT VALID$/, '')}`;
  const copy = on === table ? '' : ` (${qualified(table.schema, table.name)}'s key is its copy of ${name}'s, which cannot be dropped alone)`;
  if (on.kind === 'p' && (live.serverMajor ?? 0) < 18) {
    return `${readd};${copy}  ${sqlComment(`PostgreSQL ${live.serverMajor ?? 'before 18'} refuses NOT VALID on a partitioned table: every row is checked at once, under ACCESS EXCLUSIVE on ${name} (reads and writes wait), and it fails while one breaks the key: run the query above first`)}`;
  }
  return `${readd} NOT VALID; then VALIDATE CONSTRAINT${copy} (${ident(key.name)} is then checked on every row, and fails while one breaks it)`;
}

/** The live parent of partition `table` when it has a foreign key named `name` (the one the partition's is a copy of). */
function parentWithKey(table: TableInfo, name: string, live: Catalog): TableInfo | undefined {
  if (table.partitionOf === undefined) return undefined;
  return live.tables.find((p) => `${ident(p.schema)}.${ident(p.name)}` === table.partitionOf && p.constraints.some((c) => c.name === name && c.type === 'f'));
}

/** The triggers grouped by table, each table as a fix names it. */
function byTable(triggers: readonly KeyTrigger[]): [string, string[]][] {
  const out = new Map<string, string[]>();
  for (const t of triggers) {
    const on = qualified(t.schema, t.table);
    out.set(on, [...(out.get(on) ?? []), t.name]);
  }
  return [...out];
}

/** An identifier list as pg_get_constraintdef prints one: `a, "B c"`. */
const IDENTS = String.raw`(?:"(?:[^"]|"")*"|[^()",\s]+)(?:, (?:"(?:[^"]|"")*"|[^()",\s]+))*`;
const FOREIGN_KEY = new RegExp(String.raw`^FOREIGN KEY \((${IDENTS})\) REFERENCES ((?:"(?:[^"]|"")*"|[^("\s])+)\((${IDENTS})\)( MATCH FULL)?`);

/** The rows of `table` that break foreign key `key` (MATCH SIMPLE: a row with a NULL in the key is not checked; MATCH FULL: all or none NULL), or undefined for a form it does not read (PERIOD). */
export function orphanQuery(table: string, key: ConstraintInfo): string | undefined {
  const m = FOREIGN_KEY.exec(key.definition);
  if (!m || /\bPERIOD\b/.test(m[1])) return undefined;
  const split = (list: string) => list.match(/"(?:[^"]|"")*"|[^,\s]+/g) ?? [];
  const [columns, referenced] = [split(m[1]), split(m[3])];
  if (columns.length !== referenced.length) return undefined;
  const match = columns.map((c, k) => `p.${referenced[k]} = c.${c}`).join(' AND ');
  const missing = `NOT EXISTS (SELECT 1 FROM ${m[2]} p WHERE ${match})`;
  const all = columns.map((c) => `c.${c} IS NOT NULL`).join(' AND ');
  const where =
    m[4] && columns.length > 1
      ? `(${all} AND ${missing}) OR num_nulls(${columns.map((c) => `c.${c}`).join(', ')}) NOT IN (0, ${columns.length})`
      : `${all} AND ${missing}`;
  return `SELECT c.* FROM ${table} c WHERE ${where} LIMIT 100;`;
}

/** A key only the snapshot has, where the live table has a unique index of its name, not a constraint's. */
interface KeyOnIndex {
  table: TableInfo;
  key: ConstraintInfo;
  index: IndexInfo;
  liveIndex: IndexInfo;
}

function keyOnIndex(table: TableInfo, name: string | null | undefined, live: Catalog): KeyOnIndex | undefined {
  const key = table.constraints.find((c) => c.name === name && (c.type === 'p' || c.type === 'u'));
  const index = table.indexes.find((i) => i.constraint === name);
  const liveTable = live.tables.find((t) => t.schema === table.schema && t.name === table.name);
  const liveIndex = liveTable?.indexes.find((i) => i.name === index?.name);
  if (!key || !index || !liveIndex || liveIndex.constraint !== null || present(liveTable).constraints.some((c) => c.name === key.name)) return undefined;
  return { table, key, index, liveIndex };
}

/**
 * A primary key or unique constraint only the snapshot has, where the live
 * table has a unique index of its name (`DROP CONSTRAINT`, then `CREATE
 * UNIQUE INDEX` of the same name): the constraint is made on that index
 * (`USING INDEX`, catalog only) when it is the snapshot's; otherwise the
 * index is built again as the snapshot has it, first. A partitioned table
 * refuses `USING INDEX`: its key is made again, and a partition's key points
 * at its parent's fix. Undefined where it does not apply.
 */
export function keyOnIndexFix(d: Difference, snapshot: Catalog, live: Catalog): string | undefined {
  const at = locate(d, [snapshot]);
  if (!at) return undefined;
  const name = d.kind === 'index' ? at.table.indexes.find((i) => i.name === at.member)?.constraint : at.member;
  const found = keyOnIndex(at.table, name, live);
  if (found) return found.table.kind === 'p' ? partitionedKeyFix(found) : usingIndexFix(found);
  return partitionKeyFix(at.table, name, snapshot, live);
}

/** `ADD CONSTRAINT … USING INDEX`, after the index is built again when it is not the snapshot's. */
function usingIndexFix({ table: t, key, index, liveIndex }: KeyOnIndex): string {
  const table = qualified(t.schema, t.name);
  const add = `ALTER TABLE ${table} ADD CONSTRAINT ${ident(key.name)} ${key.type === 'p' ? 'PRIMARY KEY' : 'UNIQUE'} USING INDEX ${ident(index.name)}${deferrability(key)};`;
  const nulls = key.type === 'p' ? '  -- sets NOT NULL on its columns first where they lack it (a scan of the table)' : '  -- catalog only';
  if (sameIndex(liveIndex, index)) return `${add}${nulls}  (one fix for the constraint and its index)`;
  const schemaName = qualified(t.schema, index.name);
  return [
    `DROP INDEX CONCURRENTLY IF EXISTS ${schemaName};  ${sqlComment(`${ident(index.name)} is not the index the migrations make`)}`,
    `${index.definition.replace(/^CREATE UNIQUE INDEX /, 'CREATE UNIQUE INDEX CONCURRENTLY ')};`,
    `${add}${nulls}  (one fix for the constraint and its index)`,
  ].join('\n');
}

/** `DEFERRABLE` / `INITIALLY DEFERRED` as the key's definition has them (USING INDEX makes it NOT DEFERRABLE otherwise). */
function deferrability(key: ConstraintInfo): string {
  return / DEFERRABLE( INITIALLY DEFERRED)?$/.exec(key.definition)?.[0] ?? '';
}

/**
 * A partitioned table's key: `USING INDEX` is refused there (0A000), and
 * `DROP INDEX CONCURRENTLY` on a partitioned index too. The index (and each
 * partition's, attached to it) is dropped and the key added again in one
 * transaction, which builds each partition's index.
 */
function partitionedKeyFix({ table: t, key, index }: KeyOnIndex): string {
  const table = qualified(t.schema, t.name);
  return [
    'BEGIN;  -- ADD CONSTRAINT … USING INDEX is refused on a partitioned table: the key is made again',
    `DROP INDEX ${qualified(t.schema, index.name)};  -- each partition's attached index goes with it (CONCURRENTLY is refused on a partitioned index)`,
    `ALTER TABLE ${table} ADD CONSTRAINT ${ident(key.name)} ${key.definition};  ${sqlComment(`builds each partition's index under ACCESS EXCLUSIVE on ${table} and its partitions (reads and writes wait): run it when the table is quiet`)}`,
    "COMMIT;  -- one fix for the key, its index and its partitions' keys",
  ].join('\n');
}

/** A partition's key missing live whose parent's key is replaced by a unique index too: the parent's fix makes it. */
function partitionKeyFix(table: TableInfo, name: string | null | undefined, snapshot: Catalog, live: Catalog): string | undefined {
  const key = table.constraints.find((c) => c.name === name && (c.type === 'p' || c.type === 'u'));
  const parent = table.partitionOf === undefined ? undefined : snapshot.tables.find((t) => `${ident(t.schema)}.${ident(t.name)}` === table.partitionOf);
  const parentKey = parent?.constraints.find((c) => c.type === key?.type && c.definition === key?.definition);
  const found = parent && parentKey && keyOnIndex(parent, parentKey.name, live);
  if (!key || !found) return undefined;
  return sqlComment(
    `made by the fix of ${qualified(parent.schema, parent.name)}.${ident(parentKey.name)} (its partitioned key, replaced by a unique index too: ADD CONSTRAINT on the parent builds each partition's): run that one`,
  );
}

/**
 * A partition's unique index only the live schema has that is attached to
 * its parent's unique index standing in the place of the parent's key: it
 * cannot be dropped on its own (the parent's index requires it); the
 * parent's fix drops it with that one.
 */
export function partitionStrayIndexFix(d: Difference, snapshot: Catalog, live: Catalog): string | undefined {
  const at = locate(d, [live]);
  const stray = at?.table.indexes.find((i) => i.name === at.member);
  const parent = at?.table.partitionOf === undefined ? undefined : snapshot.tables.find((t) => `${ident(t.schema)}.${ident(t.name)}` === at.table.partitionOf);
  const using = (definition: string) => definition.slice(usingOffset(definition));
  const found =
    stray && parent?.constraints.map((c) => keyOnIndex(parent, c.name, live)).find((k) => k && using(k.liveIndex.definition) === using(stray.definition));
  if (!found || !/^CREATE UNIQUE /.test(stray.definition)) return undefined;
  return sqlComment(
    `attached to ${qualified(present(parent).schema, found.liveIndex.name)}, the unique index in the place of key ${qualified(present(parent).schema, present(parent).name)}.${ident(found.key.name)}: that key's fix drops it with ${ident(found.liveIndex.name)}: run that one`,
  );
}

function sameIndex(live: IndexInfo, expected: IndexInfo): boolean {
  return live.valid && live.definition === expected.definition;
}
