/**
 * fk-type-mismatch: a foreign key whose column type differs from the
 * referenced column's (as the model knows both, through renames and type
 * changes). Length and precision modifiers are ignored: varchar(20) may
 * reference varchar(40).
 */
import { as, list, names, rangeVar, typeNameText, type Node, type ParsedStatement, type RangeVar } from '../../parse';
import type { Severity } from '../../finding';
import { fkTypeVerdict, sameKeyType } from '../../fk-types';
import { overDomain, rewriteContextOf } from '../column';
import { inPlace, later, renderFix, type FixFile } from '../fix';
import { deferInto, deferredColumnConstraints, dropColumnLater, keepsItsName, notValidSteps } from '../fix-steps';
import type { TableModel } from '../model';
import type { AlterTarget } from '../model-types';
import { createdTable, defaultConstraintName } from '../model-tables';
import type { LintRule, RuleContext } from '../rule';
import { clauseAt, ident, objectName, replaceIn, tableName, typeAsWritten } from '../sql-text';

export const FK_TYPE_MISMATCH: LintRule = {
  id: 'fk-type-mismatch',
  severity: 'error',
  title: 'foreign key column type differs from the referenced column',
  why: 'PostgreSQL either refuses the foreign key (no equality operator between the types) or every join and lookup needs a cast that can defeat the referenced index; between integer widths the indexes are used, but a narrower column cannot reference keys past its range',
  fix: 'declare the column with the referenced column\'s type',
  squawk: [],
  examples: {
    existing: 'CREATE TABLE leads (id uuid PRIMARY KEY DEFAULT gen_random_uuid());',
    triggers: 'CREATE TABLE notes (id bigint PRIMARY KEY, lead_id text REFERENCES leads (id));',
    passes: 'CREATE TABLE notes (id bigint PRIMARY KEY, lead_id uuid REFERENCES leads (id));',
  },
  statement(ctx, s) {
    if (s.kind !== 'CreateStmt') return;
    const rel = rangeVar(s.node.relation);
    if (!rel || (s.node.if_not_exists && ctx.model.table(rel))) return;
    const own = createdTable(s.node, { schema: '', name: rel.name, isNew: true }, (r) => ctx.model.table(r));
    const found: Mismatch[] = [];
    for (const elt of list(s.node.tableElts)) {
      const col = as(elt, 'ColumnDef');
      for (const c of list(col?.constraints)) {
        const con = as(c, 'Constraint');
        if (con?.contype === 'CONSTR_FOREIGN') found.push(...mismatches(ctx, rel, own, [String(col!.colname)], con));
      }
      const con = as(elt, 'Constraint');
      if (con?.contype === 'CONSTR_FOREIGN') found.push(...mismatches(ctx, rel, own, names(con.fk_attrs), con));
    }
    // Every column this statement declares changes in each finding's fix: a fix per column, each reprinting the statement with only its own change, undid the others.
    const declared = found.filter((m) => declaredIn(s, m.target.fk));
    for (const m of found) report(ctx, s, m, declaredIn(s, m.target.fk) ? [inPlace(retyped(s, declared))] : fixFor(s, m.target, undefined));
  },
  alterCommand(ctx, s, t, cmd) {
    if (cmd.subtype === 'AT_AddConstraint') {
      const con = as(cmd.def, 'Constraint');
      if (con?.contype === 'CONSTR_FOREIGN') check(ctx, s, mismatches(ctx, t.rel, t.table, names(con.fk_attrs), con));
    }
    const col = cmd.subtype === 'AT_AddColumn' ? as(cmd.def, 'ColumnDef') : undefined;
    if (!col) return;
    const found = addedColumnMismatches(ctx, t, col);
    if (!found.length) return;
    // Several new columns of this ALTER TABLE mismatched: each finding's fix changes them all (a fix per column, each with only its own change, undid the others).
    const all = list(s.node.cmds).map((c) => as(c, 'AlterTableCmd')).filter((c) => c?.subtype === 'AT_AddColumn')
      .flatMap((c) => addedColumnMismatches(ctx, t, as(c!.def, 'ColumnDef')!));
    const fix = t.existing ? addedThenValidated(s, t.rel, all) : [inPlace(retyped(s, all))];
    for (const m of found) report(ctx, s, m, fix);
  },
};

/** The mismatched foreign keys of a column ALTER TABLE adds (`col`), as the table will be with it. */
function addedColumnMismatches(ctx: RuleContext, t: AlterTarget, col: Node): Mismatch[] {
  const own: TableModel = { ...t.table, columns: new Map([...t.table.columns, [String(col.colname), { type: typeNameText(col.typeName), notNull: false }]]) };
  return list(col.constraints).map((c) => as(c, 'Constraint'))
    .filter((con): con is Node => con?.contype === 'CONSTR_FOREIGN')
    .flatMap((con) => mismatches(ctx, t.rel, own, [String(col.colname)], con));
}

/**
 * For new columns of an existing table: the statement as written, every other
 * command and each column's other constraints kept, with each mismatched
 * column given its referenced type and its REFERENCES moved to a foreign key
 * added NOT VALID after it, all validated later.
 */
function addedThenValidated(s: ParsedStatement, rel: RangeVar, all: Mismatch[]): FixFile[] {
  const moved = all.map((m) => {
    const col = declaredIn(s, m.target.fk)!;
    const con = list(col.constraints).map((c) => as(c, 'Constraint')).find((c) => c?.location === m.at)!;
    return { m, col, con };
  });
  const statement = edited(s, moved.flatMap(({ m, col, con }) => [typeEdit(s, m), referencesEdit(s, col, con)]));
  const files = [inPlace(statement), later()];
  deferInto(rel, moved.flatMap(({ col, con }) => deferredColumnConstraints(s, rel, col, [con])), files[0]!, files[1]!);
  return files;
}

interface Edit { at: number; end: number; text: string }

/** The statement with `edits` (byte offsets of the file) made, from the end so that offsets hold. */
function edited(s: ParsedStatement, edits: Edit[]): string {
  const sorted = [...edits].sort((x, y) => y.at - x.at);
  const text = sorted.reduce((t, e) => Buffer.concat([t.subarray(0, e.at - s.byteOffset), Buffer.from(e.text), t.subarray(e.end - s.byteOffset)]), Buffer.from(s.text));
  return `${text.toString('utf8')};`;
}

/** The mismatched column's type as written, replaced by the referenced column's. */
function typeEdit(s: ParsedStatement, m: Mismatch): Edit {
  const typeName = declaredIn(s, m.target.fk)!.typeName as Node;
  const at = typeName.location as number;
  return { at, end: at + Buffer.byteLength(typeAsWritten(s, typeName)), text: m.target.type };
}

/** A column constraint (`con`, of `col`) taken out of the column's definition: up to the next constraint, or, the last, with the space before it. */
function referencesEdit(s: ParsedStatement, col: Node, con: Node): Edit {
  const cons = list(col.constraints).map((c) => as(c, 'Constraint')).filter((c): c is Node => !!c);
  const next = cons[cons.indexOf(con) + 1]?.location as number | undefined;
  if (next !== undefined) return { at: con.location as number, end: next, text: '' };
  const start = col.location as number;
  const end = start + Buffer.byteLength(clauseAt(s, start));
  const b = Buffer.from(s.text);
  let at = (con.location as number) - s.byteOffset;
  while (at > 0 && /\s/.test(String.fromCharCode(b[at - 1]!))) at--;
  return { at: at + s.byteOffset, end, text: '' };
}

/** Type without a length/precision modifier: varchar(20) and varchar(40) compare equal. */
function baseType(t: string): string {
  return t.replace(/\(.*?\)/, '');
}

/** The column definition in this statement (CREATE TABLE, ADD COLUMN), when it declares the column. */
function declaredIn(s: ParsedStatement, column: string): Node | undefined {
  const cols = s.kind === 'CreateStmt'
    ? list(s.node.tableElts).map((e) => as(e, 'ColumnDef'))
    : list(s.node.cmds).map((c) => as(as(c, 'AlterTableCmd')?.def, 'ColumnDef'));
  return cols.find((c) => c?.colname === column);
}

interface Mismatch { target: Target; message: string; why: string; severity?: Severity; at?: number }

/** The key's column pairs whose types differ (text and varchar count as one, see fk-types.ts). */
function mismatches(ctx: RuleContext, rel: RangeVar, own: TableModel, fkCols: string[], con: Node): Mismatch[] {
  const pkRel = rangeVar(con.pktable);
  if (!pkRel) return [];
  const self = pkRel.name === rel.name && (pkRel.schema ?? rel.schema) === rel.schema;
  const referenced = self ? own : ctx.model.table(pkRel);
  if (!referenced) return [];
  const pkCols = names(con.pk_attrs).length ? names(con.pk_attrs) : referenced.primaryKey;
  return fkCols.flatMap((fk, k) => {
    const pk = pkCols[k];
    const a = own.columns.get(fk)?.type;
    const b = pk ? referenced.columns.get(pk)?.type : undefined;
    if (!pk || !a || !b) return [];
    // A domain compares as its base type (through domains over domains): a column of a domain over bigint references a bigint key as bigint does.
    const [baseA, baseB] = [a, b].map((t) => baseType(overDomain(rewriteContextOf(ctx), t))) as [string, string];
    if (sameKeyType(baseA, baseB)) return [];
    const verdict = fkTypeVerdict({ name: `${tableName(rel)}.${ident(fk)}`, type: baseA }, { name: `${tableName(pkRel)}.${ident(pk)}`, type: baseB },
      `PostgreSQL either refuses the foreign key (no equality operator between ${a} and ${b}) or every join and lookup needs a cast, which can defeat the index on ${tableName(pkRel)}.${ident(pk)}; a column that cannot be constrained collects orphans silently`);
    return [{
      target: { rel, fk, type: b, pkRel, pk },
      message: `${tableName(rel)}.${ident(fk)} (${a}) references ${tableName(pkRel)}.${ident(pk)} (${b}): the types differ`,
      why: verdict.why,
      severity: verdict.severity,
      at: con.location as number | undefined,
    }];
  });
}

function check(ctx: RuleContext, s: ParsedStatement, found: Mismatch[]): void {
  for (const m of found) report(ctx, s, m, fixFor(s, m.target, declaredIn(s, m.target.fk)));
}

function report(ctx: RuleContext, s: ParsedStatement, m: Mismatch, fix: FixFile[]): void {
  ctx.report(FK_TYPE_MISMATCH, s, { message: m.message, why: m.why, severity: m.severity, fix: renderFix(fix), at: m.at });
}

/** The statement with every column it declares for `found` given its referenced type. */
function retyped(s: ParsedStatement, found: Mismatch[]): string {
  return edited(s, found.map((m) => typeEdit(s, m)));
}

interface Target { rel: RangeVar; fk: string; type: string; pkRel: RangeVar; pk: string }

/**
 * A column declared in the statement (a table FOREIGN KEY on it): the same
 * statement with the referenced type; an existing column: a new column of
 * the right type, backfilled, then swapped.
 */
function fixFor(s: ParsedStatement, t: Target, col: Node | undefined): FixFile[] {
  const table = tableName(t.rel);
  const reference = `REFERENCES ${tableName(t.pkRel)} (${ident(t.pk)})`;
  if (col) {
    const at = (col.typeName as Node).location as number;
    return [inPlace(`${replaceIn(s, at, at + Buffer.byteLength(typeAsWritten(s, col.typeName)), t.type)};`)];
  }
  const column = objectName(t.fk, 'new');
  const name = defaultConstraintName(t.rel.name, { contype: 'CONSTR_FOREIGN' }, [column]);
  const steps = notValidSteps(t.rel, name, `FOREIGN KEY (${ident(column)}) ${reference}`, [`ALTER TABLE ${table} ADD COLUMN ${ident(column)} ${t.type};`]);
  steps[0]!.lines.splice(1, 0, `-- backfill ${ident(column)} from ${ident(t.fk)} in batches (${ident(t.fk)}::${t.type}), and switch the application to it`);
  steps[1]!.lines.push(...dropColumnLater(table, t.fk), keepsItsName(ident(column), t.fk));
  return steps;
}
