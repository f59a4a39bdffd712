/**
 * What doctor examines: the objects a database's users made. Skipped are the
 * system schemas (pg_catalog, information_schema, pg_toast, other sessions'
 * pg_temp_N), the state schema, and whatever an extension owns (pg_depend
 * deptype 'e': PostGIS's spatial_ref_sys, an extension's own tables, keys
 * and functions), which its CREATE EXTENSION script made and its next
 * ALTER EXTENSION UPDATE would undo any fix to. A partition or an
 * inheritance child carries copies of its parent's columns, defaults and
 * constraints; those copies are reported once, on the parent.
 */

/** WHERE clause over `pg_namespace n`: user schemas, without the state schema (`$1`). */
export const USER_SCHEMAS = `n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_%' AND n.nspname <> $1`;

/** SQL: no extension owns the object `oid` of the catalog `catalog` (a relation, or a function). */
export function notExtensionMember(oid: string, catalog: 'pg_class' | 'pg_proc' = 'pg_class'): string {
  return `NOT EXISTS (SELECT 1 FROM pg_depend member WHERE member.classid = '${catalog}'::regclass AND member.objid = ${oid} AND member.deptype = 'e')`;
}

/** WHERE clause over `pg_namespace n` and `pg_class c`: a table of a user schema that no extension owns. */
export const USER_TABLE = `${USER_SCHEMAS} AND ${notExtensionMember('c.oid')}`;
