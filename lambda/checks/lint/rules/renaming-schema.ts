/**
 * renaming-schema: ALTER SCHEMA … RENAME TO of a schema that exists before
 * this run. Everything in it moves with it: the running application that
 * names `old.table` fails with 42P01 (undefined_table), `old.function()`
 * and `CREATE … old.x` with 3F000 (invalid_schema_name), from the moment the
 * migration commits until its new version has replaced every old process
 * (checked on PostgreSQL 15 and 18). A schema created in the pending set, or
 * given its name there, is unknown to the old code: not reported. Nor when a
 * schema takes the old name again before COMMIT (created, or renamed into
 * it: a swap); what it holds then is the author's to judge.
 *
 * The fix keeps the old names working: the old schema made again with a
 * view of each relation the migrations know in it (a view of one table is
 * updatable), dropped in a later migration.
 */
import { sqlComment } from '../../../engine/sql/sql-quote';
import type { ParsedStatement } from '../../parser/parse';
import { inPlace, later, renderFix } from '../fix';
import { HeldFindings } from '../held';
import type { TableModel } from '../model';
import type { LintRule, RuleContext } from '../rule';
import { ident } from '../sql-text';

export const RENAMING_SCHEMA: LintRule = {
  id: 'renaming-schema',
  severity: 'error',
  title: 'ALTER SCHEMA … RENAME TO of an existing schema',
  why: "the application version still running during the deploy names the schema's tables and functions by the old schema: its statements fail with 42P01 (undefined_table) or 3F000 (invalid_schema_name) from the moment the migration commits",
  fix: 'keep the old names working: the old schema again, with a view of each table under its old name, in the same migration, dropped in a later one; or allow it with a reason when no running code names the schema',
  squawk: [],
  examples: {
    existing: 'CREATE SCHEMA billing;\nCREATE TABLE billing.invoices (id bigint PRIMARY KEY, total numeric);',
    triggers: 'ALTER SCHEMA billing RENAME TO accounts;',
    passes: 'ALTER SCHEMA billing RENAME TO accounts;\nCREATE SCHEMA billing;\nCREATE VIEW billing.invoices AS SELECT * FROM accounts.invoices;',
  },
  statement(ctx, s) {
    if (s.kind === 'CreateSchemaStmt' && typeof s.node.schemaname === 'string') HELD.retaken(ctx, s.node.schemaname);
    if (s.kind !== 'RenameStmt' || s.node.renameType !== 'OBJECT_SCHEMA') return;
    const [from, to] = [String(s.node.subname), String(s.node.newname)];
    HELD.retaken(ctx, to);
    if (ctx.model.isSchemaNew(from)) return;
    check(ctx, s, from, to);
  },
  endFile(ctx) {
    HELD.flush(ctx);
  },
};

/** A rename whose old name another schema takes in the same transaction (a swap) is not reported. */
const HELD = new HeldFindings();

/** How many relations a message names before "and N more". */
const NAMED = 3;

function check(ctx: RuleContext, s: ParsedStatement, from: string, to: string): void {
  const relations = ctx.model.relationsIn(from).filter((t) => ctx.model.isNamedBeforeRun(t));
  const names = relations.map((t) => `${ident(from)}.${ident(t.name)}`);
  const named =
    names.length === 0
      ? `its tables and functions as ${ident(from)}.name`
      : `${names.slice(0, NAMED).join(', ')}${names.length > NAMED ? ` and ${names.length - NAMED} more` : ''}`;
  const message = `RENAME TO ${ident(to)} of existing schema ${ident(from)}: the running application that names ${named}, or finds them through a search_path with ${ident(from)}, fails with 42P01 (3F000 for its functions) until its new version has replaced it`;
  HELD.hold(ctx, from, () => ctx.report(RENAMING_SCHEMA, s, { message, fix: fixFor(s, from, to, relations) }));
}

/** The rename, the old schema again with a view of each known relation; both dropped in a later migration. */
function fixFor(s: ParsedStatement, from: string, to: string, relations: TableModel[]): string {
  const [old, moved] = [ident(from), ident(to)];
  const views = relations.map((t) => `CREATE VIEW ${old}.${ident(t.name)} AS SELECT * FROM ${moved}.${ident(t.name)};`);
  return renderFix([
    inPlace(
      `${s.text};`,
      `CREATE SCHEMA ${old};`,
      ...(views.length
        ? views
        : [
            sqlComment(
              `CREATE VIEW ${old}.<table> AS SELECT * FROM ${moved}.<table>; for each table and view the running code names (lint knows none in ${old})`,
            ),
          ]),
      '-- the running code reads and writes through the views (a view of one table is updatable); grant its role USAGE on the schema and on each view what it had on the table',
      sqlComment(`a function it calls as ${old}.f() needs one of the same name in ${old} that calls ${moved}.f()`),
      sqlComment(`or, when no running code names ${old}: the statement alone, after an allow directive for renaming-schema whose reason says so`),
    ),
    later(sqlComment(`once no running code names ${old}`), ...relations.map((t) => `DROP VIEW ${old}.${ident(t.name)};`), `DROP SCHEMA ${old};`),
  ]);
}
