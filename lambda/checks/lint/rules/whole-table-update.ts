/**
 * whole-table-update: an UPDATE without WHERE of a table that exists before
 * this run, in one statement, or with a WHERE every row matches (`WHERE
 * c IS NULL` of a column this run added without a default: the usual
 * backfill; see every-row.ts). Every row it changes stays locked (FOR UPDATE)
 * until its transaction ends — in a transactional file, until the file's
 * COMMIT — so the application's UPDATE, DELETE and SELECT … FOR UPDATE of
 * any of those rows wait the whole time, and a table of millions of rows
 * takes minutes; an ALTER TABLE earlier in the same file holds its ACCESS
 * EXCLUSIVE lock through it too, and then reads wait as well. The table's
 * size is unknown to lint, so this is a warning: on a small table, allow it.
 *
 * The statement after `-- schemaguard:backfill` is not reported: it runs
 * in batches of the primary key, each its own transaction
 * (lambda/engine/backfill/). The fix backfills in batches of the primary key in a no-transaction file:
 * a DO block that commits after each batch (PostgreSQL allows COMMIT in a DO
 * run outside a transaction block, as a no-transaction file's statements
 * are), so each batch's row locks last one batch.
 */
import { rangeVar, type ParsedStatement, type RangeVar } from '../../parser/parse';
import { renderFix } from '../fix';
import { everyRow } from '../every-row';
import { byKeyRanges } from '../fix-steps';
import type { LintRule, RuleContext } from '../rule';
import { tableName } from '../sql-text';

export const WHOLE_TABLE_UPDATE: LintRule = {
  id: 'whole-table-update',
  severity: 'warning',
  title: 'UPDATE of every row of an existing table (no WHERE, or one every row matches), in one statement',
  why: "every row it changes stays locked until its transaction commits: the application's writes to those rows wait for the whole table (minutes on millions of rows), and an ALTER TABLE earlier in the same file makes reads wait too",
  fix: 'put -- schemaguard:backfill on the line before it: schemaguard then runs it in batches of the primary key after the rest of the file commits, each batch committed on its own (see docs/guide/backfills.md); or backfill in batches yourself (a DO block in a no-transaction file); or allow it with a reason when the table is small',
  squawk: [],
  examples: {
    existing: 'CREATE TABLE leads (id bigint PRIMARY KEY, score int);',
    triggers: 'UPDATE leads SET score = 0;',
    passes: 'UPDATE leads SET score = 0 WHERE score IS NULL AND id <= 5000;',
  },
  statement(ctx, s) {
    // A backfill statement runs in batches, each its own transaction: its row locks last one batch.
    if (s.kind !== 'UpdateStmt' || s.line === ctx.src.backfillLine) return;
    const rel = rangeVar(s.node.relation);
    if (!rel || !ctx.model.isExisting(rel)) return;
    const every = everyRow(ctx, s, rel);
    if (every === undefined) return;
    const until = ctx.src.noTransaction ? 'until the statement ends' : "until the file's COMMIT";
    ctx.report(WHOLE_TABLE_UPDATE, s, {
      message: `UPDATE of every row of existing table ${tableName(rel)} in one statement${every}: each row it changes stays locked ${until}, and the application's writes to them wait`,
      fix: fixFor(ctx, s, rel),
    });
  },
};

/** A DO block that runs the UPDATE one primary-key range at a time, or the way to write one when the key is not known. */
function fixFor(ctx: RuleContext, s: ParsedStatement, rel: RangeVar): string {
  return renderFix([
    byKeyRanges(ctx, s, rel, {
      verb: 'UPDATE',
      rerun: 'the SET must give the same result when run again: a re-run after a failure starts over from the first key',
    }),
  ]);
}
