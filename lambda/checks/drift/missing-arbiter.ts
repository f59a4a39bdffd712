/**
 * An upsert that fails with 42P10 because its unique index is gone: the live
 * schema cannot say which index that was, but the snapshot can. For each such
 * failure, the unique index of the snapshot whose columns (or constraint) the
 * `ON CONFLICT` names is looked up in the live schema; when it is missing or
 * INVALID there, the failure names it and gives its definition as the fix.
 */
import { quoteIdent } from '../../engine/state/identifiers';
import type { Queryable } from '../../engine/ports';
import { conflictTargets, sameColumns, type ConflictTarget } from '../contracts/conflict-targets';
import { duplicateRowsQuery, uniqueKeyOf } from '../doctor/duplicate-rows';
import { qualified } from '../doctor/names';
import type { Contract, ContractFailure, ContractResult, ContractsReport } from '../contracts';
import { as, list, loadParser, parseSql, rangeVar } from '../parser/parse';
import type { Catalog, IndexInfo, TableInfo } from '../../schema/catalog';
import { INVALID_COLUMN_REFERENCE } from '../../engine/errors/sqlstate';

interface SnapshotIndex {
  table: TableInfo;
  index: IndexInfo;
  columns: string[];
}

/** The failures that may be a lost arbiter: ON CONFLICT matched no unique index (42P10), each with its contract's result. */
export function missingArbiterFailures(report: ContractsReport): { r: ContractResult; f: ContractFailure }[] {
  return report.results.flatMap((r) => r.failures.filter((f) => f.sqlstate === INVALID_COLUMN_REFERENCE).map((f) => ({ r, f })));
}

/** Rewrite the reason and fix of every 42P10 failure whose arbiter the snapshot knows and the live schema lacks. */
export async function nameMissingArbiters(q: Queryable, report: ContractsReport, contracts: readonly Contract[], snapshot: Catalog): Promise<void> {
  const failing = missingArbiterFailures(report);
  if (!failing.length) return;
  await loadParser();
  const searchPath = await currentSchemas(q);
  for (const { r, f } of failing) {
    const contract = contracts.find((c) => c.name === r.name);
    for (const target of contract ? conflictTargets(contract) : []) {
      const expected = snapshotArbiter(snapshot, target, searchPath);
      if (expected) await describe(q, f, expected);
    }
  }
}

async function currentSchemas(q: Queryable): Promise<string[]> {
  const v = (await q.query<{ s: string[] | string }>('SELECT current_schemas(false)::text[] AS s')).rows[0]?.s ?? [];
  return typeof v === 'string' ? v.replace(/[{}"]/g, '').split(',').filter(Boolean) : v;
}

/** The snapshot's unique index that `target` names: its table found as the search path would find it. */
function snapshotArbiter(snapshot: Catalog, target: ConflictTarget, searchPath: string[]): SnapshotIndex | undefined {
  const schemas = target.table.schema ? [target.table.schema] : searchPath;
  const table = schemas.map((s) => snapshot.tables.find((t) => t.schema === s && t.name === target.table.name)).find(Boolean);
  if (!table) return undefined;
  for (const index of table.indexes) {
    const columns = uniqueIndexColumns(index.definition);
    if (!columns) continue;
    if (target.constraint ? index.constraint === target.constraint : sameColumns(columns, target.columns)) return { table, index, columns };
  }
  return undefined;
}

/** The key columns of a `CREATE UNIQUE INDEX` definition, or undefined (not unique, or an expression index). */
function uniqueIndexColumns(definition: string): string[] | undefined {
  const stmt = as(parseSql(definition).statements[0]?.stmt, 'IndexStmt');
  if (!stmt?.unique || !rangeVar(stmt.relation)) return undefined;
  const names = list(stmt.indexParams).map((p) => as(p, 'IndexElem')?.name);
  return names.every((n) => typeof n === 'string') ? (names as string[]) : undefined;
}

async function describe(q: Queryable, f: ContractFailure, expected: SnapshotIndex): Promise<void> {
  const live = (
    await q.query<{ valid: boolean | null }>('SELECT (SELECT indisvalid FROM pg_index WHERE indexrelid = to_regclass($1)) AS valid', [
      `${quoteIdent(expected.table.schema)}.${quoteIdent(expected.index.name)}`,
    ])
  ).rows[0]?.valid;
  if (live === true) return;
  const what = `unique index ${expected.index.name} on ${expected.table.schema}.${expected.table.name} (${expected.columns.join(', ')})`;
  const build = `${expected.index.definition.replace(/^CREATE (UNIQUE )?INDEX /, 'CREATE $1INDEX CONCURRENTLY ')};`;
  // Rows with the same key make the build fail again and leave one more INVALID index: they are listed first.
  const key = uniqueKeyOf(expected.index.definition, expected.table.schema, expected.table.name);
  const duplicates = key ? `${duplicateRowsQuery(key)}\n` : '';
  if (live === false) {
    f.reason = `${f.reason}: the arbiter the migrations create, ${what}, is INVALID here (a failed CREATE INDEX CONCURRENTLY)`;
    f.fix = `${duplicates}DROP INDEX CONCURRENTLY IF EXISTS ${qualified(expected.table.schema, expected.index.name)};\n${build}`;
  } else {
    f.reason = `${f.reason}: the arbiter the migrations create, ${what}, is missing here`;
    f.fix = `${duplicates}${build}  -- the snapshot's definition; CONCURRENTLY keeps writes going (run it outside a transaction)`;
  }
}
