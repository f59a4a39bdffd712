/**
 * An existing database whose objects the master user owns (it was migrated
 * as the master, or made by hand): the migrations need to own what they
 * alter (ALTER TABLE, CREATE INDEX, DROP and COMMENT need ownership), so what
 * the master owns in the migrations' schemas is handed to the migrator —
 * the schema itself, its tables, views, materialized views, foreign tables,
 * sequences of their own, functions, procedures, aggregates, and types
 * (enums, domains, ranges, composites). Grants on them stay (a grant the
 * master made reads as made by the new owner); an owned sequence and the
 * indexes follow their table. An extension's members are left to the
 * extension; so is anything owned by a role other than the master (the
 * migrator needs membership in that role: docs/guide/roles.md).
 *
 * The alternative, making the migrator a member of the master user, would
 * give it the master's every power (rds_superuser on RDS): refused, never done.
 */
import { quoteIdent } from '../../engine/state/identifiers';
import type { Session } from '../../engine/ports';

/** How many objects of each kind changed owner. */
export type Adopted = Record<string, number>;

/** `ALTER … OWNER TO` the migrator for every object the session's role (the master) owns in `schemas`. */
export async function adoptSchemas(session: Session, migrator: string, schemas: readonly string[]): Promise<Adopted> {
  const adopted: Adopted = {};
  const rows = (await session.query<{ kind: string; target: string }>(OWNED_SQL, [schemas])).rows;
  for (const { kind, target } of rows) {
    await session.query(`ALTER ${kind} ${target} OWNER TO ${quoteIdent(migrator)}`);
    adopted[kind] = (adopted[kind] ?? 0) + 1;
  }
  return adopted;
}

// The schema first (its new owner may then own what is in it), then what is in it; never an extension's member.
const OWNED_SQL = `
WITH s AS (SELECT oid, nspname, nspowner FROM pg_namespace WHERE nspname = ANY ($1::text[])),
me AS (SELECT oid FROM pg_roles WHERE rolname = current_user),
ext AS (SELECT classid, objid FROM pg_depend WHERE deptype = 'e')
SELECT 'SCHEMA' AS kind, quote_ident(s.nspname) AS target, 0 AS ord FROM s, me WHERE s.nspowner = me.oid
UNION ALL
SELECT CASE c.relkind WHEN 'v' THEN 'VIEW' WHEN 'm' THEN 'MATERIALIZED VIEW' WHEN 'f' THEN 'FOREIGN TABLE' WHEN 'S' THEN 'SEQUENCE' ELSE 'TABLE' END,
       format('%I.%I', s.nspname, c.relname), 1
  FROM pg_class c JOIN s ON s.oid = c.relnamespace, me
 WHERE c.relowner = me.oid AND c.relkind IN ('r', 'p', 'v', 'm', 'f', 'S')
   AND NOT EXISTS (SELECT 1 FROM ext WHERE ext.classid = 'pg_class'::regclass AND ext.objid = c.oid)
   -- A sequence owned by a column (serial, identity) follows its table.
   AND NOT (c.relkind = 'S' AND EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype IN ('a', 'i')))
UNION ALL
SELECT CASE p.prokind WHEN 'p' THEN 'PROCEDURE' WHEN 'a' THEN 'AGGREGATE' ELSE 'FUNCTION' END, p.oid::regprocedure::text, 2
  FROM pg_proc p JOIN s ON s.oid = p.pronamespace, me
 WHERE p.proowner = me.oid AND NOT EXISTS (SELECT 1 FROM ext WHERE ext.classid = 'pg_proc'::regclass AND ext.objid = p.oid)
UNION ALL
SELECT CASE t.typtype WHEN 'd' THEN 'DOMAIN' ELSE 'TYPE' END, format('%I.%I', s.nspname, t.typname), 3
  FROM pg_type t JOIN s ON s.oid = t.typnamespace, me
 WHERE t.typowner = me.oid AND t.typtype IN ('e', 'd', 'r', 'c') AND t.typelem = 0
   AND (t.typtype <> 'c' OR (SELECT relkind FROM pg_class WHERE oid = t.typrelid) = 'c')
   AND NOT EXISTS (SELECT 1 FROM ext WHERE ext.classid = 'pg_type'::regclass AND ext.objid = t.oid)
ORDER BY 3, 1, 2`;
