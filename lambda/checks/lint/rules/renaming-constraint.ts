/**
 * renaming-constraint: ALTER TABLE … RENAME CONSTRAINT of a constraint of a
 * table that exists before this run, or ALTER INDEX … RENAME TO of the index
 * behind a PRIMARY KEY, UNIQUE or EXCLUDE constraint (PostgreSQL renames the
 * constraint with it). The migration commits while the application version
 * that ran before the deploy still serves requests: its
 * `INSERT … ON CONFLICT ON CONSTRAINT old` fails with 42704, and code that
 * tells errors apart by constraint name (the `constraint` field of a 23505,
 * 23503 or 23514) no longer recognises them. Not on a constraint the pending
 * set added, nor on a table created or renamed there, nor when another
 * constraint takes the old name before COMMIT (a swap). A warning: most code
 * names no constraint, which lint cannot see.
 */
import { sqlComment } from '../../../engine/sql/sql-quote';
import { as, rangeVar, type ParsedStatement, type RangeVar } from '../../parser/parse';
import { inPlace, later, renderFix } from '../fix';
import { HeldFindings } from '../held';
import type { TableModel } from '../model';
import type { LintRule, RuleContext } from '../rule';
import { ident, tableName } from '../sql-text';

export const RENAMING_CONSTRAINT: LintRule = {
  id: 'renaming-constraint',
  severity: 'warning',
  title: 'RENAME CONSTRAINT on an existing table (or RENAME of the index behind one)',
  why: 'the application version still running during the deploy names the constraint as it was: its INSERT … ON CONFLICT ON CONSTRAINT fails with 42704 (undefined_object), and error handling that matches the constraint name of a 23505, 23503 or 23514 stops matching, from the moment the migration commits',
  fix: 'release code that names no constraint first (ON CONFLICT (columns) instead of ON CONFLICT ON CONSTRAINT, errors told apart by their columns), then rename in a later migration after an allow directive that says so',
  squawk: [],
  examples: {
    existing: 'CREATE TABLE leads (id bigint PRIMARY KEY, email text CONSTRAINT leads_email_key UNIQUE);',
    triggers: 'ALTER TABLE leads RENAME CONSTRAINT leads_email_key TO leads_email_unique;',
    passes:
      '-- schemaguard:allow renaming-constraint the application upserts with ON CONFLICT (email) since release 42\nALTER TABLE leads RENAME CONSTRAINT leads_email_key TO leads_email_unique;',
  },
  statement(ctx, s) {
    if (s.kind !== 'RenameStmt') return;
    const n = s.node;
    const rel = rangeVar(n.relation);
    if (!rel || typeof n.newname !== 'string') return;
    if (n.renameType === 'OBJECT_TABCONSTRAINT' && typeof n.subname === 'string') {
      check(ctx, s, rel, ctx.model.table(rel), n.subname, n.newname);
    } else if (n.renameType === 'OBJECT_INDEX') {
      const t = ctx.model.indexTable(rel);
      const kind = t?.constraints.get(rel.name)?.kind;
      if (!t || (kind !== 'primary' && kind !== 'unique' && kind !== 'exclusion')) return;
      // The table as the statement would name it: unqualified when the search path finds it so.
      const table = ctx.model.table({ name: t.name }) === t ? { name: t.name } : { schema: t.schema, name: t.name };
      check(ctx, s, table, t, rel.name, n.newname);
    }
  },
  alterCommand(ctx, _s, t, cmd) {
    const added = cmd.subtype === 'AT_AddConstraint' ? as(cmd.def, 'Constraint')?.conname : undefined;
    if (typeof added === 'string') HELD.retaken(ctx, `${ctx.model.keyOf(t.rel)}|${added}`);
  },
  endFile(ctx) {
    HELD.flush(ctx);
  },
};

/** Renames of a constraint whose name another constraint takes in the same transaction (a swap) are not reported. */
const HELD = new HeldFindings();

function check(ctx: RuleContext, s: ParsedStatement, rel: RangeVar, t: TableModel | undefined, from: string, to: string): void {
  const key = ctx.model.keyOf(rel);
  HELD.retaken(ctx, `${key}|${to}`);
  const c = t?.constraints.get(from);
  if (!ctx.model.isNamedBeforeRun(rel) || c?.addedInPending || c?.renamedInPending) return;
  const kind = c?.kind;
  const upsert = kind === undefined || kind === 'primary' || kind === 'unique' || kind === 'exclusion';
  const table = tableName(rel);
  const message =
    `${s.node.renameType === 'OBJECT_INDEX' ? `RENAME of index ${ident(from)} (and so of its constraint)` : `RENAME CONSTRAINT ${ident(from)}`} TO ${ident(to)} on existing table ${table}: ` +
    `${upsert ? `the running application's ON CONFLICT ON CONSTRAINT ${ident(from)} fails with 42704, and ` : ''}its error handling that matches the name ${ident(from)} stops matching until its new version has replaced it`;
  const fix = renderFix([
    inPlace(
      sqlComment(
        `nothing in its place: first release code that names no constraint ${ident(from)}${upsert ? ` (ON CONFLICT (<its columns>) instead of ON CONFLICT ON CONSTRAINT ${ident(from)})` : ''}, telling errors apart by their columns`,
      ),
    ),
    later(
      sqlComment(`once no running code names ${ident(from)}`),
      sqlComment(`schemaguard:allow renaming-constraint no running code names ${ident(from)} any more`),
      `${s.text};`,
    ),
  ]);
  HELD.hold(ctx, `${key}|${from}`, () => ctx.report(RENAMING_CONSTRAINT, s, { message, fix }));
}
