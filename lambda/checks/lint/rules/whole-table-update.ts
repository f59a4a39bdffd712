/**
 * whole-table-update: an UPDATE without WHERE of a table that exists before
 * this run, in one statement. Every row it changes stays locked (FOR UPDATE)
 * until its transaction ends — in a transactional file, until the file's
 * COMMIT — so the application's UPDATE, DELETE and SELECT … FOR UPDATE of
 * any of those rows wait the whole time, and a table of millions of rows
 * takes minutes; an ALTER TABLE earlier in the same file holds its ACCESS
 * EXCLUSIVE lock through it too, and then reads wait as well. The table's
 * size is unknown to lint, so this is a warning: on a small table, allow it.
 *
 * The fix backfills in batches of the primary key in a no-transaction file:
 * a DO block that commits after each batch (PostgreSQL allows COMMIT in a DO
 * run outside a transaction block, as a no-transaction file's statements
 * are), so each batch's row locks last one batch.
 */
import { rangeVar, type ParsedStatement, type RangeVar } from '../../parse';
import { ownNoTransaction, renderFix } from '../fix';
import type { LintRule, RuleContext } from '../rule';
import { ident, sliceOf, tableName, tokensOf } from '../sql-text';

/** Rows per batch in the fix. */
export const BATCH_ROWS = 5000;

export const WHOLE_TABLE_UPDATE: LintRule = {
  id: 'whole-table-update',
  severity: 'warning',
  title: 'UPDATE without WHERE of an existing table, in one statement',
  why: 'every row it changes stays locked until its transaction commits: the application\'s writes to those rows wait for the whole table (minutes on millions of rows), and an ALTER TABLE earlier in the same file makes reads wait too',
  fix: 'backfill in batches of the primary key, each committed on its own (a DO block in a no-transaction file); or allow it with a reason when the table is small',
  squawk: [],
  examples: {
    existing: 'CREATE TABLE leads (id bigint PRIMARY KEY, score int);',
    triggers: 'UPDATE leads SET score = 0;',
    passes: 'UPDATE leads SET score = 0 WHERE score IS NULL AND id <= 5000;',
  },
  statement(ctx, s) {
    if (s.kind !== 'UpdateStmt' || s.node.whereClause !== undefined) return;
    const rel = rangeVar(s.node.relation);
    if (!rel || !ctx.model.isExisting(rel)) return;
    const until = ctx.src.noTransaction ? 'until the statement ends' : 'until the file\'s COMMIT';
    ctx.report(WHOLE_TABLE_UPDATE, s, {
      message: `UPDATE of every row of existing table ${tableName(rel)} in one statement: each row it changes stays locked ${until}, and the application's writes to them wait`,
      fix: fixFor(ctx, s, rel),
    });
  },
};

/** A DO block that runs the UPDATE one primary-key range at a time, or the way to write one when the key is not known. */
function fixFor(ctx: RuleContext, s: ParsedStatement, rel: RangeVar): string {
  const table = tableName(rel);
  const key = ctx.model.table(rel)?.primaryKey ?? [];
  // RETURNING: returningClause since PostgreSQL 18's parser, returningList before.
  const plain = !s.node.fromClause && !s.node.returningClause && !s.node.returningList && !s.node.withClause;
  if (key.length !== 1 || !plain) {
    return renderFix([ownNoTransaction(
      `-- backfill ${table} in batches, each committed on its own: a DO block that loops over ranges of its primary key`,
      `-- (about ${BATCH_ROWS} rows each), runs this UPDATE with WHERE <the range>, and COMMITs after each;`,
      '-- the SET must give the same result when run again (a re-run after a failure starts over)',
    )]);
  }
  const pk = ident(key[0]!);
  // The statement up to its last token (a comment after it would swallow what follows), with the batch's range.
  const end = s.byteOffset + (tokensOf(s).at(-1)?.end ?? Buffer.byteLength(s.text));
  const batch = `${sliceOf(s, s.byteOffset, end)} WHERE (sg_done IS NULL OR ${pk} > sg_done) AND ${pk} <= sg_upto`;
  return renderFix([ownNoTransaction(
    `-- ${BATCH_ROWS} rows at a time, each batch committed on its own: its row locks last one batch, and the application's writes go on between batches.`,
    '-- The SET must give the same result when run again: a re-run after a failure starts over from the first key.',
    '-- A table that takes longer than the statement timeout (10 min by default) needs the statement-timeout directive raised.',
    'DO $$',
    'DECLARE',
    `  sg_done ${table}.${pk}%TYPE;`,
    `  sg_upto ${table}.${pk}%TYPE;`,
    'BEGIN',
    '  LOOP',
    `    SELECT ${pk} INTO sg_upto FROM (SELECT ${pk} FROM ${table} WHERE sg_done IS NULL OR ${pk} > sg_done ORDER BY ${pk} LIMIT ${BATCH_ROWS}) AS batch ORDER BY ${pk} DESC LIMIT 1;`,
    '    EXIT WHEN sg_upto IS NULL;',
    `    ${batch.replace(/\n/g, '\n    ')};`,
    '    sg_done := sg_upto;',
    '    COMMIT;',
    '  END LOOP;',
    'END $$;',
  )]);
}
