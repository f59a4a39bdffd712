/**
 * Where the guard's role (and its planner) get privileges, and what they
 * lose first.
 *
 * - The migrations' schemas: those the migrating role owns, or owns a table,
 *   view, sequence or function in; never a system schema, never the state
 *   schema (granted apart), never another schemaguard state schema (a second
 *   service's history, on the same database, under the same owner when both
 *   migrate as the master user).
 * - Everything the role held is revoked first (tables, sequences, schemas,
 *   functions, the database's CREATE and TEMP, default privileges), so that
 *   a grant of an earlier version (DML on every table, every schema) or one
 *   made by hand goes, and only what this deploy grants stays.
 * - CREATE on schema public, which PostgreSQL 13 and 14 give to PUBLIC (so to
 *   every role, the guard's included), is revoked from PUBLIC; the migrating
 *   role gets it explicitly when it is not public's owner. PostgreSQL 15's
 *   default, and the manual's "secure schema usage pattern".
 */
import { quoteIdent } from '../../engine/state/identifiers';
import type { Session } from '../../engine/ports';
import { STATE_TABLE } from '../../engine/state/state';
import { STATE_COLUMNS } from '../../checks/guard/state-access';

/** The schemas the migrations own (see the module comment), in name order. */
export async function migrationSchemas(session: Session, migrator: string, stateSchema: string): Promise<string[]> {
  const r = await session.query<{ nspname: string }>(
    `WITH m AS (SELECT oid FROM pg_roles WHERE rolname = $1)
     SELECT n.nspname::text AS nspname FROM pg_namespace n, m
      WHERE n.nspname NOT LIKE 'pg\\_%' AND n.nspname <> 'information_schema' AND n.nspname <> $2
        AND (n.nspowner = m.oid
             OR EXISTS (SELECT 1 FROM pg_class c WHERE c.relnamespace = n.oid AND c.relowner = m.oid)
             OR EXISTS (SELECT 1 FROM pg_proc p WHERE p.pronamespace = n.oid AND p.proowner = m.oid))
        AND NOT EXISTS (
          SELECT 1 FROM pg_class s WHERE s.relnamespace = n.oid AND s.relname = $3 AND s.relkind IN ('r', 'p')
             AND (SELECT count(*) FROM pg_attribute a WHERE a.attrelid = s.oid AND NOT a.attisdropped AND a.attname = ANY ($4::text[])) = cardinality($4::text[]))
      ORDER BY 1`,
    [migrator, stateSchema, STATE_TABLE, STATE_COLUMNS],
  );
  return r.rows.map((row) => row.nspname);
}

/**
 * Every privilege `role` holds revoked: ON ALL TABLES / SEQUENCES / FUNCTIONS
 * of each schema it holds one in, the schemas' own, the database's CREATE and
 * TEMP (CONNECT is granted again), and default privileges that name it (of
 * the roles this session acts for). A grant this session may not revoke stays,
 * and the audit names it if it is a write.
 */
export async function revokeEverything(session: Session, role: string): Promise<void> {
  const r = quoteIdent(role);
  const schemas = (
    await session.query<{ nspname: string; own: boolean }>(
      `WITH g AS (SELECT oid FROM pg_roles WHERE rolname = $1)
     SELECT n.nspname::text AS nspname, EXISTS (SELECT 1 FROM aclexplode(n.nspacl) a WHERE a.grantee = g.oid) AS own
       FROM pg_namespace n, g
      WHERE n.nspname NOT LIKE 'pg\\_temp\\_%' AND n.nspname NOT LIKE 'pg\\_toast%'
        AND (EXISTS (SELECT 1 FROM aclexplode(n.nspacl) a WHERE a.grantee = g.oid)
             OR EXISTS (SELECT 1 FROM pg_class c, aclexplode(c.relacl) a WHERE c.relnamespace = n.oid AND a.grantee = g.oid)
             OR EXISTS (SELECT 1 FROM pg_proc p, aclexplode(p.proacl) a WHERE p.pronamespace = n.oid AND a.grantee = g.oid))
      ORDER BY 1`,
      [role],
    )
  ).rows;
  for (const { nspname, own } of schemas) {
    const s = quoteIdent(nspname);
    await session.query(`REVOKE ALL ON ALL TABLES IN SCHEMA ${s} FROM ${r}`);
    await session.query(`REVOKE ALL ON ALL SEQUENCES IN SCHEMA ${s} FROM ${r}`);
    await session.query(`REVOKE ALL ON ALL FUNCTIONS IN SCHEMA ${s} FROM ${r}`);
    if (own) await session.query(`REVOKE ALL ON SCHEMA ${s} FROM ${r}`);
  }
  const db = (await session.query<{ db: string }>('SELECT current_database() AS db')).rows[0].db;
  await session.query(`REVOKE CREATE, TEMPORARY ON DATABASE ${quoteIdent(db)} FROM ${r}`);
  await revokeDefaults(session, role);
}

const DEFAULT_KINDS: Record<string, string> = { r: 'TABLES', S: 'SEQUENCES', f: 'FUNCTIONS', T: 'TYPES', n: 'SCHEMAS' };

/** ALTER DEFAULT PRIVILEGES … REVOKE ALL … FROM role, for each entry naming it that this session may change. */
async function revokeDefaults(session: Session, role: string): Promise<void> {
  const rows = (
    await session.query<{ owner: string; schema: string | null; kind: string }>(
      `WITH g AS (SELECT oid FROM pg_roles WHERE rolname = $1)
     SELECT o.rolname::text AS owner, n.nspname::text AS schema, d.defaclobjtype::text AS kind
       FROM pg_default_acl d JOIN pg_roles o ON o.oid = d.defaclrole LEFT JOIN pg_namespace n ON n.oid = d.defaclnamespace, g
      WHERE EXISTS (SELECT 1 FROM aclexplode(d.defaclacl) a WHERE a.grantee = g.oid) AND pg_has_role(current_user, o.oid, 'MEMBER')
      ORDER BY 1, 2, 3`,
      [role],
    )
  ).rows;
  for (const d of rows) {
    const kind = DEFAULT_KINDS[d.kind];
    if (!kind) continue;
    // Schema-wide defaults on SCHEMAS do not exist: those entries are always global.
    const where = d.schema && kind !== 'SCHEMAS' ? ` IN SCHEMA ${quoteIdent(d.schema)}` : '';
    await session.query(`ALTER DEFAULT PRIVILEGES FOR ROLE ${quoteIdent(d.owner)}${where} REVOKE ALL ON ${kind} FROM ${quoteIdent(role)}`);
  }
}

/**
 * No CREATE on schema public for PUBLIC (PostgreSQL 13 and 14 grant it); the
 * migrating role keeps creating there, by a grant of its own unless it owns
 * the schema. Needs public's owner's rights: without them the REVOKE is a
 * warning, and the audit names CREATE on public as the guard's write.
 */
export async function securePublicSchema(session: Session, migrator: string): Promise<void> {
  const r = (
    await session.query<{ public_create: boolean; migrator_owns: boolean }>(
      `SELECT EXISTS (SELECT 1 FROM aclexplode(n.nspacl) a WHERE a.grantee = 0 AND a.privilege_type = 'CREATE') AS public_create,
            pg_has_role($1, n.nspowner, 'USAGE') AS migrator_owns
       FROM pg_namespace n WHERE n.nspname = 'public'`,
      [migrator],
    )
  ).rows[0];
  if (!r?.public_create) return;
  if (!r.migrator_owns) await session.query(`GRANT USAGE, CREATE ON SCHEMA public TO ${quoteIdent(migrator)}`);
  await session.query('REVOKE CREATE ON SCHEMA public FROM PUBLIC');
}
