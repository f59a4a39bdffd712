/**
 * renaming-column: ALTER TABLE / VIEW / MATERIALIZED VIEW … RENAME COLUMN on
 * a relation that exists before this run. The migration commits before the
 * new application version has replaced every old process: until then the
 * old code still names the column as it was, and each of
 * its statements that does fails with 42703 (undefined_column). Not on a
 * relation created or renamed in the pending set (the old code does not
 * know it by that name; renaming-table reports the rename), nor on a column
 * added to an existing table in the pending set (the old code does not know
 * it). Nor when another column takes the old name before COMMIT (a swap:
 * the old code finds a column of that name throughout); a rename into it is
 * judged on its own.
 */
import { sqlComment } from '../../../engine/sql/sql-quote';
import { as, rangeVar, type RangeVar } from '../../parser/parse';
import type { TableModel } from '../model';
import { inPlace, later, renderFix, type FixFile } from '../fix';
import { dropColumnLater } from '../fix-steps';
import { HeldFindings } from '../held';
import type { LintRule } from '../rule';
import { ident, tableName } from '../sql-text';
import { relationKind, type RelationKind } from './renaming-table';

export const RENAMING_COLUMN: LintRule = {
  id: 'renaming-column',
  severity: 'error',
  title: 'RENAME COLUMN on an existing table or view',
  why: 'the application version still running during the deploy names the column by its old name until the new version replaces it: its statements fail with 42703 (undefined_column) from the moment the migration commits',
  fix: 'expand and contract: add the new column, write both and backfill, switch the readers, drop the old column in a later migration; or allow it with a reason when no running code names the column',
  squawk: ['renaming-column'],
  examples: {
    existing: 'CREATE TABLE leads (id bigint PRIMARY KEY, name text);',
    triggers: 'ALTER TABLE leads RENAME COLUMN name TO full_name;',
    passes: 'ALTER TABLE leads ADD COLUMN full_name text;',
  },
  statement(ctx, s) {
    if (s.kind !== 'RenameStmt' || s.node.renameType !== 'OBJECT_COLUMN') return;
    const kind = relationKind(s.node.relationType);
    const rel = rangeVar(s.node.relation);
    if (!kind || !rel) return;
    const from = String(s.node.subname);
    const to = String(s.node.newname);
    const key = ctx.model.keyOf(rel);
    HELD.retaken(ctx, `${key}|${to}`);
    if (!ctx.model.isNamedBeforeRun(rel)) return;
    const target = ctx.model.table(rel);
    if (target?.columns.get(from)?.addedInPending) return;
    const table = tableName(rel);
    const report = {
      message: `RENAME COLUMN ${ident(from)} TO ${ident(to)} on existing ${kind} ${table}: the running application still names ${table}.${ident(from)}, and fails with 42703 until its new version has replaced it`,
      fix: renderFix(fixFor(rel, kind, from, to, target)),
    };
    HELD.hold(ctx, `${key}|${from}`, () => ctx.report(RENAMING_COLUMN, s, report));
  },
  alterCommand(ctx, _s, t, cmd) {
    const added = cmd.subtype === 'AT_AddColumn' ? as(cmd.def, 'ColumnDef')?.colname : undefined;
    if (typeof added === 'string') HELD.retaken(ctx, `${ctx.model.keyOf(t.rel)}|${added}`);
  },
  endFile(ctx) {
    HELD.flush(ctx);
  },
};

/** Renames of a column whose name another column takes in the same transaction (renamed or added: a swap) are not reported. */
const HELD = new HeldFindings();

const ESCAPE = (table: string, from: string) =>
  sqlComment(`or, when no running code names ${table}.${ident(from)}: the RENAME alone, after an allow directive for renaming-column that says why`);

/** Expand and contract for a table's column; advice where they do not apply (a view's column, a partition key column). */
function fixFor(rel: RangeVar, kind: RelationKind, from: string, to: string, target: TableModel | undefined): FixFile[] {
  if (kind !== 'table') return [viewSteps(rel, kind, from, to)];
  if (target?.partitionKey?.includes(from)) {
    return [
      inPlace(
        sqlComment(
          `${ident(from)} is in the partition key of ${tableName(rel)}: PostgreSQL drops no key column, and no new column can take its place; keep the name`,
        ),
        ESCAPE(tableName(rel), from),
      ),
    ];
  }
  return tableSteps(rel, from, to, target);
}

/** Expand (the new column, written by both versions and backfilled) in place of the statement; contract (drop the old one) later. */
function tableSteps(rel: RangeVar, from: string, to: string, target: TableModel | undefined): FixFile[] {
  const table = tableName(rel);
  const column = target?.columns.get(from);
  const type = column?.type || undefined;
  const add = `ALTER TABLE ${table} ADD COLUMN ${ident(to)} ${type ?? `<the type of ${ident(from)}>`};`;
  return [
    inPlace(
      type ? add : sqlComment(`${add}  (the type of ${ident(from)} is not known from the migrations)`),
      sqlComment(
        `then deploy code that writes both ${ident(from)} and ${ident(to)} (or a trigger that copies ${ident(from)} into ${ident(to)}), backfill ${ident(to)} in batches, and switch the readers to ${ident(to)}`,
      ),
      ...(column?.notNull
        ? [sqlComment(`${ident(to)} NOT NULL like ${ident(from)}: once backfilled, through a validated CHECK (see set-not-null-without-check)`)]
        : []),
      ...(target?.primaryKey.includes(from)
        ? [
            sqlComment(
              `${ident(from)} is in the primary key: build the key on ${ident(to)} (a unique index CONCURRENTLY, then ADD PRIMARY KEY USING INDEX; see index-not-concurrent) before ${ident(from)} is dropped`,
            ),
          ]
        : []),
      ESCAPE(table, from),
    ),
    later(sqlComment(`once no running code names ${ident(from)}`), ...dropColumnLater(table, from)),
  ];
}

/** A view's columns come from its query: advice only (lint does not know the query). */
function viewSteps(rel: RangeVar, kind: RelationKind, from: string, to: string): FixFile {
  const table = tableName(rel);
  const redo = kind === 'view' ? 'CREATE OR REPLACE VIEW may add it at the end' : 'a materialized view is created again';
  return inPlace(
    sqlComment(
      `give ${table} both names (…, ${ident(from)}, ${ident(from)} AS ${ident(to)}: ${redo}), switch the readers to ${ident(to)}, and drop ${ident(from)} from it in a later migration`,
    ),
    ESCAPE(table, from),
  );
}
