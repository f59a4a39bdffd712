/**
 * fk-type-mismatch: a foreign key whose column type differs from the
 * referenced column's (as the model knows both, through renames and type
 * changes). Length and precision modifiers are ignored: varchar(20) may
 * reference varchar(40).
 */
import { sqlComment } from '../../../engine/sql/sql-quote';
import { as, list, names, rangeVar, typeNameText, type Node, type ParsedStatement, type RangeVar } from '../../parser/parse';
import type { Severity } from '../../findings/finding';
import { fkTypeVerdict, sameKeyType } from '../../findings/fk-types';
import { overDomain, rewriteContextOf } from '../column';
import { inPlace, later, renderFix, type FixFile } from '../fix';
import { deferInto, deferredColumnConstraints, dropColumnLater, keepsItsName, notValidSteps, type OnlyOption } from '../fix-steps';
import type { TableModel } from '../model';
import type { AlterTarget } from '../model-types';
import { createdTable, defaultConstraintName } from '../model-tables';
import type { LintRule, RuleContext } from '../rule';
import { clauseAt, commandsRemoved, edited, ident, objectName, onlyIn, tableName, typeAsWritten, type Edit } from '../sql-text';
import { present } from '../../../engine/errors/present';

export const FK_TYPE_MISMATCH: LintRule = {
  id: 'fk-type-mismatch',
  severity: 'error',
  title: 'foreign key column type differs from the referenced column',
  why: 'PostgreSQL either refuses the foreign key (no equality operator between the types) or every join and lookup needs a cast that can defeat the referenced index; between integer widths the indexes are used, but a narrower column cannot reference keys past its range',
  fix: "declare the column with the referenced column's type",
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
        if (con?.contype === 'CONSTR_FOREIGN') found.push(...mismatches(ctx, rel, own, [String(present(col).colname)], con));
      }
      const con = as(elt, 'Constraint');
      if (con?.contype === 'CONSTR_FOREIGN') found.push(...mismatches(ctx, rel, own, names(con.fk_attrs), con));
    }
    // Every column this statement declares changes in each finding's fix: a fix per column, each reprinting the statement with only its own change, undid the others.
    const declared = found.filter((m) => declaredIn(s, m.target.fk));
    for (const m of found) report(ctx, s, m, declaredIn(s, m.target.fk) ? [inPlace(retyped(s, declared))] : swapped(m.target));
  },
  alterCommand(ctx, s, t, cmd) {
    if (cmd.subtype !== 'AT_AddConstraint' && cmd.subtype !== 'AT_AddColumn') return;
    const all = statementMismatches(ctx, s, t);
    const found = all.filter((m) => m.cmd === cmd);
    if (!found.length) return;
    // One fix for the statement, every mismatched column of it changed: a fix per column, each with only its own change, undid the others.
    const fix = statementFix(s, t, all);
    for (const m of found) report(ctx, s, m, fix);
  },
};

/**
 * The mismatched foreign keys of an ALTER TABLE, command by command: the
 * REFERENCES of the columns it adds and the FOREIGN KEYs it adds, against
 * the table as it will be with every column the statement adds.
 */
function statementMismatches(ctx: RuleContext, s: ParsedStatement, t: AlterTarget): Mismatch[] {
  const cmds = list(s.node.cmds)
    .map((c) => as(c, 'AlterTableCmd'))
    .filter((c): c is Node => !!c);
  const added = cmds
    .filter((c) => c.subtype === 'AT_AddColumn')
    .map((c) => as(c.def, 'ColumnDef'))
    .filter((c): c is Node => !!c)
    .filter((col) => !t.table.columns.has(String(col.colname)));
  const columns = new Map([...t.table.columns, ...added.map((col) => [String(col.colname), { type: typeNameText(col.typeName), notNull: false }] as const)]);
  const own: TableModel = { ...t.table, columns };
  return cmds.flatMap((cmd) => {
    const con = as(cmd.def, 'Constraint');
    if (cmd.subtype === 'AT_AddConstraint' && con?.contype === 'CONSTR_FOREIGN')
      return mismatches(ctx, t.rel, own, names(con.fk_attrs), con).map((m) => ({ ...m, cmd }));
    const col = cmd.subtype === 'AT_AddColumn' ? as(cmd.def, 'ColumnDef') : undefined;
    return list(col?.constraints)
      .map((c) => as(c, 'Constraint'))
      .filter((c): c is Node => c?.contype === 'CONSTR_FOREIGN')
      .flatMap((c) => mismatches(ctx, t.rel, own, [String(present(col).colname)], c).map((m) => ({ ...m, cmd, inline: col })));
  });
}

/**
 * The ALTER TABLE as written, every other command kept, with each column it
 * declares given its referenced type (on an existing table, a column's
 * REFERENCES moved to a foreign key added NOT VALID after it and validated
 * later, its other constraints kept); and each FOREIGN KEY on a column the
 * table already has taken out of it, for a new column of the right type
 * (`swapInto`).
 */
function statementFix(s: ParsedStatement, t: AlterTarget, all: Mismatch[]): FixFile[] {
  const declared = all.filter((m) => declaredIn(s, m.target.fk));
  const moved = t.existing ? declared.filter((m) => m.inline) : [];
  const swapped = all.filter((m) => !declaredIn(s, m.target.fk));
  const removed = commandsRemoved(
    s,
    swapped.map((m) => m.con.location as number),
  );
  const edits = [...typeEdits(s, declared), ...moved.map((m) => referencesEdit(s, present(m.inline), m.con)), ...(removed ?? [])];
  const files = [inPlace(...(removed ? [edited(s, edits)] : [])), later()];
  deferInto(
    t.rel,
    moved.flatMap((m) => deferredColumnConstraints(s, t.rel, present(m.inline), [m.con])),
    files[0],
    files[1],
    { only: onlyIn(s) },
  );
  for (const m of swapped) swapInto(m.target, files[0], files[1], { only: onlyIn(s) });
  return files[1].lines.length ? files : [files[0]];
}

/** The type edits of the mismatched columns, one per column (a column may have several keys). */
function typeEdits(s: ParsedStatement, found: Mismatch[]): Edit[] {
  return [...new Map(found.map((m) => [m.target.fk, typeEdit(s, m)])).values()];
}

/** The mismatched column's type as written, replaced by the referenced column's. */
function typeEdit(s: ParsedStatement, m: Mismatch): Edit {
  const typeName = present(declaredIn(s, m.target.fk)).typeName as Node;
  const at = typeName.location as number;
  return { at, end: at + Buffer.byteLength(typeAsWritten(s, typeName)), text: m.target.type };
}

/** A column constraint (`con`, of `col`) taken out of the column's definition: up to the next constraint, or, the last, with the space before it. */
function referencesEdit(s: ParsedStatement, col: Node, con: Node): Edit {
  const cons = list(col.constraints)
    .map((c) => as(c, 'Constraint'))
    .filter((c): c is Node => !!c);
  const next = cons[cons.indexOf(con) + 1]?.location as number | undefined;
  if (next !== undefined) return { at: con.location as number, end: next, text: '' };
  const start = col.location as number;
  const end = start + Buffer.byteLength(clauseAt(s, start));
  const b = Buffer.from(s.text);
  let at = (con.location as number) - s.byteOffset;
  while (at > 0 && /\s/.test(String.fromCharCode(b[at - 1]))) at--;
  return { at: at + s.byteOffset, end, text: '' };
}

/** Type without a length/precision modifier: varchar(20) and varchar(40) compare equal. */
function baseType(t: string): string {
  return t.replace(/\(.*?\)/, '');
}

/** The column definition in this statement (CREATE TABLE, ADD COLUMN), when it declares the column. */
function declaredIn(s: ParsedStatement, column: string): Node | undefined {
  const cols =
    s.kind === 'CreateStmt'
      ? list(s.node.tableElts).map((e) => as(e, 'ColumnDef'))
      : list(s.node.cmds).map((c) => as(as(c, 'AlterTableCmd')?.def, 'ColumnDef'));
  return cols.find((c) => c?.colname === column);
}

interface Mismatch {
  target: Target;
  message: string;
  why: string;
  severity?: Severity;
  at?: number;
  /** The foreign key: a column's REFERENCES or a table FOREIGN KEY. */
  con: Node;
  /** The ALTER TABLE command that adds it. */
  cmd?: Node;
  /** The column it is the REFERENCES of (ADD COLUMN … REFERENCES). */
  inline?: Node;
}

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
    const verdict = fkTypeVerdict(
      { name: `${tableName(rel)}.${ident(fk)}`, type: baseA },
      { name: `${tableName(pkRel)}.${ident(pk)}`, type: baseB },
      `PostgreSQL either refuses the foreign key (no equality operator between ${a} and ${b}) or every join and lookup needs a cast, which can defeat the index on ${tableName(pkRel)}.${ident(pk)}; a column that cannot be constrained collects orphans silently`,
    );
    return [
      {
        target: { rel, fk, type: b, pkRel, pk },
        message: `${tableName(rel)}.${ident(fk)} (${a}) references ${tableName(pkRel)}.${ident(pk)} (${b}): the types differ`,
        why: verdict.why,
        severity: verdict.severity,
        at: con.location as number | undefined,
        con,
      },
    ];
  });
}

function report(ctx: RuleContext, s: ParsedStatement, m: Mismatch, fix: FixFile[]): void {
  ctx.report(FK_TYPE_MISMATCH, s, { message: m.message, why: m.why, severity: m.severity, fix: renderFix(fix), at: m.at });
}

/** The statement with every column it declares for `found` given its referenced type. */
function retyped(s: ParsedStatement, found: Mismatch[]): string {
  return edited(s, typeEdits(s, found));
}

/** The fix for a column of a new table the statement does not declare: the column swapped (`swapInto`). */
function swapped(t: Target): FixFile[] {
  const files = [inPlace(), later()];
  swapInto(t, files[0], files[1]);
  return files;
}

interface Target {
  rel: RangeVar;
  fk: string;
  type: string;
  pkRel: RangeVar;
  pk: string;
}

/**
 * For a column the table already has: a new column of the right type, added
 * with its foreign key NOT VALID into `add`, backfilled, the application
 * switched to it; into `validate`, the key validated and the old column
 * dropped. `only`: the key's ADD keeps the statement's ONLY (`notValidSteps`);
 * the new column is added without it, as PostgreSQL refuses ADD COLUMN with
 * ONLY on a table with children.
 */
function swapInto(t: Target, add: FixFile, validate: FixFile, o: OnlyOption = {}): void {
  const table = tableName(t.rel);
  const column = objectName(t.fk, 'new');
  const name = defaultConstraintName(t.rel.name, { contype: 'CONSTR_FOREIGN' }, [column]);
  const [a, v] = notValidSteps(
    t.rel,
    name,
    `FOREIGN KEY (${ident(column)}) REFERENCES ${tableName(t.pkRel)} (${ident(t.pk)})`,
    [`ALTER TABLE ${table} ADD COLUMN ${ident(column)} ${t.type};`],
    o,
  );
  a.lines.splice(1, 0, sqlComment(`backfill ${ident(column)} from ${ident(t.fk)} in batches (${ident(t.fk)}::${t.type}), and switch the application to it`));
  add.lines.push(...a.lines);
  validate.lines.push(...v.lines, ...dropColumnLater(table, t.fk), keepsItsName(ident(column), t.fk));
}
