/**
 * Renames seen as drift: a column (or table) renamed by hand is one missing
 * from the live schema and one added to it. Where exactly one added column
 * of the same table is alike in type, nullability, default, identity and
 * generation (a table: the same columns), the fix renames it back instead of
 * re-creating the missing one, which would leave its data in the other.
 */
import { sqlComment } from '../../engine/sql/sql-quote';
import type { Catalog, ColumnInfo, TableInfo } from '../../schema/catalog';
import { ident, qualified } from '../doctor/names';
import { present } from '../../engine/errors/present';

const alike = (x: ColumnInfo, y: ColumnInfo) =>
  x.type === y.type && x.nullable === y.nullable && x.default === y.default && x.identity === y.identity && x.generated === y.generated;

/** The one column of `other` that `table` lacks and that is alike `table`'s column `name` (which `other` lacks): a rename between the two. */
export function renamedColumn(table: TableInfo | undefined, other: TableInfo | undefined, name: string): string | undefined {
  const column = table?.columns.find((c) => c.name === name);
  if (!column || !other || other.columns.some((c) => c.name === name)) return undefined;
  const candidates = other.columns.filter((c) => !present(table).columns.some((t) => t.name === c.name) && alike(c, column));
  return candidates.length === 1 ? candidates[0].name : undefined;
}

/** The one table of `other` that `catalog` lacks and that has `table`'s columns (names and types): a rename (or SET SCHEMA) between the two. */
export function renamedTable(table: TableInfo | undefined, catalog: Catalog, other: Catalog): TableInfo | undefined {
  if (!table) return undefined;
  const shape = (t: TableInfo) =>
    t.columns
      .map((c) => `${c.name} ${c.type}`)
      .sort()
      .join(', ');
  const key = (t: TableInfo) => `${t.schema}.${t.name}`;
  const has = new Set(catalog.tables.map(key));
  // Partitions come and go with their parent's rotation (one dropped, one made alike): never a rename.
  if (table.partitionOf !== undefined) return undefined;
  const candidates = other.tables.filter((t) => !has.has(key(t)) && t.kind === table.kind && t.partitionOf === undefined && shape(t) === shape(table));
  return candidates.length === 1 ? candidates[0] : undefined;
}

/** The statements that give `from` the name (and schema) of `to`. */
export function renameTableSql(from: TableInfo, to: TableInfo): string {
  const moves = from.schema !== to.schema ? `ALTER TABLE ${qualified(from.schema, from.name)} SET SCHEMA ${ident(to.schema)};\n` : '';
  const renames = from.name !== to.name ? `ALTER TABLE ${qualified(to.schema, from.name)} RENAME TO ${ident(to.name)};` : '';
  return `${moves}${renames}`.trim();
}

/**
 * A column only the live table has: what it holds is counted before any DROP
 * (it may be the only copy of its data). Where it looks like a column of
 * the snapshot renamed, with one of that name added again since (`RENAME
 * COLUMN email TO email_old; ADD COLUMN email text`), the count sets the two
 * side by side and the fix says how to copy the values back first.
 */
export function addedColumnFix(table: TableInfo, name: string, snapshot: Catalog): string {
  const at = qualified(table.schema, table.name);
  const added = table.columns.find((c) => c.name === name);
  const before = snapshot.tables.find((t) => t.schema === table.schema && t.name === table.name);
  const was = added && before ? renameSource(added, table, before) : undefined;
  const count = `SELECT count(${ident(name)}) AS ${ident(`${name}_values`)}${was ? `, count(${ident(was)}) AS ${ident(`${was}_values`)}` : ''}, count(*) AS rows FROM ${at};`;
  const renamed = was
    ? `\n${sqlComment(`${ident(name)} may be ${ident(was)} renamed (the same type, ${present(added).type}), and ${ident(was)} added again since, without its values: if so, copy them back before anything drops it: UPDATE ${at} SET ${ident(was)} = ${ident(name)} WHERE ${ident(was)} IS NULL AND ${ident(name)} IS NOT NULL;  (in batches on a big table)`)}`
    : '';
  return `${count}  ${sqlComment(`what ${ident(name)} holds: dropping it destroys these values`)}${renamed}\nput it in a migration (then schemaguard snapshot), or, once its values are kept elsewhere, drop it: ALTER TABLE ${at} DROP COLUMN ${ident(name)};`;
}

/**
 * The snapshot's column that `added` may be, renamed: of its type and still
 * there live, with its name within the other's (email → email_old), or
 * else the only one that looks made again (live it lost its NOT NULL,
 * default or comment).
 */
function renameSource(added: ColumnInfo, live: TableInfo, before: TableInfo): string | undefined {
  const now = (c: ColumnInfo) => live.columns.find((l) => l.name === c.name);
  const candidates = before.columns.filter((c) => c.name !== added.name && c.type === added.type && now(c));
  const lower = added.name.toLowerCase();
  const named = candidates.filter((c) => lower.includes(c.name.toLowerCase()) || c.name.toLowerCase().includes(lower));
  const remade = candidates.filter((c) => {
    const l = present(now(c));
    return (l.nullable && !c.nullable) || (l.default === null && c.default !== null) || (l.comment === null && c.comment !== null);
  });
  const pick = named.length ? named : remade;
  return pick.length === 1 ? pick[0].name : undefined;
}
