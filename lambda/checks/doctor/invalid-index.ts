/** invalid-index: an index left INVALID, typically by a failed CREATE INDEX CONCURRENTLY. */
import type { Finding } from '../finding';
import { USER_SCHEMAS, qualified, type DoctorContext, type DoctorRule } from './rule';

export const INVALID_INDEX: DoctorRule = {
  id: 'invalid-index',
  severity: 'error',
  title: 'INVALID index (a failed CREATE INDEX CONCURRENTLY)',
  why: 'a failed CREATE INDEX CONCURRENTLY leaves an index that queries never use but every write still maintains; a unique one still rejects duplicates of rows written since',
  fix: 'DROP INDEX CONCURRENTLY, then the index\'s own definition again with CONCURRENTLY',
  check: invalidIndex,
};

export async function invalidIndex(ctx: DoctorContext): Promise<Finding[]> {
  const invalid = (await ctx.q.query<{ schema: string; index: string; table: string; def: string }>(
    `SELECT n.nspname AS schema, x.relname AS index, c.relname AS table, pg_get_indexdef(i.indexrelid) AS def
       FROM pg_index i JOIN pg_class x ON x.oid = i.indexrelid JOIN pg_class c ON c.oid = i.indrelid
       JOIN pg_namespace n ON n.oid = x.relnamespace
      WHERE NOT i.indisvalid AND ${USER_SCHEMAS} ORDER BY 1, 2`, [ctx.stateSchema],
  )).rows;
  return invalid.map((i) => {
    const idx = qualified(i.schema, i.index);
    return {
      rule: INVALID_INDEX.id, severity: INVALID_INDEX.severity, object: idx,
      message: `index ${idx} on ${qualified(i.schema, i.table)} is INVALID`,
      why: INVALID_INDEX.why,
      fix: `DROP INDEX CONCURRENTLY IF EXISTS ${idx};\n${i.def.replace(/^CREATE (UNIQUE )?INDEX /, 'CREATE $1INDEX CONCURRENTLY ')};`,
    };
  });
}
