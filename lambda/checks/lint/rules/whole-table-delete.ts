/**
 * whole-table-delete: a DELETE without WHERE of a table that exists before
 * this run, in one statement, or with a WHERE every row matches
 * (every-row.ts). As with whole-table-update, every row it
 * deletes stays locked until its transaction ends (in a transactional file,
 * the file's COMMIT): the application's UPDATE, DELETE and SELECT … FOR
 * UPDATE of those rows wait the whole time, and each deleted row is a dead
 * tuple for VACUUM. A warning: lint does not know the table's size.
 *
 * The fix deletes one primary-key range at a time in a no-transaction file
 * (fix-steps.ts `byKeyRanges`), or TRUNCATE where its trade-offs fit.
 */
import { sqlComment } from '../../../engine/sql/sql-quote';
import { rangeVar } from '../../parser/parse';
import { renderFix } from '../fix';
import { everyRow } from '../every-row';
import { byKeyRanges } from '../fix-steps';
import type { LintRule } from '../rule';
import { tableName } from '../sql-text';

export const WHOLE_TABLE_DELETE: LintRule = {
  id: 'whole-table-delete',
  severity: 'warning',
  title: 'DELETE of every row of an existing table (no WHERE, or one every row matches), in one statement',
  why: "every row it deletes stays locked until its transaction commits: the application's writes to those rows wait for the whole table, and every row becomes a dead tuple at once",
  fix: 'delete in batches of the primary key, each committed on its own (a DO block in a no-transaction file); TRUNCATE where a brief ACCESS EXCLUSIVE lock fits; or allow it with a reason when the table is small',
  squawk: [],
  examples: {
    existing: 'CREATE TABLE sessions (id bigint PRIMARY KEY, data text);',
    triggers: 'DELETE FROM sessions;',
    passes: 'DELETE FROM sessions WHERE id <= 5000;',
  },
  statement(ctx, s) {
    if (s.kind !== 'DeleteStmt') return;
    const rel = rangeVar(s.node.relation);
    if (!rel || !ctx.model.isExisting(rel)) return;
    const every = everyRow(ctx, s, rel);
    if (every === undefined) return;
    const table = tableName(rel);
    const until = ctx.src.noTransaction ? 'until the statement ends' : "until the file's COMMIT";
    const batches = byKeyRanges(ctx, s, rel, { verb: 'DELETE', rerun: 'a re-run after a failure starts over; the rows deleted stay deleted' });
    batches.lines.push(
      sqlComment(
        `or, when no other table references ${table} and a moment of ACCESS EXCLUSIVE fits: TRUNCATE ${table}; (not MVCC-safe: a transaction that started before it sees the table empty)`,
      ),
    );
    ctx.report(WHOLE_TABLE_DELETE, s, {
      message: `DELETE of every row of existing table ${table} in one statement${every}: each row it deletes stays locked ${until}, and the application's writes to them wait`,
      fix: renderFix([batches]),
    });
  },
};
