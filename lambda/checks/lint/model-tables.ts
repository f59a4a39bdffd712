/**
 * Tables in the pending-set model: what CREATE TABLE declares and what each
 * ALTER TABLE subcommand changes (columns, their types and NOT NULL, the
 * primary key, constraints and whether they are validated). Constraint names
 * PostgreSQL chooses for unnamed constraints are followed, so a later
 * `VALIDATE CONSTRAINT t_a_check` finds its constraint.
 */
import { as, findAll, list, names, rangeVar, typeNameText, type Node, type RangeVar } from '../parser/parse';
import type { ColumnModel, ConstraintKind, ConstraintModel, TableModel } from './model-types';
import { objectName } from '../names/object-names';
import { present } from '../../engine/errors/present';

/** Where an ALTER TABLE runs: a NOT VALID constraint remembers it. */
export interface CommandOrigin {
  file: string;
  line: number;
  /** The ALTER TABLE's text. */
  statement: string;
  transactional: boolean;
  /** A pending file (applied ones only feed the model). */
  pending: boolean;
}

const KINDS: Record<string, ConstraintKind> = {
  CONSTR_CHECK: 'check',
  CONSTR_FOREIGN: 'foreign',
  CONSTR_PRIMARY: 'primary',
  CONSTR_UNIQUE: 'unique',
  CONSTR_EXCLUSION: 'exclusion',
};

export function createdTable(n: Node, base: Pick<TableModel, 'schema' | 'name' | 'isNew'>, lookup: (r: RangeVar) => TableModel | undefined): TableModel {
  const spec = n.partspec as Node | undefined;
  const t: TableModel = {
    ...base,
    columns: new Map(),
    primaryKey: [],
    constraints: new Map(),
    ...(spec ? { partitioned: true, partitions: [], partitionKey: partitionKeyColumns(spec) } : {}),
  };
  for (const parent of list(n.inhRelations)) copyColumns(t, rangeVar(as(parent, 'RangeVar')), lookup);
  for (const elt of list(n.tableElts)) {
    const like = as(elt, 'TableLikeClause');
    if (like) copyColumns(t, rangeVar(like.relation), lookup);
    const col = as(elt, 'ColumnDef');
    if (col) addColumn(t, col, undefined);
    const con = as(elt, 'Constraint');
    if (con) addConstraint(t, con, [], undefined);
  }
  return t;
}

/** The columns a PARTITION BY names or uses in its expressions. */
function partitionKeyColumns(spec: Node): string[] {
  return list(spec.partParams)
    .map((p) => as(p, 'PartitionElem'))
    .filter((e): e is Node => !!e)
    .flatMap((e) => (typeof e.name === 'string' ? [e.name] : findAll(e.expr, 'ColumnRef').map((r) => names(r.fields).pop() ?? '')));
}

/** LIKE, INHERITS and PARTITION OF take the other table's columns (and their NOT NULL). */
function copyColumns(t: TableModel, r: RangeVar | undefined, lookup: (r: RangeVar) => TableModel | undefined): void {
  const from = r ? lookup(r) : undefined;
  for (const [name, c] of from?.columns ?? []) t.columns.set(name, { ...c });
}

/** Names of the indexes behind the table's PRIMARY KEY, UNIQUE and EXCLUDE constraints (they share the constraint's name). */
export function constraintIndexes(t: TableModel): string[] {
  return [...t.constraints].filter(([, c]) => c.kind === 'primary' || c.kind === 'unique' || c.kind === 'exclusion').map(([name]) => name);
}

/** `ifNotExists`: ADD COLUMN IF NOT EXISTS, whose column may be there already, with values. */
function addColumn(t: TableModel, col: Node, origin: CommandOrigin | undefined, ifNotExists = false): void {
  const name = String(col.colname);
  const constraints = list(col.constraints)
    .map((c) => as(c, 'Constraint'))
    .filter((c): c is Node => !!c);
  const notNull = constraints.some((c) => c.contype === 'CONSTR_NOTNULL' || c.contype === 'CONSTR_PRIMARY' || c.contype === 'CONSTR_IDENTITY');
  const filled = notNull || constraints.some((c) => c.contype === 'CONSTR_DEFAULT' || c.contype === 'CONSTR_GENERATED');
  const nullInEveryRow = origin?.pending === true && !t.isNew && !filled && !ifNotExists;
  const generated = constraints.find((c) => c.contype === 'CONSTR_GENERATED');
  const noDefault = !constraints.some((c) => c.contype === 'CONSTR_DEFAULT' || c.contype === 'CONSTR_GENERATED' || c.contype === 'CONSTR_IDENTITY');
  t.columns.set(name, {
    type: typeNameText(col.typeName),
    notNull,
    ...(origin?.pending ? { addedInPending: true } : {}),
    ...(nullInEveryRow ? { nullInEveryRow } : {}),
    ...(noDefault ? { noDefault } : {}),
    ...(generated ? { generated: generated.generated_kind === 'v' ? ('v' as const) : ('s' as const) } : {}),
  });
  for (const con of constraints) addConstraint(t, con, [name], origin);
}

/** The name PostgreSQL gives an unnamed constraint (before any collision suffix), shortened to 63 bytes as PostgreSQL shortens it. */
export function defaultConstraintName(table: string, con: Node, columns: string[]): string {
  // USING INDEX: the constraint takes the index's name (a named one renames the index instead).
  if (typeof con.indexname === 'string') return con.indexname;
  switch (con.contype) {
    case 'CONSTR_PRIMARY':
      return objectName(table, 'pkey');
    case 'CONSTR_UNIQUE':
      return objectName(table, ...(names(con.keys).length ? names(con.keys) : columns), 'key');
    case 'CONSTR_EXCLUSION':
      return objectName(table, ...(columns.length ? columns : ['excl']), 'excl');
    case 'CONSTR_FOREIGN':
      return objectName(table, ...(names(con.fk_attrs).length ? names(con.fk_attrs) : columns), 'fkey');
    case 'CONSTR_CHECK': {
      // PostgreSQL names a CHECK after its column when the expression references exactly one.
      const refs = new Set(findAll(con.raw_expr, 'ColumnRef').map((r) => names(r.fields).pop() ?? ''));
      return refs.size === 1 ? objectName(table, [...refs][0], 'check') : objectName(table, 'check');
    }
    default:
      return objectName(table, ...columns, 'not_null');
  }
}

/** `columns`: the column a column constraint is declared on (empty for a table constraint). */
function addConstraint(t: TableModel, con: Node, columns: string[], origin: CommandOrigin | undefined): string | undefined {
  const kind = KINDS[String(con.contype)];
  if (con.contype === 'CONSTR_PRIMARY') {
    const usingIndex = typeof con.indexname === 'string' ? t.indexColumns?.get(con.indexname) : undefined;
    t.primaryKey = names(con.keys).length ? names(con.keys) : (usingIndex ?? columns);
    for (const c of t.primaryKey) {
      const col = t.columns.get(c);
      if (col) col.notNull = true;
    }
  }
  if (!kind) return undefined;
  const name = typeof con.conname === 'string' ? con.conname : defaultConstraintName(t.name, con, columns);
  // In CREATE TABLE there are no rows: PostgreSQL marks every constraint valid, NOT VALID or not.
  const notValid = origin !== undefined && con.skip_validation === true;
  const notNullOf = notNullColumns(con);
  const c: ConstraintModel = { kind, validated: !notValid, notNullOf, ...(origin?.pending ? { addedInPending: true } : {}) };
  if (notNullOf) c.checkColumns = [...new Set(findAll(con.raw_expr, 'ColumnRef').map((r) => names(r.fields).pop() ?? ''))];
  if (notValid && origin.pending) c.addedNotValid = { file: origin.file, line: origin.line, transactional: origin.transactional, statement: origin.statement };
  t.constraints.set(name, c);
  return name;
}

/**
 * The columns a CHECK proves not null once validated, as PostgreSQL proves
 * it before skipping SET NOT NULL's scan (NotNullImpliedByRelConstraints:
 * the constraint's expression, NOTs pushed inward, weakly implies
 * `col IS NOT NULL`): `col IS NOT NULL` or `NOT (col IS NULL)`, in any
 * conjunct of an AND, or in every arm of an OR. `col > 0` alone proves
 * nothing (a CHECK lets NULL through), nor does `col IS NOT NULL OR …`.
 * Checked against the server's "existing constraints on column … are
 * sufficient to prove that it does not contain nulls" on PostgreSQL 15 and 18.
 */
export function notNullColumns(con: Node): string[] | undefined {
  if (con.contype !== 'CONSTR_CHECK') return undefined;
  const columns = provenNotNull(con.raw_expr, false);
  return columns.length ? columns : undefined;
}

/** The columns `expr` (negated when `negated`) proves not null. */
function provenNotNull(expr: unknown, negated: boolean): string[] {
  const test = as(expr, 'NullTest');
  if (test) {
    const column = names(as(test.arg, 'ColumnRef')?.fields).pop();
    return column !== undefined && test.nulltesttype === (negated ? 'IS_NULL' : 'IS_NOT_NULL') ? [column] : [];
  }
  const bool = as(expr, 'BoolExpr');
  if (!bool) return [];
  const args = list(bool.args);
  if (bool.boolop === 'NOT_EXPR') return provenNotNull(args[0], !negated);
  // NOT (a AND b) is NOT a OR NOT b: an AND under a NOT proves what an OR does.
  const parts = args.map((a) => provenNotNull(a, negated));
  return (bool.boolop === 'AND_EXPR') !== negated ? [...new Set(parts.flat())] : (parts[0] ?? []).filter((c) => parts.every((p) => p.includes(c)));
}

/** Whether `column` holds no NULL: NOT NULL, or proved by a validated CHECK (PostgreSQL then sets NOT NULL without a scan). */
export function notNullProven(t: TableModel, column: string): boolean {
  return t.columns.get(column)?.notNull === true || [...t.constraints.values()].some((c) => c.validated && c.notNullOf?.includes(column));
}

/** Apply one ALTER TABLE subcommand; returns the name of an index-backed constraint it added. */
export function applyAlterCommand(t: TableModel, cmd: Node, origin: CommandOrigin): string | undefined {
  const col = typeof cmd.name === 'string' ? t.columns.get(cmd.name) : undefined;
  if (origin.pending) settleNotNull(t, cmd);
  switch (cmd.subtype) {
    case 'AT_AddColumn': {
      const def = as(cmd.def, 'ColumnDef');
      if (def && !(cmd.missing_ok && t.columns.has(String(def.colname)))) addColumn(t, def, origin, cmd.missing_ok === true);
      return undefined;
    }
    case 'AT_DropColumn':
      return dropColumn(t, String(cmd.name));
    case 'AT_AlterColumnType':
      if (col) {
        col.type = typeNameText(as(cmd.def, 'ColumnDef')?.typeName);
        delete col.nullInEveryRow;
      } else if (typeof cmd.name === 'string') t.columns.set(cmd.name, { type: typeNameText(as(cmd.def, 'ColumnDef')?.typeName), notNull: false });
      return undefined;
    // SET NOT NULL validates a NOT VALID NOT NULL constraint of the column (checked on PostgreSQL 18).
    case 'AT_SetNotNull':
      if (col) {
        col.notNull = true;
        delete col.notNullNotValid;
      }
      return undefined;
    case 'AT_DropNotNull':
      if (col) {
        col.notNull = false;
        delete col.notNullNotValid;
      }
      return undefined;
    case 'AT_ColumnDefault':
      if (col) col.noDefault = cmd.def === undefined;
      return undefined;
    case 'AT_AddIdentity':
      if (col) delete col.noDefault;
      return undefined;
    case 'AT_AddConstraint': {
      const con = as(cmd.def, 'Constraint');
      // PostgreSQL 18's ADD [CONSTRAINT name] NOT NULL col; NOT VALID leaves a later SET NOT NULL a scan to do.
      if (con?.contype === 'CONSTR_NOTNULL') addNotNull(t, con, origin);
      const name = con ? addConstraint(t, con, [], origin) : undefined;
      // USING INDEX: the index is the constraint's now (renamed to it), no longer one another USING INDEX can take.
      if (typeof con?.indexname === 'string') t.indexColumns?.delete(con.indexname);
      const kind = name ? t.constraints.get(name)?.kind : undefined;
      return kind === 'primary' || kind === 'unique' || kind === 'exclusion' ? name : undefined;
    }
    case 'AT_ValidateConstraint': {
      const c = t.constraints.get(String(cmd.name));
      if (c) c.validated = true;
      for (const column of notValidNotNull(t, String(cmd.name))) {
        column.notNull = true;
        delete column.notNullNotValid;
      }
      return undefined;
    }
    case 'AT_DropConstraint':
      t.constraints.delete(String(cmd.name));
      for (const column of notValidNotNull(t, String(cmd.name))) delete column.notNullNotValid;
      return undefined;
    default:
      return undefined;
  }
}

/** A pending subcommand that ends a NOT VALID NOT NULL of the database (`TableModel.notNullSettled`): VALIDATE or DROP CONSTRAINT, SET or DROP NOT NULL, DROP COLUMN. */
function settleNotNull(t: TableModel, cmd: Node): void {
  if (typeof cmd.name !== 'string') return;
  const byName = cmd.subtype === 'AT_ValidateConstraint' || cmd.subtype === 'AT_DropConstraint';
  if (!byName && cmd.subtype !== 'AT_SetNotNull' && cmd.subtype !== 'AT_DropNotNull' && cmd.subtype !== 'AT_DropColumn') return;
  const settled = notNullSettled(t);
  if (byName) settled.constraints.add(settled.renamed.get(cmd.name) ?? cmd.name);
  else settled.columns.add(cmd.name);
}

export function notNullSettled(t: TableModel): NonNullable<TableModel['notNullSettled']> {
  return (t.notNullSettled ??= { constraints: new Set(), columns: new Set(), renamed: new Map() });
}

/** PostgreSQL 18's ADD [CONSTRAINT name] NOT NULL col: NOT NULL, or (NOT VALID) a constraint a primary key must wait for. */
function addNotNull(t: TableModel, con: Node, origin: CommandOrigin): void {
  for (const k of names(con.keys)) {
    const c = t.columns.get(k);
    if (!c) continue;
    if (!con.skip_validation) c.notNull = true;
    else if (!c.notNull)
      c.notNullNotValid = {
        name: typeof con.conname === 'string' ? con.conname : defaultConstraintName(t.name, con, [k]),
        file: origin.file,
        line: origin.line,
        transactional: origin.transactional,
        statement: origin.statement,
      };
  }
}

/** The columns whose NOT VALID NOT NULL constraint is `name`. */
function notValidNotNull(t: TableModel, name: string): ColumnModel[] {
  return [...t.columns.values()].filter((c) => c.notNullNotValid?.name === name);
}

function dropColumn(t: TableModel, name: string): undefined {
  t.columns.delete(name);
  for (const [k, cols] of [...(t.indexColumns ?? [])]) if (cols.includes(name)) present(t.indexColumns).delete(k);
  for (const [k, c] of [...t.constraints]) if (c.notNullOf?.includes(name) || c.checkColumns?.includes(name)) t.constraints.delete(k);
  return undefined;
}
