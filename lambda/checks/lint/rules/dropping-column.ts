/**
 * dropping-column: ALTER TABLE … DROP COLUMN of a column of a table that
 * exists before this run (not one created or renamed in the pending set,
 * nor a column the pending set added). The migration commits while the
 * application version that ran before the deploy still serves requests:
 * each of its statements that names the column fails with 42703
 * (undefined_column), and each statement it prepared that reads the table
 * with `SELECT *` fails with 0A000 ("cached plan must not change result
 * type") every time it runs again. A warning, not an error: the DROP is
 * the last step of every expand and contract, safe once no running code
 * names the column, which lint cannot see; the allow directive says so.
 * A column dropped and its name taken again in the same transaction is
 * reported too: the running code then gets another column under that name.
 */
import { sqlComment } from '../../../engine/sql/sql-quote';
import type { LintRule } from '../rule';
import { inPlace, later, renderFix } from '../fix';
import { dropColumnLater } from '../fix-steps';
import { ident, tableName } from '../sql-text';

export const DROPPING_COLUMN: LintRule = {
  id: 'dropping-column',
  severity: 'warning',
  title: 'DROP COLUMN on an existing table',
  why: "the application version still running during the deploy fails from the moment the migration commits: 42703 (undefined_column) on each statement that names the column, 0A000 (cached plan must not change result type) on each statement it prepared with SELECT * on the table; and the column's data is gone",
  fix: 'release code that no longer names the column first (an ORM that caches columns told to ignore it), then drop it in a later migration after an allow directive that says no running code names it',
  squawk: ['ban-drop-column'],
  examples: {
    existing: 'CREATE TABLE leads (id bigint PRIMARY KEY, name text, legacy_code text);',
    triggers: 'ALTER TABLE leads DROP COLUMN legacy_code;',
    passes: '-- schemaguard:allow dropping-column no running code names leads.legacy_code since release 42\nALTER TABLE leads DROP COLUMN legacy_code;',
  },
  alterCommand(ctx, s, t, cmd) {
    if (cmd.subtype !== 'AT_DropColumn' || typeof cmd.name !== 'string') return;
    if (!ctx.model.isNamedBeforeRun(t.rel) || t.table.columns.get(cmd.name)?.addedInPending) return;
    const table = tableName(t.rel);
    const column = ident(cmd.name);
    ctx.report(DROPPING_COLUMN, s, {
      message: `DROP COLUMN ${column} on existing table ${table}: the running application's statements that name ${table}.${column} fail with 42703 until its new version has replaced it`,
      fix: renderFix([
        inPlace(
          sqlComment(
            `nothing in its place: first release code that no longer names ${table}.${column} (an ORM that caches a table's columns: told to ignore it); the statement's other changes stay`,
          ),
        ),
        later(
          sqlComment(`once no running code names ${column}`),
          ...dropColumnLater(table, cmd.name, { ifExists: cmd.missing_ok === true, cascade: cmd.behavior === 'DROP_CASCADE' }),
        ),
      ]),
    });
  },
};
