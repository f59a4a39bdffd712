/**
 * The table privileges a contract's statement needs, as PostgreSQL checks
 * them when it plans the statement (PostgreSQL 15 to 18, measured):
 * - INSERT: INSERT; a conflict target (`ON CONFLICT (id)`) reads its
 *   columns: SELECT; `DO UPDATE`: UPDATE and SELECT; RETURNING: SELECT.
 * - UPDATE: UPDATE; SELECT when it reads a column (WHERE, SET from a column,
 *   FROM, RETURNING).
 * - DELETE: DELETE; SELECT when it reads a column (WHERE, USING, RETURNING).
 * - MERGE: SELECT (its join reads the target), and INSERT, UPDATE or DELETE
 *   for each action it has.
 * - Every other table the statement names (FROM, a subquery): SELECT.
 * The exact set matters: a GRANT of the missing ones clears the
 * contract-unchecked ticket on the next run, where `GRANT INSERT, SELECT`
 * alone for an upsert would not.
 */
import { as, findAll, list, loadParser, parseSql, rangeVar, type Node, type RangeVar } from '../parser/parse';

export type TablePrivilege = 'SELECT' | 'INSERT' | 'UPDATE' | 'DELETE';

export interface TableNeed {
  table: RangeVar;
  privileges: Set<TablePrivilege>;
}

/** Each table the statement names (as written, schema when given) with the privileges it needs there. */
export async function statementNeeds(statement: string): Promise<TableNeed[]> {
  await loadParser();
  let stmts: Node[];
  try {
    stmts = parseSql(statement).statements.map((s) => s.stmt);
  } catch {
    return []; // the contract did not parse: PostgreSQL said so in its own finding
  }
  const needs = new Map<string, TableNeed>();
  const add = (table: RangeVar | undefined, ...privileges: TablePrivilege[]) => {
    if (!table) return;
    const key = `${table.schema ?? ''}.${table.name}`;
    const need = needs.get(key) ?? { table, privileges: new Set<TablePrivilege>() };
    for (const p of privileges) need.privileges.add(p);
    needs.set(key, need);
  };
  for (const stmt of stmts) {
    for (const [kind, node] of writes(stmt)) add(rangeVar(node.relation), ...targetNeeds(kind, node));
    // A table read anywhere else (FROM, USING, a subquery, a CTE's SELECT): SELECT. A CTE's own name matches no table and is dropped later.
    for (const r of findAll(stmt, 'RangeVar')) add(rangeVar(r), 'SELECT');
  }
  return [...needs.values()];
}

const WRITES = ['InsertStmt', 'UpdateStmt', 'DeleteStmt', 'MergeStmt'];

/** Every INSERT, UPDATE, DELETE and MERGE in the statement (a WITH's included), with its kind. */
function writes(stmt: Node): [string, Node][] {
  return WRITES.flatMap((kind) => findAll(stmt, kind).map((node): [string, Node] => [kind, node]));
}

/** What the target table of one write needs. */
function targetNeeds(kind: string, node: Node): TablePrivilege[] {
  const reads = list(node.returningList).length > 0;
  switch (kind) {
    case 'InsertStmt': {
      const conflict = node.onConflictClause as Node | undefined;
      const update = conflict?.action === 'ONCONFLICT_UPDATE';
      const target = !!conflict?.infer;
      return ['INSERT', ...(update ? ['UPDATE' as const] : []), ...(update || target || reads ? ['SELECT' as const] : [])];
    }
    case 'UpdateStmt': {
      const readsColumns = reads || list(node.fromClause).length > 0 || findAll([node.whereClause, node.targetList], 'ColumnRef').length > 0;
      return ['UPDATE', ...(readsColumns ? ['SELECT' as const] : [])];
    }
    case 'DeleteStmt': {
      const readsColumns = reads || list(node.usingClause).length > 0 || findAll(node.whereClause, 'ColumnRef').length > 0;
      return ['DELETE', ...(readsColumns ? ['SELECT' as const] : [])];
    }
    default:
      return ['SELECT', ...mergeActions(node)];
  }
}

function mergeActions(node: Node): TablePrivilege[] {
  const commands = list(node.mergeWhenClauses).map((c) => as(c, 'MergeWhenClause')?.commandType);
  const byCommand: Record<string, TablePrivilege> = { CMD_INSERT: 'INSERT', CMD_UPDATE: 'UPDATE', CMD_DELETE: 'DELETE' };
  return [...new Set(commands.flatMap((c) => (typeof c === 'string' && byCommand[c] ? [byCommand[c]] : [])))];
}
