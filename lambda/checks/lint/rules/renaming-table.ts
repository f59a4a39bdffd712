/**
 * renaming-table: ALTER TABLE / VIEW / MATERIALIZED VIEW … RENAME TO, or
 * … SET SCHEMA, on a relation that exists before this run. The migration
 * commits before the new application version has replaced every old
 * process: until then the old code still names the relation as it was,
 * and each of its statements that does fails with 42P01
 * (undefined_table). A relation created in the pending set, or renamed
 * there already, is unknown to the old code by its current name: renaming
 * it again breaks nothing more (the first rename is reported). Nor when
 * another relation takes the old name before COMMIT (a view over the
 * renamed table, or a swap: a table created or renamed into it); a rename
 * into it is judged on its own.
 */
import { sqlComment } from '../../../engine/sql/sql-quote';
import { rangeVar, type Node, type ParsedStatement, type RangeVar } from '../../parser/parse';
import { inPlace, later, renderFix } from '../fix';
import { HeldFindings } from '../held';
import type { LintRule, RuleContext } from '../rule';
import { ident, tableName } from '../sql-text';
import { splitKey } from '../model';
import { present } from '../../../engine/errors/present';

export const RENAMING_TABLE: LintRule = {
  id: 'renaming-table',
  severity: 'error',
  title: 'RENAME TO or SET SCHEMA of an existing table or view',
  why: 'the application version still running during the deploy names the table or view by its old name until the new version replaces it: its statements fail with 42P01 (undefined_table) from the moment the migration commits',
  fix: 'keep the old name working: a view under the old name in the same migration, dropped in a later one once no running code uses it; or allow it with a reason when no running code names the table',
  squawk: ['renaming-table'],
  examples: {
    existing: 'CREATE TABLE leads (id bigint PRIMARY KEY, name text);',
    triggers: 'ALTER TABLE leads RENAME TO customers;',
    passes: 'ALTER TABLE leads RENAME TO customers;\nCREATE VIEW leads AS SELECT * FROM customers;',
  },
  statement(ctx, s) {
    const created = createdRelation(s);
    if (created) HELD.retaken(ctx, ctx.model.keyOf({ schema: created.schema ?? ctx.model.creationSchema(), name: created.name }));
    if (s.kind === 'RenameStmt') {
      const kind = relationKind(s.node.renameType);
      const rel = rangeVar(s.node.relation);
      if (kind && rel) check(ctx, s, { kind, rel, newName: String(s.node.newname) });
    }
    if (s.kind === 'AlterObjectSchemaStmt') {
      const kind = relationKind(s.node.objectType);
      const rel = rangeVar(s.node.relation);
      if (kind && rel) check(ctx, s, { kind, rel, newSchema: String(s.node.newschema) });
    }
  },
  endFile(ctx) {
    HELD.flush(ctx);
  },
};

export type RelationKind = 'table' | 'view' | 'materialized view';

const KINDS: Record<string, RelationKind> = { OBJECT_TABLE: 'table', OBJECT_VIEW: 'view', OBJECT_MATVIEW: 'materialized view' };

/** The kind of relation an ALTER statement names, as written (`ALTER VIEW`: a view), when these rules look at it. */
export function relationKind(objectType: unknown): RelationKind | undefined {
  return KINDS[String(objectType)];
}

/** The relation a CREATE TABLE, CREATE TABLE AS, CREATE [MATERIALIZED] VIEW makes. */
export function createdRelation(s: ParsedStatement): RangeVar | undefined {
  if (s.kind === 'CreateStmt') return rangeVar(s.node.relation);
  if (s.kind === 'CreateTableAsStmt') return rangeVar((s.node.into as Node | undefined)?.rel);
  if (s.kind === 'ViewStmt') return rangeVar(s.node.view);
  return undefined;
}

/** A move of `rel`: a new name (RENAME TO) or a new schema (SET SCHEMA). */
interface Move {
  kind: RelationKind;
  rel: RangeVar;
  newName?: string;
  newSchema?: string;
}

/** Renames of a relation whose name another relation takes in the same transaction (created, renamed or moved there: a swap) are not reported. */
const HELD = new HeldFindings();

function check(ctx: RuleContext, s: ParsedStatement, m: Move): void {
  const key = ctx.model.keyOf(m.rel);
  const [schema] = splitKey(key);
  HELD.retaken(ctx, `${m.newSchema ?? schema}.${m.newName ?? m.rel.name}`);
  if (!ctx.model.isNamedBeforeRun(m.rel)) return;
  const oldName = tableName(m.rel);
  const what = `existing ${m.kind} ${oldName}`;
  const message =
    m.newName !== undefined
      ? `RENAME TO ${ident(m.newName)} of ${what}: the running application still names it ${oldName}, and fails with 42P01 until its new version has replaced it`
      : `SET SCHEMA ${ident(present(m.newSchema))} moves ${what} out of schema ${ident(schema)}: the running application that names it ${ident(schema)}.${ident(m.rel.name)}, or finds it through a search_path without ${ident(present(m.newSchema))}, fails with 42P01 until its new version has replaced it`;
  const fix = fixFor(s, m, schema);
  HELD.hold(ctx, key, () => ctx.report(RENAMING_TABLE, s, { message, fix }));
}

/** What the running code can still do through the view under the old name. */
const THROUGH_VIEW: Record<RelationKind, string> = {
  table:
    '-- the running code reads and writes through the view (a view of one table is updatable: INSERT, UPDATE, DELETE and ON CONFLICT go through it; TRUNCATE does not)',
  view: '-- the running code reads through it, and writes where the view itself was updatable',
  'materialized view': '-- the running code reads through it; a REFRESH MATERIALIZED VIEW of the old name fails: refresh the new one',
};

/** The statement and a view under the old name, in the same transaction; the view dropped in a later migration. */
function fixFor(s: ParsedStatement, m: Move, schema: string): string {
  const old = m.newSchema !== undefined ? `${ident(schema)}.${ident(m.rel.name)}` : tableName(m.rel);
  const moved = m.newSchema !== undefined ? `${ident(m.newSchema)}.${ident(m.rel.name)}` : tableName({ schema: m.rel.schema, name: present(m.newName) });
  return renderFix([
    inPlace(
      `${s.text};`,
      `CREATE VIEW ${old} AS SELECT * FROM ${moved};`,
      THROUGH_VIEW[m.kind],
      ...(m.kind === 'table'
        ? [sqlComment(`or: a new table ${moved} that both versions write, backfilled in batches, and ${old} dropped once no running code names it`)]
        : []),
      sqlComment(`or, when no running code names ${old}: the statement alone, after an allow directive for renaming-table whose reason says so`),
    ),
    later(sqlComment(`once no running code names ${old}`), `DROP VIEW ${old};`),
  ]);
}
