/**
 * Renames seen as drift: a column (or table) renamed by hand is one missing
 * from the live schema and one added to it. Where exactly one added column
 * of the same table is alike in type, nullability, default, identity and
 * generation (a table: the same columns), the fix renames it back instead of
 * re-creating the missing one, which would leave its data in the other.
 */
import type { Catalog, ColumnInfo, TableInfo } from '../../schema/catalog';
import { ident, qualified } from '../doctor/names';

const alike = (x: ColumnInfo, y: ColumnInfo) =>
  x.type === y.type && x.nullable === y.nullable && x.default === y.default && x.identity === y.identity && x.generated === y.generated;

/** The one column of `other` that `table` lacks and that is alike `table`'s column `name` (which `other` lacks): a rename between the two. */
export function renamedColumn(table: TableInfo | undefined, other: TableInfo | undefined, name: string): string | undefined {
  const column = table?.columns.find((c) => c.name === name);
  if (!column || !other || other.columns.some((c) => c.name === name)) return undefined;
  const candidates = other.columns.filter((c) => !table!.columns.some((t) => t.name === c.name) && alike(c, column));
  return candidates.length === 1 ? candidates[0]!.name : undefined;
}

/** The one table of `other` that `catalog` lacks and that has `table`'s columns (names and types): a rename (or SET SCHEMA) between the two. */
export function renamedTable(table: TableInfo | undefined, catalog: Catalog, other: Catalog): TableInfo | undefined {
  if (!table) return undefined;
  const shape = (t: TableInfo) => t.columns.map((c) => `${c.name} ${c.type}`).sort().join(', ');
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
