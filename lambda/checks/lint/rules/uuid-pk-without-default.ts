/**
 * uuid-pk-without-default: CREATE TABLE with a single-column uuid primary key
 * that nothing fills in. A key named `id` is an error (every INSERT that
 * omits it fails); a key named otherwise usually copies another table's id:
 * a warning to confirm with an allow. A key that is also a foreign key (a
 * 1:1 table: `user_id uuid PRIMARY KEY REFERENCES users`) takes the other
 * table's id by design and is not reported.
 */
import { as, list, names, rangeVar, type Node } from '../../parse';
import { columnParts } from '../column';
import { inPlace, renderFix } from '../fix';
import type { LintRule } from '../rule';
import { insertInto, tableName, typeAsWritten } from '../sql-text';

export const UUID_PK_WITHOUT_DEFAULT: LintRule = {
  id: 'uuid-pk-without-default',
  severity: 'error',
  title: 'uuid primary key without a default (warning when the key is not named id: it may copy another table\'s id; a key that is also a foreign key is not reported)',
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
    const col = String(key.colname);
    const surrogate = col === 'id';
    const type = key.typeName as Node;
    const typeEnd = (type.location as number) + Buffer.byteLength(typeAsWritten(s, type));
    ctx.report(UUID_PK_WITHOUT_DEFAULT, s, {
      message: `${tableName(rel)}.${col} is a uuid primary key without a DEFAULT`,
      why: `every INSERT that omits ${col} fails with "null value in column \\"${col}\\" … violates not-null constraint" (23502); the application has to generate ids itself, and one code path that forgets breaks`,
      fix: renderFix([inPlace(
        `${insertInto(s, typeEnd, 'DEFAULT gen_random_uuid()')};`,
        '-- gen_random_uuid() is built in since PostgreSQL 13 (CREATE EXTENSION pgcrypto before that)',
        ...(surrogate ? [] : [`-- or, if ${col} copies another table's id, say so with an allow directive for uuid-pk-without-default and the reason`]),
      )]),
      at: key.location as number | undefined,
      severity: surrogate ? 'error' : 'warning',
    });
  },
};

/** The table's one-column uuid primary key, when it has no default and is not also a foreign key. */
function uuidKeyWithoutDefault(n: Node): Node | undefined {
  const cols = list(n.tableElts).map((e) => as(e, 'ColumnDef')).filter((c): c is Node => !!c);
  const tableCons = list(n.tableElts).map((e) => as(e, 'Constraint')).filter((c): c is Node => !!c);
  const pk = [
    ...cols.filter((c) => columnParts(c).primaryKey).map((c) => String(c.colname)),
    ...tableCons.filter((c) => c.contype === 'CONSTR_PRIMARY').flatMap((c) => names(c.keys)),
  ];
  if (pk.length !== 1) return undefined;
  const col = cols.find((c) => c.colname === pk[0]);
  if (!col || names((col.typeName as Node | undefined)?.names).pop()?.toLowerCase() !== 'uuid') return undefined;
  const p = columnParts(col);
  if (p.hasDefault || p.generated) return undefined;
  const columnFk = list(col.constraints).some((c) => as(c, 'Constraint')?.contype === 'CONSTR_FOREIGN');
  const tableFk = tableCons.some((c) => c.contype === 'CONSTR_FOREIGN' && names(c.fk_attrs).includes(pk[0]!));
  return columnFk || tableFk ? undefined : col;
}
