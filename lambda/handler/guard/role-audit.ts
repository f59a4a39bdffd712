/**
 * What the guard's role could change, read from the catalog after its
 * privileges are set and before they are committed: every table, view or
 * sequence it may write to (in a schema it may use), every schema and the
 * database it may create objects in, every role it is a member of, and the
 * default privileges that would give it a write on tables made later. One of
 * them and the deploy fails, naming each and the fix, with nothing committed:
 * the role's claim is that no session of it can change anything, and that is
 * what the deploy checks, not what it meant to grant.
 *
 * SECURITY DEFINER functions of the database that the role may execute (PUBLIC
 * may execute a function unless revoked) run as their owner: each is named
 * in a warning, since the deploy cannot tell whether it writes. The planner's
 * own function is not among them (it cannot write: docs/guide/guard-role.md).
 *
 * Left out, because PostgreSQL gives them to every role and no privilege takes
 * them away: the role's own password and session defaults (ALTER ROLE of
 * itself), temporary tables, large objects it creates itself, NOTIFY and
 * advisory locks. None of them changes an object of another role.
 */
import { MigrationError } from '../../engine/errors/errors';
import type { Session } from '../../engine/ports';
import { DOCS_POINTERS } from '../../engine/errors/docs-pointers';

/** Table privileges that change rows or the table (MAINTAIN, PostgreSQL 17+, refreshes a materialized view). */
const TABLE_WRITES = ['INSERT', 'UPDATE', 'DELETE', 'TRUNCATE', 'REFERENCES', 'TRIGGER'];

export interface RoleAudit {
  /** `object: privileges`, each a way the role could write. */
  writes: string[];
  /** SECURITY DEFINER functions the role may execute (`schema.name(args) owned by x`). */
  definers: string[];
}

/** The role's ways to write, and the definer functions it may call; `except`: the planner's function (regprocedure text). */
export async function auditRole(session: Session, role: string, except: string | undefined): Promise<RoleAudit> {
  const major = Math.floor(Number((await session.query<{ v: string }>("SELECT current_setting('server_version_num') AS v")).rows[0].v) / 10000);
  const privileges = major >= 17 ? [...TABLE_WRITES, 'MAINTAIN'] : TABLE_WRITES;
  const rows = (await session.query<{ line: string }>(AUDIT_SQL, [role, privileges])).rows.map((r) => r.line);
  const definers = (await session.query<{ fn: string }>(DEFINERS_SQL, [role, except ?? ''])).rows.map((r) => r.fn);
  return { writes: rows, definers };
}

/** Throws, naming every way the role could write, when there is one. */
export function refuseWrites(role: string, audit: RoleAudit): void {
  if (!audit.writes.length) return;
  const shown = audit.writes.slice(0, 10).join('; ');
  const more = audit.writes.length > 10 ? `; and ${audit.writes.length - 10} more` : '';
  throw new MigrationError(`the guard's role ${role} could still change the database: ${shown}${more}; nothing was committed`, {
    fix: `revoke each from the role, or from PUBLIC where PUBLIC has it (REVOKE INSERT ON s.t FROM PUBLIC; REVOKE CREATE ON SCHEMA public FROM PUBLIC, the default before PostgreSQL 15), as the object's owner, and deploy again (${DOCS_POINTERS.guardRoleHolds} lists what the role may do)`,
  });
}

// Relations in temporary schemas are the session's own; the catalogs' privileges are no role's to hold.
const AUDIT_SQL = `
WITH r AS (SELECT oid FROM pg_roles WHERE rolname = $1),
rel AS (
  SELECT format('%s %s', CASE c.relkind WHEN 'S' THEN 'sequence' WHEN 'v' THEN 'view' WHEN 'm' THEN 'materialized view' ELSE 'table' END, c.oid::regclass) AS object,
         ARRAY(SELECT p FROM unnest($2::text[]) AS p
                WHERE c.relkind <> 'S' AND CASE WHEN p IN ('INSERT', 'UPDATE', 'REFERENCES') THEN has_any_column_privilege(r.oid, c.oid, p) ELSE has_table_privilege(r.oid, c.oid, p) END
               UNION ALL
               SELECT p FROM unnest(ARRAY['USAGE', 'UPDATE']) AS p WHERE c.relkind = 'S' AND has_sequence_privilege(r.oid, c.oid, p)) AS privileges
    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace, r
   WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f', 'S')
     AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_temp\\_%' AND n.nspname NOT LIKE 'pg\\_toast%'
     AND has_schema_privilege(r.oid, n.oid, 'USAGE'))
SELECT format('%s: %s', object, array_to_string(privileges, ', ')) AS line FROM rel WHERE cardinality(privileges) > 0
UNION ALL
SELECT format('schema %I: CREATE', n.nspname) FROM pg_namespace n, r
 WHERE n.nspname NOT LIKE 'pg\\_temp\\_%' AND n.nspname NOT LIKE 'pg\\_toast%' AND has_schema_privilege(r.oid, n.oid, 'CREATE')
UNION ALL
SELECT format('database %I: CREATE', current_database()) FROM r WHERE has_database_privilege(r.oid, current_database(), 'CREATE')
UNION ALL
SELECT format('member of role %I', g.rolname) FROM pg_auth_members m JOIN pg_roles g ON g.oid = m.roleid, r WHERE m.member = r.oid
UNION ALL
SELECT format('default privileges of role %I%s: %s on new %s', o.rolname, coalesce(' in schema ' || quote_ident(dn.nspname), ''), a.privilege_type,
              CASE d.defaclobjtype WHEN 'r' THEN 'tables' WHEN 'S' THEN 'sequences' WHEN 'n' THEN 'schemas' WHEN 'f' THEN 'functions' WHEN 'T' THEN 'types' ELSE d.defaclobjtype::text END)
  FROM pg_default_acl d JOIN pg_roles o ON o.oid = d.defaclrole LEFT JOIN pg_namespace dn ON dn.oid = d.defaclnamespace,
       aclexplode(d.defaclacl) a, r
 WHERE a.grantee = r.oid AND a.privilege_type <> 'SELECT'
   -- USAGE on a sequence is nextval; on a schema, a function or a type it changes nothing.
   AND NOT (d.defaclobjtype IN ('n', 'f', 'T') AND a.privilege_type IN ('USAGE', 'EXECUTE'))
ORDER BY 1`;

const DEFINERS_SQL = `
SELECT format('%s owned by %I', p.oid::regprocedure, o.rolname) AS fn
  FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace JOIN pg_roles o ON o.oid = p.proowner
 WHERE p.prosecdef AND n.nspname NOT IN ('pg_catalog', 'information_schema')
   AND has_schema_privilege($1, n.oid, 'USAGE') AND has_function_privilege($1, p.oid, 'EXECUTE')
   AND p.oid::regprocedure::text <> $2
 ORDER BY 1`;
