/**
 * table-rewrite: a statement that copies a whole existing table (or
 * materialized view) into new storage under ACCESS EXCLUSIVE, every query on
 * it waiting until the copy ends: VACUUM FULL, CLUSTER, REFRESH MATERIALIZED
 * VIEW without CONCURRENTLY, and ALTER TABLE … SET LOGGED / SET UNLOGGED /
 * SET TABLESPACE / SET ACCESS METHOD; and the moves of an index (ALTER
 * INDEX … SET TABLESPACE: ACCESS EXCLUSIVE on the index, which every query
 * on its table opens to plan) or of everything in a tablespace (ALL IN
 * TABLESPACE). `plan` shows their lock and rewrite (the form table's
 * vacuum-full, refresh-materialized-view, rewrite-storage,
 * alter-index-tablespace and move-all-tablespace rows, each run on
 * PostgreSQL 18 and 15 by the form harness). The other rewrites have rules of their own (column-type-rewrite,
 * volatile-default). Lint does not know the table's size, so this is a
 * warning: on a small table, allow it.
 *
 * Only REFRESH has an online form in PostgreSQL (CONCURRENTLY, with a unique
 * index: EXCLUSIVE, reads go on); for the others the fix is a maintenance
 * window or an online rebuild outside the migration.
 */
import { sqlComment } from '../../../engine/sql/sql-quote';
import { as, list, optionOn, rangeVar, type ParsedStatement, type RangeVar } from '../../parser/parse';
import { inPlace, ownNoTransaction, renderFix } from '../fix';
import type { LintRule, RuleContext } from '../rule';
import { ident, tableName } from '../sql-text';
import { oneOrMany } from '../../../engine/errors/words';

/**
 * No online form: the statement as it was, after an allow directive whose
 * reason the author states; in a no-transaction file when it was in one, and
 * always for VACUUM and CLUSTER without a table, which PostgreSQL never runs
 * inside a transaction block (25001).
 */
function allowFix(ctx: RuleContext, s: ParsedStatement, what: string, tables: string, extra = ''): string {
  const lines = [
    sqlComment(
      `PostgreSQL has no online form of ${what}: run it in a maintenance window, or rebuild the table online outside the migration (an extension such as pg_repack${extra})`,
    ),
    '-- on a small table, keep it after an allow directive that says why:',
    sqlComment(`schemaguard:allow table-rewrite ${tables} is small: the copy under ACCESS EXCLUSIVE takes a moment`),
    `${s.text};`,
  ];
  const outside = ctx.src.noTransaction || s.kind === 'VacuumStmt' || (s.kind === 'ClusterStmt' && !s.node.relation);
  return renderFix([outside ? { place: 'instead', noTransaction: true, lines } : inPlace(...lines)]);
}

const STORAGE_COMMANDS: Record<string, string> = {
  AT_SetLogged: 'SET LOGGED',
  AT_SetUnLogged: 'SET UNLOGGED',
  AT_SetTableSpace: 'SET TABLESPACE',
  AT_SetAccessMethod: 'SET ACCESS METHOD',
};

export const TABLE_REWRITE: LintRule = {
  id: 'table-rewrite',
  severity: 'warning',
  title:
    'VACUUM FULL, CLUSTER, REFRESH MATERIALIZED VIEW without CONCURRENTLY, ALTER TABLE … SET LOGGED / UNLOGGED / TABLESPACE / ACCESS METHOD on an existing table, ALTER INDEX … SET TABLESPACE, or ALL IN TABLESPACE',
  why: 'each copies the whole table (or materialized view) into new storage under ACCESS EXCLUSIVE: every query on it, reads included, waits until the copy ends, minutes on a large table',
  fix: 'REFRESH MATERIALIZED VIEW CONCURRENTLY where the view has a unique index; for the others a maintenance window or an online rebuild outside the migration; on a small table, allow it with a reason',
  squawk: [],
  examples: {
    existing:
      'CREATE TABLE leads (id bigint PRIMARY KEY, score int);\nCREATE MATERIALIZED VIEW lead_scores AS SELECT id, score FROM leads;\nCREATE UNIQUE INDEX lead_scores_id ON lead_scores (id);',
    triggers: 'REFRESH MATERIALIZED VIEW lead_scores;',
    passes: 'REFRESH MATERIALIZED VIEW CONCURRENTLY lead_scores;',
  },
  statement(ctx, s) {
    if (s.kind === 'RefreshMatViewStmt') refresh(ctx, s);
    else if (s.kind === 'AlterTableStmt' && s.node.objtype === 'OBJECT_INDEX') indexTablespace(ctx, s);
    else if (s.kind === 'AlterTableStmt') storage(ctx, s);
    else if (s.kind === 'AlterTableMoveAllStmt') moveAll(ctx, s);
    else if (s.kind === 'VacuumStmt' && s.node.is_vacuumcmd && optionOn(s.node.options, 'full'))
      rebuild(
        ctx,
        s,
        'VACUUM FULL',
        list(s.node.rels).map((r) => rangeVar(as(r, 'VacuumRelation')?.relation)),
      );
    else if (s.kind === 'ClusterStmt') rebuild(ctx, s, 'CLUSTER', [rangeVar(s.node.relation)]);
  },
};

function refresh(ctx: RuleContext, s: ParsedStatement): void {
  const rel = rangeVar(s.node.relation);
  // CONCURRENTLY is the online form; WITH NO DATA empties the view without computing it.
  if (!rel || s.node.concurrent || s.node.skipData || !ctx.model.isExisting(rel)) return;
  const view = tableName(rel);
  ctx.report(TABLE_REWRITE, s, {
    message: `REFRESH MATERIALIZED VIEW ${view} computes the view anew into new storage under ACCESS EXCLUSIVE: every query on ${view} waits until it ends`,
    fix: `REFRESH MATERIALIZED VIEW CONCURRENTLY ${view};  ${sqlComment(`EXCLUSIVE: reads of ${view} go on; needs a unique index on ${view} covering every row (CREATE UNIQUE INDEX CONCURRENTLY first)`)}`,
  });
}

/** VACUUM FULL and CLUSTER: of the tables named, or of every table (VACUUM FULL) or every table clustered before (CLUSTER) when none is. */
function rebuild(ctx: RuleContext, s: ParsedStatement, verb: string, rels: (RangeVar | undefined)[]): void {
  const named = rels.filter((r): r is RangeVar => !!r);
  if (named.length === 0) {
    const which = verb === 'CLUSTER' ? 'every table clustered before' : 'every table of the database';
    ctx.report(TABLE_REWRITE, s, {
      message: `${verb} without a table rewrites ${which}, each under ACCESS EXCLUSIVE: every query on each waits while it is copied`,
      fix: allowFix(ctx, s, verb, 'every table'),
    });
    return;
  }
  const existing = named.filter((r) => ctx.model.isExisting(r));
  if (existing.length === 0) return;
  const tables = existing.map(tableName).join(', ');
  ctx.report(TABLE_REWRITE, s, {
    message: `${verb} ${tables} copies ${oneOrMany(existing.length, 'the table', 'each table')} into new storage under ACCESS EXCLUSIVE: every query on ${tables}, reads included, waits until it ends`,
    fix: allowFix(ctx, s, verb, tables),
  });
}

/**
 * ALTER TABLE (or MATERIALIZED VIEW) … SET LOGGED / UNLOGGED / TABLESPACE /
 * ACCESS METHOD of an existing relation, reported once however many of them
 * the statement has (they make one copy). A partitioned table holds no rows:
 * SET TABLESPACE there only sets its future partitions' default (no
 * partition's file node changes, PostgreSQL 18 and 15).
 */
function storage(ctx: RuleContext, s: ParsedStatement): void {
  if (s.node.objtype !== 'OBJECT_TABLE' && s.node.objtype !== 'OBJECT_MATVIEW') return;
  const cmd = list(s.node.cmds)
    .map((c) => as(c, 'AlterTableCmd'))
    .find((c) => c && STORAGE_COMMANDS[String(c.subtype)]);
  const rel = rangeVar(s.node.relation);
  if (!cmd || !rel || !ctx.model.isExisting(rel) || ctx.model.table(rel)?.partitioned) return;
  const what = STORAGE_COMMANDS[String(cmd.subtype)];
  const table = tableName(rel);
  const verb = s.node.objtype === 'OBJECT_MATVIEW' ? 'ALTER MATERIALIZED VIEW' : 'ALTER TABLE';
  ctx.report(TABLE_REWRITE, s, {
    message: `${verb} ${table} ${what} copies it into new storage under ACCESS EXCLUSIVE: every query on ${table}, reads included, waits until it ends`,
    fix: allowFix(ctx, s, what, table, what === 'SET TABLESPACE' ? ', which can also move a table to another tablespace' : ''),
  });
}

/**
 * ALTER INDEX … SET TABLESPACE of an index no pending migration made: its
 * files are copied under ACCESS EXCLUSIVE on the index. The table is not
 * locked, but every query's planner opens all its table's indexes, so reads
 * and writes wait as for the table. The online route builds a new index in
 * the new tablespace and drops the old one.
 */
function indexTablespace(ctx: RuleContext, s: ParsedStatement): void {
  const cmd = list(s.node.cmds)
    .map((c) => as(c, 'AlterTableCmd'))
    .find((c) => c?.subtype === 'AT_SetTableSpace');
  const rel = rangeVar(s.node.relation);
  if (!cmd || !rel || ctx.model.indexTable(rel)?.isNew) return;
  const index = tableName(rel);
  const space = String(cmd.name);
  ctx.report(TABLE_REWRITE, s, {
    message: `ALTER INDEX ${index} SET TABLESPACE copies the index into ${space} under ACCESS EXCLUSIVE on it: every query on its table opens the table's indexes to plan, so reads and writes wait until the copy ends`,
    why: 'the copy takes as long as the index is big, and the queries on its table queue behind the lock for that long, reads included, with everything queued behind them',
    fix: renderFix([
      ownNoTransaction(
        sqlComment(`build the index anew in ${space} beside the old one, then drop the old one; writes go on (SHARE UPDATE EXCLUSIVE)`),
        `CREATE [UNIQUE] INDEX CONCURRENTLY ${ident(`${rel.name}_moved`)} ON <its table> USING … (…) TABLESPACE ${space};  ${sqlComment(`${index}'s own definition (pg_indexes.indexdef: method, columns, INCLUDE, WHERE)`)}`,
        `DROP INDEX CONCURRENTLY ${index};  -- an index behind a PRIMARY KEY or UNIQUE constraint cannot be dropped: swap it in with ALTER TABLE … ADD CONSTRAINT … USING INDEX instead`,
        `ALTER INDEX ${rel.schema ? `${ident(rel.schema)}.` : ''}${ident(`${rel.name}_moved`)} RENAME TO ${ident(rel.name)};`,
      ),
    ]),
  });
}

/** ALTER TABLE / INDEX / MATERIALIZED VIEW ALL IN TABLESPACE … SET TABLESPACE: every relation of the tablespace (of the roles named), copied in turn, each locked until COMMIT. */
function moveAll(ctx: RuleContext, s: ParsedStatement): void {
  const kind = s.node.objtype === 'OBJECT_INDEX' ? 'INDEX' : s.node.objtype === 'OBJECT_MATVIEW' ? 'MATERIALIZED VIEW' : 'TABLE';
  const what = `ALTER ${kind} ALL IN TABLESPACE`;
  ctx.report(TABLE_REWRITE, s, {
    message: `${what} ${s.node.orig_tablespacename} SET TABLESPACE ${s.node.new_tablespacename} copies every ${kind === 'INDEX' ? 'index' : kind === 'TABLE' ? 'table' : 'materialized view'} of ${s.node.orig_tablespacename}${s.node.roles ? ' owned by the roles named' : ''} into new storage, each under ACCESS EXCLUSIVE held until COMMIT: queries on each wait, on the first one moved until the last one is copied`,
    fix: renderFix([
      inPlace(
        `-- move one relation at a time, each in a migration of its own (ALTER TABLE … SET TABLESPACE; an index: CREATE INDEX CONCURRENTLY … TABLESPACE, then DROP INDEX CONCURRENTLY the old one),`,
        '-- or keep it for a maintenance window, after an allow directive that says why:',
        '-- schemaguard:allow table-rewrite everything it moves is small: each copy under ACCESS EXCLUSIVE takes a moment',
        `${s.text};`,
      ),
    ]),
  });
}
