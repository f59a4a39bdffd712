/**
 * set-not-null-without-check: SET NOT NULL on an existing table scans every
 * row under ACCESS EXCLUSIVE, unless a validated CHECK already proves it
 * (PostgreSQL 12+: `col IS NOT NULL` in a conjunct of an AND or in every arm
 * of an OR, `notNullColumns`) or the column is NOT NULL already; so
 * does PostgreSQL 18's ADD [CONSTRAINT name] NOT NULL col, skipped the same
 * way (its NOT VALID form does not scan; VALIDATE does, under SHARE UPDATE
 * EXCLUSIVE). Checked on PostgreSQL 18 ("verifying table" against
 * "existing constraints … are sufficient to prove"). With a database, its
 * validated CHECKs count too (`LintCatalog.notNullChecks`).
 */
import { as, list, names, type Node, type ParsedStatement } from '../../parser/parse';
import { inPlace, later, renderFix } from '../fix';
import { notNullSteps } from '../fix-steps';
import type { AlterTarget } from '../model';
import { constraintNames, isPartitioned, notNullProvenInDatabase } from '../catalog';
import { notNullProven } from '../model-tables';
import type { LintRule, RuleContext } from '../rule';
import { clauseAt, commandStarts, commandsRemoved, edited, ident, onlyIn, tableName } from '../sql-text';

export const SET_NOT_NULL_WITHOUT_CHECK: LintRule = {
  id: 'set-not-null-without-check',
  severity: 'error',
  title: 'SET NOT NULL (or ADD CONSTRAINT … NOT NULL) on an existing table without a validated CHECK (col IS NOT NULL) first',
  why: "SET NOT NULL (and PostgreSQL 18's ADD CONSTRAINT … NOT NULL) scans the whole table while holding an ACCESS EXCLUSIVE lock; PostgreSQL 12+ skips the scan only when a validated CHECK constraint already proves the column has no NULL",
  fix: 'ADD CONSTRAINT … CHECK (col IS NOT NULL) NOT VALID; in a later migration VALIDATE it, SET NOT NULL (no scan), DROP the CHECK',
  squawk: ['adding-not-nullable-field'],
  examples: {
    existing: 'CREATE TABLE leads (id bigint PRIMARY KEY, name text);',
    triggers: 'ALTER TABLE leads ALTER COLUMN name SET NOT NULL;',
    passes: 'ALTER TABLE leads ADD CONSTRAINT leads_name_not_null CHECK (name IS NOT NULL) NOT VALID;',
  },
  alterCommand(ctx, s, t, cmd) {
    if (!t.existing) return;
    const made = madeNotNull(s, cmd);
    if (!made || proven(ctx, t, made.column)) return;
    const table = tableName(t.rel);
    ctx.report(SET_NOT_NULL_WITHOUT_CHECK, s, {
      message: `${made.added ? `ADD ${made.added.clause}` : 'SET NOT NULL'} on ${table}.${ident(made.column)} without a validated CHECK (${ident(made.column)} IS NOT NULL) first`,
      fix: statementFix(ctx, s, t),
    });
  },
};

/** A command that makes a column NOT NULL with a scan: SET NOT NULL, or PostgreSQL 18's ADD [CONSTRAINT name] NOT NULL col (`added`; its NOT VALID form does not scan). */
interface MadeNotNull {
  column: string;
  added?: { clause: string; name?: string };
}

function madeNotNull(s: ParsedStatement, cmd: Node | undefined): MadeNotNull | undefined {
  if (cmd?.subtype === 'AT_SetNotNull' && typeof cmd.name === 'string') return { column: cmd.name };
  const con = cmd?.subtype === 'AT_AddConstraint' ? as(cmd.def, 'Constraint') : undefined;
  if (con?.contype !== 'CONSTR_NOTNULL' || con.skip_validation) return undefined;
  const column = names(con.keys)[0];
  return column
    ? { column, added: { clause: clauseAt(s, con.location as number), name: typeof con.conname === 'string' ? con.conname : undefined } }
    : undefined;
}

/** Nothing needs a scan: a validated CHECK (in the migrations, or the database's) proves the column has no NULL, or it is NOT NULL already. */
function proven(ctx: RuleContext, t: AlterTarget, column: string): boolean {
  return notNullProven(t.table, column) || notNullProvenInDatabase(ctx.catalog, t.table, column);
}

const fixes = new WeakMap<ParsedStatement, string>();

/**
 * One fix for the statement, whatever command is reported: the ALTER TABLE
 * as written, every other command kept, each NOT NULL it makes with a scan
 * taken out and made in steps (a fix of the reported command alone dropped
 * the rest of the statement). Made once, at the first command reported, as
 * constraint-not-valid's.
 */
function statementFix(ctx: RuleContext, s: ParsedStatement, t: AlterTarget): string {
  const known = fixes.get(s);
  if (known !== undefined) return known;
  const starts = commandStarts(s);
  const made = list(s.node.cmds).flatMap((c, k) => {
    const m = madeNotNull(s, as(c, 'AlterTableCmd'));
    return m && !proven(ctx, t, m.column) ? [{ ...m, at: starts[k] }] : [];
  });
  const removed = commandsRemoved(
    s,
    made.map((m) => m.at),
  );
  const table = tableName(t.rel);
  // The statement's ONLY stays on every step: the CHECK is then NO INHERIT, except on a partitioned table (notNullSteps).
  const only = onlyIn(s);
  const partitioned = isPartitioned(ctx.catalog, t.table);
  const steps = made.map((m) =>
    notNullSteps(t.rel, m.column, undefined, {
      only,
      partitioned,
      taken: constraintNames(ctx.catalog, t.table),
      makeNotNull: m.added && {
        sql: `ALTER TABLE ${only ? 'ONLY ' : ''}${table} ADD ${m.added.clause};  -- no scan: the validated CHECK proves it`,
        name: m.added.name,
      },
    }),
  );
  const fix = renderFix([inPlace(...(removed ? [edited(s, removed)] : []), ...steps.flatMap((f) => f[0].lines)), later(...steps.flatMap((f) => f[1].lines))]);
  fixes.set(s, fix);
  return fix;
}
