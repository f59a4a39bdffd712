/**
 * The statement that undoes one object's drift, from the snapshot's own
 * definitions: the default, the index, the constraint, the function as the
 * migrations made them. Where undoing is not one safe statement (a type
 * change rewrites the table), the fix says so.
 */
import { oneLine, quoteLiteral, sqlComment } from '../../engine/sql/sql-quote';
import type { Catalog, ColumnInfo, ConstraintInfo, Difference, TableInfo } from '../../schema/catalog';
import { duplicateRowsQuery, uniqueKeyOf } from '../doctor/duplicate-rows';
import { ident, qualified } from '../doctor/names';
import { domainFix, enumFix, INTO_MIGRATION, locate, policyFix, replicaIdentityFix, rowSecurityFix, triggerFix, viewFix } from './drift-fixes-detail';
import { partitionChangedStrayFix, partitionedIndexChangedFix, partitionedIndexFix, partitionIndexFix } from './drift-fixes-index';
import { columnSequenceFix, sequenceFix, setvalPast } from './drift-fixes-sequences';
import { keyOnIndexFix, keyTriggersFix, partitionStrayIndexFix } from './drift-fixes-keys';
import { addedColumnFix, renamedColumn, renamedTable, renameTableSql } from './drift-renames';

/** The fix for one drifted object (all its differences). */
export function driftFix(diffs: readonly Difference[], snapshot: Catalog, live: Catalog): string {
  const d = diffs[0];
  const renamed = renameFix(d, snapshot, live);
  if (renamed) return renamed;
  if (d.kind === 'trigger') return triggerFix(diffs, snapshot, live);
  if (d.kind === 'policy') return policyFix(d, snapshot, live);
  if (d.kind === 'type') return enumFix(d, snapshot, live);
  if (d.kind === 'domain') return domainFix(diffs, snapshot, live);
  if (d.kind === 'sequence') return sequenceFix(diffs, snapshot, live);
  if (d.kind === 'column' && diffs.some(isSequenceField)) return withSequenceFix(diffs, snapshot, live);
  if (d.change === 'only-in-b') return (d.kind === 'index' ? strayIndexFix(d, snapshot, live) : undefined) ?? additionFix(d, snapshot, live);
  // A table's fields each have their own fix (row-level security and replica identity changed together: both).
  if (d.kind === 'table' && d.change === 'changed' && diffs.length > 1) {
    const fixes = diffs.filter((x) => x.field !== 'partitionBound' || !diffs.some((y) => y.field === 'partitionOf')).map((x) => driftFix([x], snapshot, live));
    return [...new Set(fixes)].join('\n');
  }
  if (d.kind === 'constraint' && diffs.every((x) => x.field === 'triggers')) return keyTriggersFix(d, live);
  const onIndex =
    (d.kind === 'constraint' && d.change === 'only-in-a') || (d.kind === 'index' && (d.change === 'only-in-a' || diffs.some((x) => x.field === 'constraint')))
      ? keyOnIndexFix(d, snapshot, live)
      : undefined;
  if (onIndex) return onIndex;
  if (d.kind === 'table' && d.field === 'definition') return viewFix(d, snapshot);
  if (d.kind === 'table' && d.field === 'comment') return tableCommentFix(d, snapshot);
  if (d.kind === 'table' && d.field === 'rowSecurity') return rowSecurityFix(d, snapshot);
  if (d.kind === 'table' && d.field === 'replicaIdentity') return replicaIdentityFix(d, snapshot);
  if (d.kind === 'table' && (d.field === 'partitionOf' || d.field === 'partitionBound')) return partitionFix(d, snapshot, live);
  switch (d.kind) {
    case 'column':
      return columnFix(diffs, snapshot);
    case 'index':
      return indexFix(d, snapshot, live);
    case 'constraint':
      return constraintFix(d, snapshot);
    case 'function':
      return functionFix(d, snapshot);
    case 'extension':
      return extensionFix(d);
    default:
      return d.change === 'only-in-a'
        ? `restore ${d.kind} ${oneLine(d.name)} as the migrations create it (and its rows from a backup); the snapshot holds its definition`
        : `undo the change to ${d.kind} ${oneLine(d.name)} by hand, ${INTO_MIGRATION}`;
  }
}

function isSequenceField(d: Difference): boolean {
  return d.field?.startsWith('sequence.') ?? false;
}

/** A column whose sequence's options changed (and maybe more of it): ALTER SEQUENCE for those, the column's own fixes for the rest. */
function withSequenceFix(diffs: readonly Difference[], snapshot: Catalog, live: Catalog): string {
  const rest = diffs.filter((d) => !isSequenceField(d));
  const sequence =
    columnSequenceFix(diffs.filter(isSequenceField), snapshot, live) ??
    `undo the change to the sequence of ${oneLine(diffs[0].name)} by hand, ${INTO_MIGRATION}`;
  return rest.length ? `${driftFix(rest, snapshot, live)}\n${sequence}` : sequence;
}

/** A partition's index only live that the fix of its parent's index (a key's stand-in, or one changed by hand) drops with that one. */
function strayIndexFix(d: Difference, snapshot: Catalog, live: Catalog): string | undefined {
  const at = locate(d, [live]);
  const stray = at?.table.indexes.find((i) => i.name === at.member);
  return partitionStrayIndexFix(d, snapshot, live) ?? (at && stray ? partitionChangedStrayFix(at.table, stray, snapshot, live) : undefined);
}

/** A column or table missing on one side and alike one added on the other: renamed, and renamed back (its data kept). */
function renameFix(d: Difference, snapshot: Catalog, live: Catalog): string | undefined {
  if (d.change === 'changed') return d.field === 'definition' ? renamedReference(d, snapshot, live) : undefined;
  const [here, there] = d.change === 'only-in-a' ? [snapshot, live] : [live, snapshot];
  const find = (c: Catalog, name: string) => c.tables.find((t) => `${t.schema}.${t.name}` === name);
  if (d.kind === 'table') {
    const table = find(here, d.name);
    const other = renamedTable(table, here, there);
    if (!table || !other) return undefined;
    return d.change === 'only-in-a'
      ? `${renameTableSql(other, table)}  ${sqlComment(`${qualified(other.schema, other.name)} has its columns: it looks renamed, with its rows`)}`
      : `it looks like ${qualified(other.schema, other.name)} renamed, with its rows (the same columns): ${renameTableSql(table, other)}`;
  }
  if (d.kind !== 'column') return undefined;
  const at = locate(d, [here]);
  if (!at) return undefined;
  const other = renamedColumn(at.table, find(there, `${at.table.schema}.${at.table.name}`), at.member);
  if (!other) return undefined;
  const table = qualified(at.table.schema, at.table.name);
  return d.change === 'only-in-a'
    ? `ALTER TABLE ${table} RENAME COLUMN ${ident(other)} TO ${ident(at.member)};  ${sqlComment(`${ident(other)} has its type, default and nullability: it looks renamed, with its data`)}`
    : `it looks like ${ident(other)} renamed, with its data (the same type, default and nullability): ALTER TABLE ${table} RENAME COLUMN ${ident(at.member)} TO ${ident(other)};`;
}

/** A constraint's or index's definition that differs only by a table renamed by hand: renaming it back restores it. */
function renamedReference(d: Difference, snapshot: Catalog, live: Catalog): string | undefined {
  if (typeof d.a !== 'string' || typeof d.b !== 'string') return undefined;
  const liveNames = new Set(live.tables.map((t) => `${t.schema}.${t.name}`));
  for (const table of snapshot.tables) {
    if (liveNames.has(`${table.schema}.${table.name}`)) continue;
    const other = renamedTable(table, snapshot, live);
    if (!other) continue;
    const printed = (t: TableInfo) => `${ident(t.schema)}.${ident(t.name)}`;
    if (d.b.split(printed(other)).join(printed(table)) === d.a) {
      return `it follows ${qualified(other.schema, other.name)}, which looks like ${qualified(table.schema, table.name)} renamed: renaming it back restores this too (${renameTableSql(other, table)})`;
    }
  }
  return undefined;
}

/** A partition detached (or moved to another bound or parent) by hand: attached again as the snapshot has it. */
function partitionFix(d: Difference, snapshot: Catalog, live: Catalog): string {
  const find = (c: Catalog) => c.tables.find((t) => `${t.schema}.${t.name}` === d.name);
  const expected = find(snapshot);
  const now = find(live);
  if (!expected?.partitionOf || !expected.partitionBound) return `undo the change to table ${oneLine(d.name)} by hand, ${INTO_MIGRATION}`;
  const table = qualified(expected.schema, expected.name);
  const detach = now?.partitionOf ? `ALTER TABLE ${now.partitionOf} DETACH PARTITION ${table};\n` : '';
  return `${detach}ALTER TABLE ${expected.partitionOf} ATTACH PARTITION ${table} ${expected.partitionBound};  ${sqlComment(`reads ${table} to check its bound, unless a validated CHECK implies it`)}`;
}

function columnFix(diffs: readonly Difference[], snapshot: Catalog): string {
  const at = locate(diffs[0], [snapshot]);
  if (!at) return `undo the change to ${oneLine(diffs[0].name)} by hand, ${INTO_MIGRATION}`;
  const table = qualified(at.table.schema, at.table.name);
  const column = at.table.columns.find((c) => c.name === at.member);
  const alter = `ALTER TABLE ${table} ALTER COLUMN ${ident(at.member)}`;
  if (!column) return `${oneLine(diffs[0].name)} is missing: restore it as the migrations create it (its data from a backup)`;
  if (diffs[0].change === 'only-in-a') {
    return `ALTER TABLE ${table} ADD COLUMN ${ident(column.name)} ${column.type}${column.default ? ` DEFAULT ${column.default}` : ''};  ${sqlComment(`${column.nullable ? '' : `then backfill it and ${alter} SET NOT NULL; `}its data is gone: restore it from a backup`)}`;
  }
  return diffs
    .map((d) => {
      if (d.field === 'default') return column.default === null ? `${alter} DROP DEFAULT;` : `${alter} SET DEFAULT ${column.default};`;
      if (d.field === 'nullable') {
        return column.nullable
          ? `${alter} DROP NOT NULL;`
          : `${alter} SET NOT NULL;  ${sqlComment(`scans the table under ACCESS EXCLUSIVE: on a big table add CHECK (${ident(column.name)} IS NOT NULL) NOT VALID, VALIDATE it, then SET NOT NULL`)}`;
      }
      if (d.field === 'type') {
        return `${alter} TYPE ${column.type} USING ${ident(column.name)}::${column.type};  -- rewrites the table under ACCESS EXCLUSIVE: on a big table use a new column backfilled in batches`;
      }
      // The table keeps its rows (the types are the same); the indexes on the column are rebuilt.
      if (d.field === 'collation')
        return `${alter} TYPE ${column.type} COLLATE ${column.collation ?? 'pg_catalog."default"'};  -- no rewrite; rebuilds the column's indexes`;
      if (d.field === 'comment')
        return `COMMENT ON COLUMN ${table}.${ident(column.name)} IS ${column.comment === null ? 'NULL' : quoteLiteral(column.comment)};`;
      if (d.field === 'identity') return identityFix(table, column, d.b);
      return `undo the change to ${d.field} of ${oneLine(d.name)} by hand, ${INTO_MIGRATION}`;
    })
    .join('\n');
}

/** An identity changed, added or dropped by hand, as the snapshot has it; one added again takes the snapshot's sequence options. */
function identityFix(table: string, column: ColumnInfo, live: unknown): string {
  const alter = `ALTER TABLE ${table} ALTER COLUMN ${ident(column.name)}`;
  const kind = column.identity === 'a' ? 'ALWAYS' : 'BY DEFAULT';
  if (column.identity === null) return `${alter} DROP IDENTITY;  ${sqlComment(`its sequence goes with it; inserts must then give ${ident(column.name)}`)}`;
  if (live !== null) return `${alter} SET GENERATED ${kind};`;
  return [
    `${alter} ADD GENERATED ${kind} AS IDENTITY${identityOptions(column)};  -- a new sequence: the next statement moves it past the rows' values`,
    column.sequence ? setvalPast(table, column.name, column.sequence) : setvalPast(table, column.name, { increment: '1', start: '1' }),
  ].join('\n');
}

/** The largest value of each sequence type: an identity's MAXVALUE when none is given. */
const TYPE_MAX: Record<string, string> = { smallint: '32767', integer: '2147483647', bigint: '9223372036854775807' };

/** An identity's sequence options the snapshot has that a new identity would not get by itself (` (INCREMENT BY 10)`), or ''. */
function identityOptions(column: ColumnInfo): string {
  const s = column.sequence;
  if (!s) return '';
  const ascending = !s.increment.startsWith('-');
  const clauses = [
    s.increment !== '1' ? `INCREMENT BY ${s.increment}` : '',
    !ascending || s.min !== '1' ? `MINVALUE ${s.min}` : '',
    !ascending || s.max !== TYPE_MAX[s.type] ? `MAXVALUE ${s.max}` : '',
    s.start !== (ascending ? s.min : s.max) ? `START WITH ${s.start}` : '',
    s.cycle ? 'CYCLE' : '',
  ].filter(Boolean);
  return clauses.length ? ` (${clauses.join(' ')})` : '';
}

/** A table's (view's) comment as the snapshot has it. */
function tableCommentFix(d: Difference, snapshot: Catalog): string {
  const t = snapshot.tables.find((x) => `${x.schema}.${x.name}` === d.name);
  if (!t) return `undo the change to ${oneLine(d.name)} by hand, ${INTO_MIGRATION}`;
  const what = { v: 'VIEW', m: 'MATERIALIZED VIEW', f: 'FOREIGN TABLE' }[t.kind] ?? 'TABLE';
  return `COMMENT ON ${what} ${qualified(t.schema, t.name)} IS ${t.comment === null ? 'NULL' : quoteLiteral(t.comment)};`;
}

function indexFix(d: Difference, snapshot: Catalog, live: Catalog): string {
  const at = locate(d, [snapshot]);
  const index = at?.table.indexes.find((i) => i.name === at.member);
  if (!at || !index) return `undo the change to ${oneLine(d.name)} by hand, ${INTO_MIGRATION}`;
  if (d.field === 'comment')
    return `COMMENT ON INDEX ${qualified(at.table.schema, index.name)} IS ${index.comment === null ? 'NULL' : quoteLiteral(index.comment)};`;
  if (d.change === 'only-in-a' && !index.constraint) {
    const partitioned =
      at.table.kind === 'p'
        ? partitionedIndexFix(at.table, index, snapshot, live)
        : at.table.partitionOf !== undefined
          ? partitionIndexFix(at.table, index, snapshot, live)
          : undefined;
    if (partitioned) return partitioned;
  }
  if (d.change === 'changed' && d.field === 'definition' && at.table.kind === 'p' && !index.constraint) {
    const rebuilt = partitionedIndexChangedFix(at.table, index, snapshot, live);
    if (rebuilt) return rebuilt;
  }
  const build = `${index.definition.replace(/^CREATE (UNIQUE )?INDEX /, 'CREATE $1INDEX CONCURRENTLY ')};`;
  const drop = d.change === 'changed' ? `DROP INDEX CONCURRENTLY IF EXISTS ${qualified(at.table.schema, index.name)};\n` : '';
  // A unique index: the rows its build would fail on (and leave one more INVALID index), first.
  const key = uniqueKeyOf(index.definition, at.table.schema, at.table.name);
  const duplicates = key ? `${duplicateRowsQuery(key)}\n` : '';
  return index.constraint
    ? `${constraintFix({ ...d, kind: 'constraint', name: `${at.table.schema}.${at.table.name}.${index.constraint}` }, snapshot)}`
    : `${duplicates}${drop}${build}`;
}

function constraintFix(d: Difference, snapshot: Catalog): string {
  const at = locate(d, [snapshot]);
  const constraint = at?.table.constraints.find((c) => c.name === at.member);
  if (!at || !constraint) return `undo the change to ${oneLine(d.name)} by hand, ${INTO_MIGRATION}`;
  const table = qualified(at.table.schema, at.table.name);
  if (d.field === 'comment')
    return `COMMENT ON CONSTRAINT ${ident(constraint.name)} ON ${table} IS ${constraint.comment === null ? 'NULL' : quoteLiteral(constraint.comment)};`;
  const drop = d.change === 'changed' ? `ALTER TABLE ${table} DROP CONSTRAINT ${ident(constraint.name)};\n` : '';
  return `${drop}${addConstraint(table, constraint)}`;
}

/** Foreign keys and CHECKs without a long lock: NOT VALID, then VALIDATE. */
function addConstraint(table: string, c: ConstraintInfo): string {
  const add = `ALTER TABLE ${table} ADD CONSTRAINT ${ident(c.name)} ${c.definition.replace(/ NOT VALID$/, '')}`;
  if (c.type === 'f' || c.type === 'c') return `${add} NOT VALID;\nALTER TABLE ${table} VALIDATE CONSTRAINT ${ident(c.name)};`;
  if (c.type === 'u' || c.type === 'p')
    return `${add};  -- builds its index under ACCESS EXCLUSIVE: on a big table CREATE UNIQUE INDEX CONCURRENTLY first, then ADD CONSTRAINT … USING INDEX`;
  return `${add};`;
}

/** An extension dropped (made again), or moved to another schema (moved back: CREATE EXTENSION IF NOT EXISTS would do nothing). */
function extensionFix(d: Difference): string {
  if (d.change === 'changed' && d.field === 'schema' && typeof d.a === 'string') {
    return `ALTER EXTENSION ${ident(d.name)} SET SCHEMA ${ident(d.a)};  ${sqlComment(`moves its objects back; an extension that is not relocatable refuses (then DROP EXTENSION and CREATE EXTENSION ${ident(d.name)} SCHEMA ${ident(d.a)}, with what depends on it)`)}`;
  }
  return `CREATE EXTENSION IF NOT EXISTS ${ident(d.name)};`;
}

function functionFix(d: Difference, snapshot: Catalog): string {
  const fn = snapshot.functions.find((f) => `${f.schema}.${f.name}(${f.arguments})` === d.name);
  return fn
    ? `${fn.definition.trim().replace(/;?$/, ';')}  ${sqlComment("the migrations' definition")}`
    : `undo the change to ${oneLine(d.name)} by hand, ${INTO_MIGRATION}`;
}

/** An object only in the live schema: keep it through a migration, or drop it. */
function additionFix(d: Difference, snapshot: Catalog, live: Catalog): string {
  if (d.kind === 'schema') {
    return `see what it holds (\\dt ${ident(d.name)}.*): a table in it whose name the application uses unqualified is the one it reads and writes when the schema comes first in its search_path ("$user" first by default: a schema named after the application's role); put it in a migration (then schemaguard snapshot), or move its objects and drop it`;
  }
  const at = locate(d, [live]);
  if (d.kind === 'column' && at) return addedColumnFix(at.table, at.member, snapshot);
  const table = at ? qualified(at.table.schema, at.table.name) : '';
  const drop = (() => {
    switch (d.kind) {
      case 'index':
        return at ? `DROP INDEX CONCURRENTLY IF EXISTS ${qualified(at.table.schema, at.member)};` : undefined;
      case 'constraint':
        return at ? `ALTER TABLE ${table} DROP CONSTRAINT ${ident(at.member)};` : undefined;
      case 'function': {
        const fn = live.functions.find((f) => `${f.schema}.${f.name}(${f.arguments})` === d.name);
        return fn ? `DROP FUNCTION ${qualified(fn.schema, fn.name)}(${fn.arguments});` : undefined;
      }
      case 'extension':
        return `DROP EXTENSION ${ident(d.name)};`;
      default:
        return undefined;
    }
  })();
  return `put it in a migration (then schemaguard snapshot)${drop ? `, or drop it: ${drop}` : ', or drop it'}`;
}
