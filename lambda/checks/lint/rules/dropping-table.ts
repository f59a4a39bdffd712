/**
 * dropping-table: DROP TABLE of a table that exists before this run (not
 * one created or renamed in the pending set). The migration commits while
 * the application version that ran before the deploy still serves
 * requests: each of its statements that names the table fails with 42P01
 * (undefined_table). A warning, not an error: dropping a table nothing
 * reads any more is the last step of an expand and contract, safe once no
 * running code names it, which lint cannot see; the allow directive says
 * so. Not when another relation is renamed or moved into the name before
 * COMMIT (a swap: the running code finds the table that took it, with the
 * rows the migration put there). When a CREATE takes the name (a table
 * dropped and created again, as `pg_dump --clean` writes, or a view under
 * the old name), the new relation holds none of the old rows: that is
 * reported as data loss, at the DROP. Nor
 * on a partition, or a table the pending set detached from its parent: the
 * running code names the parent, and dropping old partitions is how
 * retention works. Views
 * are left alone: dropping one loses no data, and the view renaming-table
 * leaves under an old name is dropped this way once it has served.
 */
import { sqlComment } from '../../../engine/sql/sql-quote';
import { as, list, names, rangeVar, type ParsedStatement } from '../../parser/parse';
import { inPlace, later, renderFix } from '../fix';
import { dropTableLater } from '../fix-steps';
import { HeldFindings } from '../held';
import { splitKey } from '../model';
import type { LintRule, Report, RuleContext } from '../rule';
import { tableName } from '../sql-text';
import { createdRelation, relationKind } from './renaming-table';

export const DROPPING_TABLE: LintRule = {
  id: 'dropping-table',
  severity: 'warning',
  title: 'DROP TABLE of an existing table',
  why: 'the application version still running during the deploy fails with 42P01 (undefined_table) on each statement that names the table, from the moment the migration commits; and its data is gone',
  fix: 'release code that no longer names the table first, then drop it in a later migration after an allow directive that says no running code names it',
  squawk: ['ban-drop-table'],
  examples: {
    existing: 'CREATE TABLE lead_imports (id bigint PRIMARY KEY, payload jsonb);',
    triggers: 'DROP TABLE lead_imports;',
    passes: '-- schemaguard:allow dropping-table no running code names lead_imports since release 42\nDROP TABLE lead_imports;',
  },
  statement(ctx, s) {
    retake(ctx, s);
    if (s.kind !== 'DropStmt' || s.node.removeType !== 'OBJECT_TABLE') return;
    for (const obj of list(s.node.objects)) {
      const parts = names(as(obj, 'List')?.items);
      const name = parts[parts.length - 1];
      if (!name) continue;
      const rel = { schema: parts.length > 1 ? parts[parts.length - 2] : undefined, name };
      if (!ctx.model.isNamedBeforeRun(rel) || isPartition(ctx, rel)) continue;
      const table = tableName(rel);
      const report = {
        message: `DROP TABLE of existing table ${table}: the running application's statements that name ${table} fail with 42P01 until its new version has replaced it`,
        fix: fixFor(table, s),
      };
      const key = ctx.model.keyOf(rel);
      HELD.hold(ctx, key, () => ctx.report(DROPPING_TABLE, s, report));
      recreations(ctx).set(key, (c) => ctx.report(DROPPING_TABLE, s, recreated(table, s, c)));
    }
  },
  alterCommand(ctx, _s, _t, cmd) {
    const child = cmd.subtype === 'AT_DetachPartition' ? rangeVar(as(cmd.def, 'PartitionCmd')?.name) : undefined;
    if (!child) return;
    let keys = DETACHED.get(ctx.model);
    if (!keys) DETACHED.set(ctx.model, (keys = new Set()));
    keys.add(ctx.model.keyOf(child));
  },
  endFile(ctx) {
    HELD.flush(ctx);
    RECREATIONS.delete(ctx);
  },
};

/** Tables detached from a partitioned table in the pending set, by key, per lint run. */
const DETACHED = new WeakMap<object, Set<string>>();

/** A partition (or one the pending set detached): the running code names its parent, and dropping old partitions is how retention works. */
function isPartition(ctx: RuleContext, rel: { schema?: string; name: string }): boolean {
  const t = ctx.model.table(rel);
  return (t !== undefined && ctx.model.isPartition(t)) || (DETACHED.get(ctx.model)?.has(ctx.model.keyOf(rel)) ?? false);
}

/** Drops of a table whose name another relation takes in the same transaction (created, renamed or moved there) are not reported. */
const HELD = new HeldFindings();

/** What a drop held in this file reports when a CREATE takes its name, by key. */
const RECREATIONS = new WeakMap<RuleContext, Map<string, (c: Creation) => void>>();

function recreations(ctx: RuleContext): Map<string, (c: Creation) => void> {
  let m = RECREATIONS.get(ctx);
  if (!m) RECREATIONS.set(ctx, (m = new Map()));
  return m;
}

/** The CREATE that takes a dropped table's name: what it makes, and its line. */
interface Creation {
  what: string;
  line: number;
}

/**
 * A relation renamed or moved into a name: what was held for that name is
 * not reported (a swap). One created under it: the drop is reported as the
 * loss of the table's rows.
 */
function retake(ctx: RuleContext, s: ParsedStatement): void {
  const created = createdRelation(s);
  if (created) {
    const key = ctx.model.keyOf({ schema: created.schema ?? ctx.model.creationSchema(), name: created.name });
    if (HELD.retaken(ctx, key)) recreations(ctx).get(key)?.({ what: createdWhat(s), line: s.line });
  }
  const n = s.node;
  const rel = rangeVar(n.relation);
  if (!rel) return;
  if (s.kind === 'RenameStmt' && relationKind(n.renameType) && typeof n.newname === 'string') {
    HELD.retaken(ctx, `${splitKey(ctx.model.keyOf(rel))[0]}.${n.newname}`);
  }
  if (s.kind === 'AlterObjectSchemaStmt' && relationKind(n.objectType) && typeof n.newschema === 'string') {
    HELD.retaken(ctx, `${n.newschema}.${rel.name}`);
  }
}

/** Nothing in place of the statement (for this table); the DROP, with the allow directive, in a later migration. */
function fixFor(table: string, s: ParsedStatement): string {
  return renderFix([
    inPlace(
      sqlComment(`nothing in its place: first release code that no longer names ${table}; the statement's other tables, if any, are judged on their own`),
    ),
    later(sqlComment(`once no running code names ${table}`), ...dropTableLater(table, dropOptions(s))),
  ]);
}

/** IF EXISTS and CASCADE, as the statement has them. */
function dropOptions(s: ParsedStatement): { ifExists: boolean; cascade: boolean } {
  return { ifExists: s.node.missing_ok === true, cascade: s.node.behavior === 'DROP_CASCADE' };
}

/** What a CREATE makes, in words: a plain CREATE TABLE starts empty. */
function createdWhat(s: ParsedStatement): string {
  if (s.kind === 'CreateStmt') return s.node.partbound ? 'a new, empty partition' : 'a new, empty table';
  if (s.kind === 'ViewStmt') return 'a view';
  return s.node.objtype === 'OBJECT_MATVIEW' ? 'a materialized view' : 'a table from a query';
}

/** The drop of a table whose name a CREATE takes in the same transaction: its rows are gone at COMMIT. */
function recreated(table: string, s: ParsedStatement, c: Creation): Report {
  return {
    message: `DROP TABLE of existing table ${table}, and line ${c.line} creates ${c.what} under its name: every row of ${table} is lost when the migration commits`,
    why: "the relation created under the old name holds none of the dropped table's rows: they are gone from COMMIT on, and the running application reads and writes the new one",
    fix: renderFix([
      inPlace(
        sqlComment(`to change ${table} and keep its rows: ALTER TABLE ${table} … in place of this DROP and the CREATE on line ${c.line}`),
        sqlComment(
          `or create the new table under another name, copy the rows (INSERT INTO … SELECT … FROM ${table}), then drop ${table} and rename the new one to ${table}, all in this transaction`,
        ),
        '-- (a pg_dump --clean file drops and creates every table again: dump without --clean, and migrate only what is new)',
        sqlComment(`or, when the rows of ${table} are not needed: the DROP, after an allow directive that says so`),
        ...dropTableLater(table, { ...dropOptions(s), reason: `the rows of ${table} are not needed: this migration creates it again` }),
      ),
    ]),
  };
}
