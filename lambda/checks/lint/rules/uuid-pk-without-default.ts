/**
 * uuid-pk-without-default: CREATE TABLE with a single-column uuid primary key
 * that nothing fills in: every INSERT that omits it fails. A warning, not
 * an error: an application that generates its ids (supabase/auth does, for
 * each of its keys) never omits the key, lint cannot see the application's
 * INSERTs, and nothing turns a rule off for a whole project; the guard's
 * contracts (an INSERT that omits the key) and drift (a default lost in one
 * environment) catch the failure itself. A key named otherwise than `id`
 * usually copies another table's id; the fix says to confirm it with an allow. A key that is also a foreign key (a
 * 1:1 table: `user_id uuid PRIMARY KEY REFERENCES users`) takes the other
 * table's id by design and is not reported.
 */
import { sqlComment } from '../../../engine/sql/sql-quote';
import { as, list, names, rangeVar, type Node, type ParsedStatement, type RangeVar } from '../../parser/parse';
import { columnParts } from '../column';
import { inPlace, renderFix } from '../fix';
import type { LintRule, RuleContext } from '../rule';
import { ident, insertInto, tableName, typeAsWritten } from '../sql-text';

export const UUID_PK_WITHOUT_DEFAULT: LintRule = {
  id: 'uuid-pk-without-default',
  severity: 'warning',
  title: 'uuid primary key without a default (a warning: the application may generate its ids; a key that is also a foreign key is not reported)',
  why: 'every INSERT that omits the key fails with a not-null violation (23502); the application has to generate ids itself, and one code path that forgets breaks',
  fix: 'id uuid PRIMARY KEY DEFAULT gen_random_uuid()',
  squawk: [],
  examples: {
    triggers: 'CREATE TABLE lead_purchases (id uuid PRIMARY KEY, lead_id uuid);',
    passes: 'CREATE TABLE lead_purchases (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), lead_id uuid);',
  },
  statement(ctx, s) {
    if (s.kind !== 'CreateStmt') return;
    const rel = rangeVar(s.node.relation);
    if (!rel || (s.node.if_not_exists && ctx.model.table(rel))) return;
    const key = uuidKeyWithoutDefault(s.node);
    if (!key) return;
    const type = key.typeName as Node;
    const typeEnd = (type.location as number) + Buffer.byteLength(typeAsWritten(s, type));
    report(ctx, s, rel, String(key.colname), key.location as number | undefined, `${insertInto(s, typeEnd, 'DEFAULT gen_random_uuid()')};`);
  },
  // pg_dump's form: the column in CREATE TABLE, its key in a later ALTER TABLE ONLY … ADD CONSTRAINT … PRIMARY KEY
  // (a foreign key on the column, which pg_dump adds after every key, is not known yet: a key not named id is a warning).
  alterCommand(ctx, s, t, cmd) {
    const con = cmd.subtype === 'AT_AddConstraint' ? as(cmd.def, 'Constraint') : undefined;
    if (con?.contype !== 'CONSTR_PRIMARY') return;
    const keys = typeof con.indexname === 'string' ? (t.table.indexColumns?.get(con.indexname) ?? []) : names(con.keys);
    const col = keys.length === 1 ? t.table.columns.get(keys[0]) : undefined;
    if (col?.type !== 'uuid' || col.noDefault !== true) return;
    const column = keys[0];
    report(
      ctx,
      s,
      t.rel,
      column,
      con.location as number | undefined,
      `ALTER TABLE ${tableName(t.rel)} ALTER COLUMN ${ident(column)} SET DEFAULT gen_random_uuid();\n${s.text.trim()};`,
    );
  },
};

function report(ctx: RuleContext, s: ParsedStatement, rel: RangeVar, col: string, at: number | undefined, fixed: string): void {
  const surrogate = col === 'id';
  ctx.report(UUID_PK_WITHOUT_DEFAULT, s, {
    message: `${tableName(rel)}.${ident(col)} is a uuid primary key without a DEFAULT`,
    why: `every INSERT that omits ${ident(col)} fails with "null value in column \\"${col}\\" … violates not-null constraint" (23502); the application has to generate ids itself, and one code path that forgets breaks`,
    fix: renderFix([
      inPlace(
        fixed,
        '-- gen_random_uuid() is built in since PostgreSQL 13 (CREATE EXTENSION pgcrypto before that)',
        ...(surrogate
          ? []
          : [sqlComment(`or, if ${ident(col)} copies another table's id, say so with an allow directive for uuid-pk-without-default and the reason`)]),
      ),
    ]),
    at,
  });
}

/** The table's one-column uuid primary key, when it has no default and is not also a foreign key. */
function uuidKeyWithoutDefault(n: Node): Node | undefined {
  const cols = list(n.tableElts)
    .map((e) => as(e, 'ColumnDef'))
    .filter((c): c is Node => !!c);
  const tableCons = list(n.tableElts)
    .map((e) => as(e, 'Constraint'))
    .filter((c): c is Node => !!c);
  const pk = [
    ...cols.filter((c) => columnParts(c).primaryKey).map((c) => String(c.colname)),
    ...tableCons.filter((c) => c.contype === 'CONSTR_PRIMARY').flatMap((c) => names(c.keys)),
  ];
  if (pk.length !== 1) return undefined;
  const col = cols.find((c) => c.colname === pk[0]);
  if (
    !col ||
    names((col.typeName as Node | undefined)?.names)
      .pop()
      ?.toLowerCase() !== 'uuid'
  )
    return undefined;
  const p = columnParts(col);
  if (p.hasDefault || p.generated) return undefined;
  const columnFk = list(col.constraints).some((c) => as(c, 'Constraint')?.contype === 'CONSTR_FOREIGN');
  const tableFk = tableCons.some((c) => c.contype === 'CONSTR_FOREIGN' && names(c.fk_attrs).includes(pk[0]));
  return columnFk || tableFk ? undefined : col;
}
