/**
 * The migrator: the role the migrations run as instead of the master user.
 * Made by the deploy before the migrations (role.ts), as the master user, in
 * one transaction:
 *
 *   CREATE ROLE <migrator> LOGIN PASSWORD '<SCRAM verifier>'   (no attribute: no SUPERUSER, CREATEROLE, CREATEDB, REPLICATION, BYPASSRLS)
 *   GRANT <migrator> TO <master>                    (the master acts for it: grants on its tables, the guard's role)
 *   GRANT CONNECT, CREATE, TEMPORARY ON DATABASE <database> TO <migrator>   (CREATE: schemas, and trusted extensions)
 *   GRANT USAGE, CREATE ON SCHEMA public TO <migrator>; REVOKE CREATE ON SCHEMA public FROM PUBLIC
 *   CREATE EXTENSION IF NOT EXISTS <each of `extensions`>   (the ones only the master may create)
 *   what the master owns in the migrations' schemas becomes the migrator's (adopt.ts)
 *
 * Never a member of the master user, of rds_superuser or of a predefined
 * pg_* role: checked after it is set, and the deploy fails with nothing
 * committed if it is (an existing role of that name made so by hand).
 */
import { InputError, MigrationError } from '../../engine/errors/errors';
import { quoteIdent } from '../../engine/state/identifiers';
import type { Session } from '../../engine/ports';
import { EXTENSION_NAME_PATTERN, GUARD_ROLE_NAME_PATTERN } from '../constants';
import { securePublicSchema } from '../guard/role-schemas';
import { adoptSchemas, type Adopted } from './adopt';
import { DOCS_POINTERS } from '../../engine/errors/docs-pointers';

export interface MigratorRoleSpec {
  roleName: string;
  /** `SCRAM-SHA-256$…`: the password never reaches the server. */
  verifier: string;
  /** Schemas whose objects the master owns and the migrator takes over (the state schema is added). */
  schemas: readonly string[];
  stateSchema: string;
  /** Extensions the master creates first (RDS lets only rds_superuser create the ones it does not trust). */
  extensions: readonly string[];
}

export interface MigratorRoleResult {
  outcome: 'created' | 'updated';
  adopted: Adopted;
}

const POWERS = ['rolsuper', 'rolcreaterole', 'rolcreatedb', 'rolreplication', 'rolbypassrls'] as const;

export async function ensureMigratorRole(session: Session, spec: MigratorRoleSpec): Promise<MigratorRoleResult> {
  checkSpec(spec);
  await session.begin({ lockTimeoutMs: 5_000, statementTimeoutMs: 120_000 });
  try {
    // A role of that name made by hand: refused before anything is changed (or tried, which PostgreSQL 16 may refuse first).
    await refuseStrongMemberships(session, spec.roleName);
    const outcome = await upsertMigrator(session, spec);
    await grantMigrator(session, spec.roleName);
    for (const extension of spec.extensions) await session.query(`CREATE EXTENSION IF NOT EXISTS ${quoteIdent(extension)}`);
    const adopted = await adoptSchemas(session, spec.roleName, [...new Set([...spec.schemas, spec.stateSchema])]);
    await refuseStrongMemberships(session, spec.roleName);
    await session.commit();
    return { outcome, adopted };
  } catch (e) {
    await session.rollback().catch(() => undefined);
    throw e;
  }
}

function checkSpec(spec: MigratorRoleSpec): void {
  if (!GUARD_ROLE_NAME_PATTERN.test(spec.roleName)) {
    throw new InputError(`migrator role name "${spec.roleName}" is not a lowercase PostgreSQL identifier`, {
      value: spec.roleName,
      fix: 'use 1 to 63 lowercase letters, digits or _, starting with a letter or _',
    });
  }
  if (!/^SCRAM-SHA-256\$\d+:[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+:[A-Za-z0-9+/=]+$/.test(spec.verifier)) {
    throw new InputError('the migrator role password verifier is not a SCRAM-SHA-256 verifier', { fix: 'compute it with scramSha256Verifier' });
  }
  const bad = spec.extensions.find((e) => !EXTENSION_NAME_PATTERN.test(e));
  if (bad !== undefined)
    throw new InputError(`extension name ${JSON.stringify(bad)} is not one CREATE EXTENSION takes`, {
      value: bad,
      fix: 'use the name pg_available_extensions lists, e.g. pg_stat_statements',
    });
}

/** CREATE ROLE, or ALTER ROLE … LOGIN PASSWORD when it exists without attributes; one with SUPERUSER, CREATEROLE, … is refused. */
async function upsertMigrator(session: Session, spec: MigratorRoleSpec): Promise<'created' | 'updated'> {
  const role = quoteIdent(spec.roleName);
  const existing = (
    await session.query<Record<(typeof POWERS)[number], boolean>>(`SELECT ${POWERS.join(', ')} FROM pg_roles WHERE rolname = $1`, [spec.roleName])
  ).rows[0];
  const powers = existing ? POWERS.filter((p) => existing[p]).map((p) => p.replace(/^rol/, '').toUpperCase()) : [];
  if (powers.length) {
    throw new MigrationError(`the role ${spec.roleName} already exists with ${powers.join(', ')}: the migrations' role has none of those`, {
      fix: `remove them (ALTER ROLE ${spec.roleName} NO${powers[0]}), or choose another migrator role name (SchemaMigrations "migratorRoleName")`,
    });
  }
  // The verifier is base64 and `$:` only (checked above): no quote can end the literal.
  await session.query(`${existing ? 'ALTER' : 'CREATE'} ROLE ${role} LOGIN PASSWORD '${spec.verifier}'`);
  return existing ? 'updated' : 'created';
}

/** The master acts for the migrator; the migrator may connect, create schemas and trusted extensions, and create in public. */
async function grantMigrator(session: Session, migrator: string): Promise<void> {
  const role = quoteIdent(migrator);
  const member = (await session.query<{ m: boolean }>(`SELECT pg_has_role(current_user, $1, 'USAGE') AS m`, [migrator])).rows[0]?.m;
  if (!member) await session.query(`GRANT ${role} TO CURRENT_USER`);
  const db = (await session.query<{ db: string }>('SELECT current_database() AS db')).rows[0].db;
  await session.query(`GRANT CONNECT, CREATE, TEMPORARY ON DATABASE ${quoteIdent(db)} TO ${role}`);
  const publicSchema = (
    await session.query<{ owns: boolean }>(`SELECT pg_has_role($1, nspowner, 'USAGE') AS owns FROM pg_namespace WHERE nspname = 'public'`, [migrator])
  ).rows[0];
  if (publicSchema && !publicSchema.owns) await session.query(`GRANT USAGE, CREATE ON SCHEMA public TO ${role}`);
  await securePublicSchema(session, migrator);
}

/** A migrator that is a member (directly or not) of the master user, rds_superuser, a predefined pg_* role or a role with an attribute: refused. */
async function refuseStrongMemberships(session: Session, migrator: string): Promise<void> {
  const strong = (
    await session.query<{ name: string }>(
      `SELECT g.rolname::text AS name FROM pg_roles g, pg_roles m
      -- pg_database_owner's members are the database's owner, implicitly: it follows from a membership named here.
      WHERE m.rolname = $1 AND g.oid <> m.oid AND g.rolname <> 'pg_database_owner' AND pg_has_role(m.oid, g.oid, 'MEMBER')
        AND (g.rolsuper OR g.rolcreaterole OR g.rolcreatedb OR g.rolreplication OR g.rolbypassrls
             OR g.rolname = 'rds_superuser' OR g.rolname LIKE 'pg\\_%' OR g.oid = (SELECT oid FROM pg_roles WHERE rolname = current_user))
      ORDER BY 1`,
      [migrator],
    )
  ).rows.map((r) => r.name);
  if (!strong.length) return;
  throw new MigrationError(
    `the migrator ${migrator} is a member of ${strong.join(', ')}: it would have their powers (the master user's, rds_superuser's), which is what a migrator is for avoiding; nothing was committed`,
    {
      fix: `REVOKE ${strong.map(quoteIdent).join(', ')} FROM ${quoteIdent(migrator)}; then deploy again (${DOCS_POINTERS.migrator})`,
    },
  );
}
