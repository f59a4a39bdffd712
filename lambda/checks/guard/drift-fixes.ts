/**
 * The statement that undoes one object's drift, from the snapshot's own
 * definitions: the default, the index, the constraint, the function as the
 * migrations made them. Where undoing is not one safe statement (a type
 * change rewrites the table), the fix says so.
 */
import { quoteLiteral } from '../../engine/state';
import type { Catalog, ConstraintInfo, Difference, TableInfo } from '../../schema/catalog';
import { ident, qualified } from '../doctor/names';

const INTO_MIGRATION = 'or keep it: put it in a migration, then schemaguard snapshot';

/** Where a column, constraint or index difference belongs: its table (from either catalog) and its own name. */
export function locate(d: Difference, catalogs: readonly Catalog[]): { table: TableInfo; member: string } | undefined {
  for (const catalog of catalogs) {
    for (const table of catalog.tables) {
      const prefix = `${table.schema}.${table.name}.`;
      if (d.name.startsWith(prefix)) return { table, member: d.name.slice(prefix.length) };
    }
  }
  return undefined;
}

/** The fix for one drifted object (all its differences). */
export function driftFix(diffs: readonly Difference[], snapshot: Catalog, live: Catalog): string {
  const d = diffs[0]!;
  if (d.change === 'only-in-b') return additionFix(d, live);
  if (d.kind === 'table' && (d.field === 'partitionOf' || d.field === 'partitionBound')) return partitionFix(d, snapshot, live);
  switch (d.kind) {
    case 'column': return columnFix(diffs, snapshot);
    case 'index': return indexFix(d, snapshot);
    case 'constraint': return constraintFix(d, snapshot);
    case 'function': return functionFix(d, snapshot);
    case 'extension': return `CREATE EXTENSION IF NOT EXISTS ${ident(d.name)};`;
    default: return d.change === 'only-in-a'
      ? `restore ${d.kind} ${d.name} as the migrations create it (and its rows from a backup); the snapshot holds its definition`
      : `undo the change to ${d.kind} ${d.name} by hand, ${INTO_MIGRATION}`;
  }
}

/** A partition detached (or moved to another bound or parent) by hand: attached again as the snapshot has it. */
function partitionFix(d: Difference, snapshot: Catalog, live: Catalog): string {
  const find = (c: Catalog) => c.tables.find((t) => `${t.schema}.${t.name}` === d.name);
  const expected = find(snapshot);
  const now = find(live);
  if (!expected?.partitionOf || !expected.partitionBound) return `undo the change to table ${d.name} by hand, ${INTO_MIGRATION}`;
  const table = qualified(expected.schema, expected.name);
  const detach = now?.partitionOf ? `ALTER TABLE ${now.partitionOf} DETACH PARTITION ${table};\n` : '';
  return `${detach}ALTER TABLE ${expected.partitionOf} ATTACH PARTITION ${table} ${expected.partitionBound};  -- reads ${table} to check its bound, unless a validated CHECK implies it`;
}

function columnFix(diffs: readonly Difference[], snapshot: Catalog): string {
  const at = locate(diffs[0]!, [snapshot]);
  if (!at) return `undo the change to ${diffs[0]!.name} by hand, ${INTO_MIGRATION}`;
  const table = qualified(at.table.schema, at.table.name);
  const column = at.table.columns.find((c) => c.name === at.member);
  const alter = `ALTER TABLE ${table} ALTER COLUMN ${ident(at.member)}`;
  if (!column) return `${diffs[0]!.name} is missing: restore it as the migrations create it (its data from a backup)`;
  if (diffs[0]!.change === 'only-in-a') {
    return `ALTER TABLE ${table} ADD COLUMN ${ident(column.name)} ${column.type}${column.default ? ` DEFAULT ${column.default}` : ''};${column.nullable ? '' : `  -- then backfill it and ${alter} SET NOT NULL`}  -- its data is gone: restore it from a backup`;
  }
  return diffs.map((d) => {
    if (d.field === 'default') return column.default === null ? `${alter} DROP DEFAULT;` : `${alter} SET DEFAULT ${column.default};`;
    if (d.field === 'nullable') {
      return column.nullable
        ? `${alter} DROP NOT NULL;`
        : `${alter} SET NOT NULL;  -- scans the table under ACCESS EXCLUSIVE: on a big table add CHECK (${ident(column.name)} IS NOT NULL) NOT VALID, VALIDATE it, then SET NOT NULL`;
    }
    if (d.field === 'type') {
      return `${alter} TYPE ${column.type} USING ${ident(column.name)}::${column.type};  -- rewrites the table under ACCESS EXCLUSIVE: on a big table use a new column backfilled in batches`;
    }
    // The table keeps its rows (the types are the same); the indexes on the column are rebuilt.
    if (d.field === 'collation') return `${alter} TYPE ${column.type} COLLATE ${column.collation ?? 'pg_catalog."default"'};  -- no rewrite; rebuilds the column's indexes`;
    if (d.field === 'comment') return `COMMENT ON COLUMN ${table}.${ident(column.name)} IS ${column.comment === null ? 'NULL' : quoteLiteral(column.comment)};`;
    return `undo the change to ${d.field} of ${d.name} by hand, ${INTO_MIGRATION}`;
  }).join('\n');
}

function indexFix(d: Difference, snapshot: Catalog): string {
  const at = locate(d, [snapshot]);
  const index = at?.table.indexes.find((i) => i.name === at.member);
  if (!at || !index) return `undo the change to ${d.name} by hand, ${INTO_MIGRATION}`;
  if (d.field === 'comment') return `COMMENT ON INDEX ${qualified(at.table.schema, index.name)} IS ${index.comment === null ? 'NULL' : quoteLiteral(index.comment)};`;
  const build = `${index.definition.replace(/^CREATE (UNIQUE )?INDEX /, 'CREATE $1INDEX CONCURRENTLY ')};`;
  const drop = d.change === 'changed' ? `DROP INDEX CONCURRENTLY IF EXISTS ${qualified(at.table.schema, index.name)};\n` : '';
  return index.constraint ? `${constraintFix({ ...d, kind: 'constraint', name: `${at.table.schema}.${at.table.name}.${index.constraint}` }, snapshot)}` : `${drop}${build}`;
}

function constraintFix(d: Difference, snapshot: Catalog): string {
  const at = locate(d, [snapshot]);
  const constraint = at?.table.constraints.find((c) => c.name === at.member);
  if (!at || !constraint) return `undo the change to ${d.name} by hand, ${INTO_MIGRATION}`;
  const table = qualified(at.table.schema, at.table.name);
  if (d.field === 'comment') return `COMMENT ON CONSTRAINT ${ident(constraint.name)} ON ${table} IS ${constraint.comment === null ? 'NULL' : quoteLiteral(constraint.comment)};`;
  const drop = d.change === 'changed' ? `ALTER TABLE ${table} DROP CONSTRAINT ${ident(constraint.name)};\n` : '';
  return `${drop}${addConstraint(table, constraint)}`;
}

/** Foreign keys and CHECKs without a long lock: NOT VALID, then VALIDATE. */
function addConstraint(table: string, c: ConstraintInfo): string {
  const add = `ALTER TABLE ${table} ADD CONSTRAINT ${ident(c.name)} ${c.definition.replace(/ NOT VALID$/, '')}`;
  if (c.type === 'f' || c.type === 'c') return `${add} NOT VALID;\nALTER TABLE ${table} VALIDATE CONSTRAINT ${ident(c.name)};`;
  if (c.type === 'u' || c.type === 'p') return `${add};  -- builds its index under ACCESS EXCLUSIVE: on a big table CREATE UNIQUE INDEX CONCURRENTLY first, then ADD CONSTRAINT … USING INDEX`;
  return `${add};`;
}

function functionFix(d: Difference, snapshot: Catalog): string {
  const fn = snapshot.functions.find((f) => `${f.schema}.${f.name}(${f.arguments})` === d.name);
  return fn ? `${fn.definition.trim().replace(/;?$/, ';')}  -- the migrations' definition` : `undo the change to ${d.name} by hand, ${INTO_MIGRATION}`;
}

/** An object only in the live schema: keep it through a migration, or drop it. */
function additionFix(d: Difference, live: Catalog): string {
  if (d.kind === 'schema') {
    return `see what it holds (\\dt ${ident(d.name)}.*): a table in it whose name the application uses unqualified is the one it reads and writes when the schema comes first in its search_path ("$user" first by default: a schema named after the application's role); put it in a migration (then schemaguard snapshot), or move its objects and drop it`;
  }
  const at = locate(d, [live]);
  const table = at ? qualified(at.table.schema, at.table.name) : '';
  const drop = (() => {
    switch (d.kind) {
      case 'index': return at ? `DROP INDEX CONCURRENTLY IF EXISTS ${qualified(at.table.schema, at.member)};` : undefined;
      case 'column': return at ? `ALTER TABLE ${table} DROP COLUMN ${ident(at.member)};` : undefined;
      case 'constraint': return at ? `ALTER TABLE ${table} DROP CONSTRAINT ${ident(at.member)};` : undefined;
      case 'function': return `DROP FUNCTION ${d.name};`;
      case 'extension': return `DROP EXTENSION ${ident(d.name)};`;
      default: return undefined;
    }
  })();
  return `put it in a migration (then schemaguard snapshot)${drop ? `, or drop it: ${drop}` : ', or drop it'}`;
}
