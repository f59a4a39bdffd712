/**
 * constraint-not-valid: a FOREIGN KEY or CHECK added to an existing table
 * and validated at once (ADD CONSTRAINT without NOT VALID, a new column's
 * CHECK, or REFERENCES on a new column with a default), scanning the table
 * while writes wait; and REFERENCES on a new identity column (or one of a
 * domain with a DEFAULT), which PostgreSQL marks valid without checking the
 * rows the column fills.
 */
import { as, list, typeBase, type Node, type ParsedStatement } from '../../parser/parse';
import { columnParts, rewriteContextOf } from '../column';
import { columnWithout, deferInto, deferredColumnConstraints, identityLater, validatedColumnConstraints, type DeferredConstraint } from '../fix-steps';
import { inPlace, later, renderFix } from '../fix';
import type { AlterTarget } from '../model';
import { defaultConstraintName } from '../model-tables';
import type { LintRule, RuleContext } from '../rule';
import { clauseAt, commandsRemoved, edited, ident, onlyIn, tableName, type Edit } from '../sql-text';
import { andList, oneOrMany } from '../../../engine/errors/words';

export const CONSTRAINT_NOT_VALID: LintRule = {
  id: 'constraint-not-valid',
  severity: 'error',
  title: 'foreign key or CHECK added to an existing table without NOT VALID',
  why: 'validating scans the whole table while a lock that stops writes (ACCESS EXCLUSIVE for a CHECK, SHARE ROW EXCLUSIVE on both tables for a foreign key) is held',
  fix: 'ADD CONSTRAINT … NOT VALID, then VALIDATE CONSTRAINT in a later migration',
  squawk: ['constraint-missing-not-valid', 'adding-foreign-key-constraint'],
  examples: {
    existing: 'CREATE TABLE leads (id uuid PRIMARY KEY DEFAULT gen_random_uuid());\nCREATE TABLE purchases (id bigint PRIMARY KEY, lead_id uuid);',
    triggers: 'ALTER TABLE purchases ADD CONSTRAINT purchases_lead_fk FOREIGN KEY (lead_id) REFERENCES leads (id);',
    passes: 'ALTER TABLE purchases ADD CONSTRAINT purchases_lead_fk FOREIGN KEY (lead_id) REFERENCES leads (id) NOT VALID;',
  },
  alterCommand(ctx, s, t, cmd) {
    if (!t.existing) return;
    if (cmd.subtype === 'AT_AddConstraint') addConstraint(ctx, s, t, as(cmd.def, 'Constraint'));
    if (cmd.subtype === 'AT_AddColumn') addColumn(ctx, s, t, as(cmd.def, 'ColumnDef'), cmd.missing_ok === true);
  },
};

const validated = (con: Node | undefined): con is Node => !!con && (con.contype === 'CONSTR_FOREIGN' || con.contype === 'CONSTR_CHECK') && !con.skip_validation;

function why(t: AlterTarget, con: Node): string {
  return con.contype === 'CONSTR_FOREIGN'
    ? `validating scans the whole table while holding a SHARE ROW EXCLUSIVE lock on ${tableName(t.rel)} and on the referenced table: writes to both stop until it ends`
    : 'validating scans the whole table while holding an ACCESS EXCLUSIVE lock: reads and writes stop until it ends';
}

function addConstraint(ctx: RuleContext, s: ParsedStatement, t: AlterTarget, con: Node | undefined): void {
  if (!validated(con)) return;
  const named = typeof con.conname === 'string';
  const what = `${con.contype === 'CONSTR_FOREIGN' ? 'foreign key' : 'CHECK'}${named ? ` ${ident(String(con.conname))}` : ''}`;
  ctx.report(CONSTRAINT_NOT_VALID, s, {
    message: `${what} is added to existing table ${tableName(t.rel)} and validated at once`,
    why: why(t, con),
    fix: statementFix(ctx, s, t),
    at: con.location as number | undefined,
  });
}

/** An ADD CONSTRAINT validated at once, taken out of the statement and added NOT VALID after it. */
function constraintPart(s: ParsedStatement, t: AlterTarget, con: Node): Part {
  const named = typeof con.conname === 'string';
  const name = named ? String(con.conname) : defaultConstraintName(t.rel.name, con, []);
  return { removes: con.location as number, constraints: [{ name, clause: clauseAt(s, con.location as number, { skip: named ? 2 : 0 }) }] };
}

/** What gives a new column a value in every row: why its foreign key is checked. */
function filledBy(col: Node): string {
  const p = columnParts(col);
  if (p.serial) return `its type ${typeBase(col.typeName)} has a nextval() default`;
  if (p.generated) return 'it is generated';
  return 'it has a DEFAULT';
}

/**
 * A new column's CHECK, or its REFERENCES when the column has a default
 * (`validatedColumnConstraints`): added as a table constraint NOT VALID
 * after the column. A foreign key on a column added without a default is
 * not checked, so it is left alone — unless an identity or its domain's
 * DEFAULT fills the column (`uncheckedForeignKeys`).
 */
function addColumn(ctx: RuleContext, s: ParsedStatement, t: AlterTarget, col: Node | undefined, ifNotExists: boolean): void {
  const found = columnConstraints(ctx, t, col, ifNotExists);
  if (!col || !found) return;
  const { cons, unchecked } = found;
  ctx.report(CONSTRAINT_NOT_VALID, s, {
    ...(unchecked.length ? uncheckedReport(t, col, cons.length > unchecked.length) : validatedReport(t, col, cons)),
    fix: statementFix(ctx, s, t),
    at: col.location as number | undefined,
  });
}

/** A new column's constraints that are validated at once (`cons`), those of them marked valid unchecked, and whether its identity must wait. */
function columnConstraints(
  ctx: RuleContext,
  t: AlterTarget,
  col: Node | undefined,
  ifNotExists: boolean,
): { cons: Node[]; unchecked: Node[]; identity: boolean } | undefined {
  if (!col || (ifNotExists && t.table.columns.has(String(col.colname)))) return undefined;
  const unchecked = uncheckedForeignKeys(ctx, col);
  const cons = [...validatedColumnConstraints(col), ...unchecked];
  if (cons.length === 0) return undefined;
  // An identity is added once the rows have values (as volatile-default's fix does): added at once, it rewrites the table.
  return { cons, unchecked, identity: unchecked.length > 0 && columnParts(col).identity };
}

/** A new column's definition without those constraints (and the identity that must wait), each added NOT VALID after the statement. */
function columnPart(s: ParsedStatement, t: AlterTarget, col: Node, found: { cons: Node[]; identity: boolean }): Part {
  const { cons, identity } = found;
  const at = col.location as number;
  const text = columnWithout(s, col, (c) => cons.includes(c) || (identity && c.contype === 'CONSTR_IDENTITY'));
  return {
    edit: { at, end: at + Buffer.byteLength(clauseAt(s, at)), text },
    constraints: deferredColumnConstraints(s, t.rel, col, cons),
    after: identity ? identityLater(tableName(t.rel), ident(String(col.colname))) : undefined,
  };
}

/** What one command of the statement changes in the fix: its text, or the command taken out (`removes`, a location in it), and what is added after the statement. */
interface Part {
  edit?: Edit;
  removes?: number;
  constraints: DeferredConstraint[];
  after?: string;
}

const fixes = new WeakMap<ParsedStatement, string>();

/**
 * One fix for the statement, whatever command is reported: the ALTER TABLE
 * as written, every other command kept, without each constraint validated at
 * once, each then added NOT VALID and validated in a later migration (a fix
 * per command, each with only its own change, left the others validated at
 * once). Made once, at the first command reported: by the later ones, the
 * model has added the columns before them, and an `ADD COLUMN IF NOT
 * EXISTS` among those would read as a column the table had.
 */
function statementFix(ctx: RuleContext, s: ParsedStatement, t: AlterTarget): string {
  const known = fixes.get(s);
  if (known !== undefined) return known;
  const parts = list(s.node.cmds)
    .map((c) => as(c, 'AlterTableCmd'))
    .flatMap((cmd): Part[] => {
      const con = cmd?.subtype === 'AT_AddConstraint' ? as(cmd.def, 'Constraint') : undefined;
      if (validated(con)) return [constraintPart(s, t, con)];
      const col = cmd?.subtype === 'AT_AddColumn' ? as(cmd.def, 'ColumnDef') : undefined;
      const found = columnConstraints(ctx, t, col, cmd?.missing_ok === true);
      return col && found ? [columnPart(s, t, col, found)] : [];
    });
  const removed = commandsRemoved(
    s,
    parts.flatMap((p) => (p.removes === undefined ? [] : [p.removes])),
  );
  const edits = [...parts.flatMap((p) => (p.edit ? [p.edit] : [])), ...(removed ?? [])];
  const files = [inPlace(...(removed ? [edited(s, edits)] : [])), later()];
  const names = new Set<string>();
  for (const p of parts) {
    deferInto(
      t.rel,
      p.constraints.map((c) => ({ ...c, name: unusedName(c.name, names) })),
      files[0],
      files[1],
      { only: onlyIn(s) },
    );
    if (p.after) files[0].lines.push(p.after);
  }
  const fix = renderFix(files);
  fixes.set(s, fix);
  return fix;
}

/**
 * `name`, or — taken by an earlier constraint of the statement — the name
 * PostgreSQL chooses next (`t_a_check`, `t_a_check1`, `t_a_check2`: two
 * unnamed CHECKs on one column), added to `used`.
 */
function unusedName(name: string, used: Set<string>): string {
  let chosen = name;
  for (let n = 1; used.has(chosen); n++) chosen = `${name}${n}`;
  used.add(chosen);
  return chosen;
}

function validatedReport(t: AlterTarget, col: Node, cons: Node[]): { message: string; why: string } {
  const kinds = andList(cons.map((c) => (c.contype === 'CONSTR_FOREIGN' ? 'foreign key' : 'CHECK')));
  const fk = cons.some((c) => c.contype === 'CONSTR_FOREIGN')
    ? ` (${filledBy(col)}: PostgreSQL checks a new column's foreign key against every row unless the column is added without a default)`
    : '';
  return {
    message: `the ${kinds} on new column ${ident(String(col.colname))} of existing table ${tableName(t.rel)} ${oneOrMany(cons.length, 'is', 'are')} validated at once${fk}`,
    why: why(t, cons[0]),
  };
}

/**
 * A new column's REFERENCES that PostgreSQL marks valid without checking a
 * row, although every row gets a value: the column has no default
 * expression of its own (so PostgreSQL takes every row to be NULL, as
 * `validatedColumnConstraints` says) but is an identity, or of a domain with
 * a DEFAULT. Checked on PostgreSQL 15 and 18: pg_constraint.convalidated is
 * true and every row references nothing; a later VALIDATE CONSTRAINT passes
 * (it skips a valid constraint). With `ADD COLUMN …, ADD FOREIGN KEY` or a
 * separate statement, the rows are checked (the constraint is
 * constraint-not-valid's usual case). The domain is one the migrations
 * create, or (lint with a database) one the database has.
 */
function uncheckedForeignKeys(ctx: RuleContext, col: Node): Node[] {
  const p = columnParts(col);
  if (p.hasDefault || p.serial || p.generated !== undefined) return [];
  // The domain from the migrations, or the database's when lint has one.
  if (!p.identity && !rewriteContextOf(ctx).domain(col.typeName)?.hasDefault) return [];
  return list(col.constraints)
    .map((c) => as(c, 'Constraint'))
    .filter((c): c is Node => c?.contype === 'CONSTR_FOREIGN');
}

function uncheckedReport(t: AlterTarget, col: Node, withCheck: boolean): { message: string; why: string } {
  const filler = columnParts(col).identity ? 'its identity' : `the DEFAULT of its domain ${typeBase(col.typeName)}`;
  return {
    message: `the foreign key on new column ${ident(String(col.colname))} of existing table ${tableName(t.rel)} is marked valid without checking any row: ${filler} fills every row, and PostgreSQL checks a new column's foreign key only when the column has a default expression of its own${withCheck ? '; its CHECK is validated at once' : ''}`,
    why: 'the constraint is violated from the start, silently: every existing row gets a value that may reference nothing, and VALIDATE CONSTRAINT will never look (the constraint is already valid)',
  };
}
