/**
 * The guard's database role: a login that can read what one guard pass reads
 * and cannot change anything, whatever its session does. Created or brought
 * up to date at deploy time (guard-role.ts), after the migrations, in one
 * transaction, by a role that may create roles (the master user) and acts for
 * the migrating role (it is that role, or a member of it):
 *
 *   CREATE ROLE <role> LOGIN PASSWORD '<SCRAM verifier>'   (or ALTER ROLE … LOGIN PASSWORD)
 *   ALTER ROLE <role> SET default_transaction_read_only = on   (defence in depth: it has nothing to write with)
 *   every privilege the role held before is revoked, then:
 *   GRANT CONNECT ON DATABASE <database> TO <role>
 *   per schema the migrations own (role-schemas.ts):
 *     GRANT USAGE ON SCHEMA <s>; GRANT SELECT ON ALL TABLES and ALL SEQUENCES IN SCHEMA <s>, and on later ones
 *   the state schema: USAGE, SELECT on its tables
 *   EXECUTE on <state>.plan_contract(text, text), the contract planner (planner-sql.ts)
 *
 * No INSERT, UPDATE, DELETE, TRUNCATE or CREATE anywhere: a contract that
 * writes is planned by the planner. CREATE on schema public is revoked from
 * PUBLIC (PostgreSQL 13 and 14 grant it to every role; 15 no longer does),
 * and given to the migrating role when it relied on it. Before committing,
 * the role's privileges are read back (role-audit.ts): any way left to write
 * fails the deploy with nothing committed. docs/guide/guard-role.md gives
 * the reasons and what the role may still do.
 */
import { InputError, MigrationError } from '../../engine/errors/errors';
import { quoteIdent } from '../../engine/state/identifiers';
import type { Session } from '../../engine/ports';
import { GUARD_ROLE_NAME_PATTERN } from '../constants';
import { plannerSignature } from '../../checks/contracts/contract-planner';
import { createPlanFunction, ensurePlannerRole, grantPlanner, plannerRoleName, storeContracts, type StoredContract } from './planner-sql';
import { auditRole, refuseWrites } from './role-audit';
import { migrationSchemas, revokeEverything, securePublicSchema } from './role-schemas';

export interface GuardRoleSpec {
  roleName: string;
  /** `SCRAM-SHA-256$…`: the password never reaches the server. */
  verifier: string;
  stateSchema: string;
  /** The role that runs the migrations and owns what they made. @default - the session's own role */
  migrator?: string;
  /** The writing contracts the planner may plan (all others are planned by the guard's role itself). */
  contracts: readonly StoredContract[];
  /**
   * A schema fleet's tenants: read as the migrations' schemas are, their state
   * tables with them (a tenant schema holds one, which keeps it out of
   * `migrationSchemas`), and the tenants the migrating role makes later too.
   * @default - none
   */
  tenantSchemas?: readonly string[];
}

export type GuardRoleOutcome = 'created' | 'updated';

export interface GuardRoleResult {
  outcome: GuardRoleOutcome;
  planner: string;
  /** The schemas the role may read (the migrations' own). */
  schemas: string[];
  /** SECURITY DEFINER functions the role may execute: they run as their owner (role-audit.ts). */
  definers: string[];
}

/** Attributes that would make the role more than a reader: refused on an existing role of that name. */
const POWERS = ['rolsuper', 'rolcreaterole', 'rolcreatedb', 'rolreplication', 'rolbypassrls'] as const;

/** Create or update the role, its planner and their privileges, in one transaction on `session` (lock_timeout 5 s). */
export async function ensureGuardRole(session: Session, spec: GuardRoleSpec): Promise<GuardRoleResult> {
  checkSpec(spec);
  await session.begin({ lockTimeoutMs: 5_000, statementTimeoutMs: 60_000 });
  try {
    const result = await setRole(session, spec);
    await session.commit();
    return result;
  } catch (e) {
    await session.rollback().catch(() => undefined);
    throw e;
  }
}

async function setRole(session: Session, spec: GuardRoleSpec): Promise<GuardRoleResult> {
  const migrator = await migratingRole(session, spec.migrator);
  const planner = plannerRoleName(spec.roleName);
  const outcome = await upsertRole(session, spec);
  // The planner is left as it was apart from what is granted here: it cannot log in, and its privileges are the migrating role's own.
  await ensurePlannerRole(session, planner);
  await securePublicSchema(session, migrator);
  await revokeEverything(session, spec.roleName);
  const tenants = spec.tenantSchemas ?? [];
  const schemas = [...new Set([...(await migrationSchemas(session, migrator, spec.stateSchema)), ...tenants])].sort();
  await grantReads(session, spec, schemas, migrator);
  if (tenants.length) await grantLaterTenants(session, spec.roleName, migrator);
  await grantPlanner(session, planner, schemas, migrator);
  const planning = await schemaExists(session, spec.stateSchema);
  if (planning) {
    await storeContracts(session, spec.stateSchema, planner, spec.roleName, spec.contracts);
    await createPlanFunction(session, spec.stateSchema, planner, spec.roleName);
  }
  const audit = await auditRole(session, spec.roleName, planning ? await regprocedure(session, plannerSignature(spec.stateSchema)) : undefined);
  refuseWrites(spec.roleName, audit);
  return { outcome, planner, schemas, definers: audit.definers };
}

function checkSpec(spec: GuardRoleSpec): void {
  if (!GUARD_ROLE_NAME_PATTERN.test(spec.roleName)) {
    throw new InputError(`guard role name "${spec.roleName}" is not a lowercase PostgreSQL identifier`, {
      value: spec.roleName,
      fix: 'use 1 to 63 lowercase letters, digits or _, starting with a letter or _',
    });
  }
  if (!/^SCRAM-SHA-256\$\d+:[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+:[A-Za-z0-9+/=]+$/.test(spec.verifier)) {
    throw new InputError('the guard role password verifier is not a SCRAM-SHA-256 verifier', { fix: 'compute it with scramSha256Verifier' });
  }
}

/** The migrating role: given (it must exist, and this session must act for it), or the session's own. */
async function migratingRole(session: Session, given: string | undefined): Promise<string> {
  const r = (
    await session.query<{ name: string | null; acts: boolean | null }>(
      `SELECT rolname::text AS name, pg_has_role(current_user, oid, 'USAGE') AS acts FROM pg_roles WHERE rolname = coalesce($1, current_user::text)`,
      [given ?? null],
    )
  ).rows[0];
  if (!r?.name)
    throw new MigrationError(`the migrating role ${given} does not exist`, {
      fix: 'deploy the migrator role first (SchemaMigrations "masterSecret" creates it before the migrations)',
    });
  if (!r.acts) {
    throw new MigrationError(`this session's role may not act for the migrating role ${r.name} (it is not a member of it), so it cannot grant on its tables`, {
      fix: `as the master user: GRANT ${quoteIdent(r.name)} TO CURRENT_USER (the deploy's migrator resource does this)`,
    });
  }
  return r.name;
}

/** CREATE ROLE, or ALTER ROLE when it exists (refusing one with powers or memberships a reader must not have); then the read-only default. */
async function upsertRole(session: Session, spec: GuardRoleSpec): Promise<GuardRoleOutcome> {
  const role = quoteIdent(spec.roleName);
  const found = await session.query<Record<(typeof POWERS)[number], boolean> & { member_of: string[] | string | null }>(
    `SELECT ${POWERS.join(', ')}, ARRAY(SELECT g.rolname::text FROM pg_auth_members m JOIN pg_roles g ON g.oid = m.roleid WHERE m.member = r.oid ORDER BY 1) AS member_of
       FROM pg_roles r WHERE rolname = $1`,
    [spec.roleName],
  );
  const existing = found.rows[0];
  if (existing) refuseMorePowerful(spec.roleName, existing);
  // The verifier is base64 and `$:` only (checked above): no quote can end the literal.
  await session.query(`${existing ? 'ALTER' : 'CREATE'} ROLE ${role} LOGIN PASSWORD '${spec.verifier}'`);
  await session.query(`ALTER ROLE ${role} SET default_transaction_read_only = on`);
  return existing ? 'updated' : 'created';
}

function refuseMorePowerful(roleName: string, existing: Record<(typeof POWERS)[number], boolean> & { member_of: string[] | string | null }): void {
  const powers = POWERS.filter((p) => existing[p]).map((p) => p.replace(/^rol/, '').toUpperCase());
  if (powers.length) {
    throw new MigrationError(`the role ${roleName} already exists with ${powers.join(', ')}: it cannot be the guard's read-only role`, {
      fix: `choose another guard role name (SchemaGuard "roleName"), or remove those attributes (ALTER ROLE ${roleName} NO${powers[0]})`,
    });
  }
  const memberOf =
    typeof existing.member_of === 'string'
      ? existing.member_of
          .replace(/^\{|\}$/g, '')
          .split(',')
          .filter(Boolean)
      : (existing.member_of ?? []);
  if (memberOf.length) {
    throw new MigrationError(
      `the role ${roleName} already exists as a member of ${memberOf.join(', ')}: it would have their privileges, so it cannot be the guard's read-only role`,
      {
        fix: `REVOKE ${memberOf.map(quoteIdent).join(', ')} FROM ${quoteIdent(roleName)}; or choose another guard role name (SchemaGuard "roleName")`,
      },
    );
  }
}

/** CONNECT; USAGE and SELECT on the migrations' schemas, their sequences (sequence-behind reads last_value) and later ones; the state tables. */
async function grantReads(session: Session, spec: GuardRoleSpec, schemas: readonly string[], migrator: string): Promise<void> {
  const role = quoteIdent(spec.roleName);
  const db = (await session.query<{ db: string }>('SELECT current_database() AS db')).rows[0].db;
  await session.query(`GRANT CONNECT ON DATABASE ${quoteIdent(db)} TO ${role}`);
  const owner = quoteIdent(migrator);
  for (const schema of schemas) {
    const s = quoteIdent(schema);
    await session.query(`GRANT USAGE ON SCHEMA ${s} TO ${role}`);
    await session.query(`GRANT SELECT ON ALL TABLES IN SCHEMA ${s} TO ${role}`);
    await session.query(`ALTER DEFAULT PRIVILEGES FOR ROLE ${owner} IN SCHEMA ${s} GRANT SELECT ON TABLES TO ${role}`);
    // SELECT on a sequence reads last_value; nextval needs USAGE or UPDATE, which the role never gets.
    await session.query(`GRANT SELECT ON ALL SEQUENCES IN SCHEMA ${s} TO ${role}`);
    await session.query(`ALTER DEFAULT PRIVILEGES FOR ROLE ${owner} IN SCHEMA ${s} GRANT SELECT ON SEQUENCES TO ${role}`);
  }
  if (await schemaExists(session, spec.stateSchema)) {
    const s = quoteIdent(spec.stateSchema);
    await session.query(`GRANT USAGE ON SCHEMA ${s} TO ${role}`);
    await session.query(`GRANT SELECT ON ALL TABLES IN SCHEMA ${s} TO ${role}`);
    await session.query(`ALTER DEFAULT PRIVILEGES FOR ROLE ${owner} IN SCHEMA ${s} GRANT SELECT ON TABLES TO ${role}`);
  }
}

/**
 * A tenant the migrating role makes after this deploy (its schema, its
 * tables, its state table) is readable at once, without another deploy:
 * default privileges of the migrating role in every schema. Read-only, as
 * every grant here; revoked with the rest by the next deploy, then made again.
 */
async function grantLaterTenants(session: Session, roleName: string, migrator: string): Promise<void> {
  const role = quoteIdent(roleName);
  const owner = quoteIdent(migrator);
  await session.query(`ALTER DEFAULT PRIVILEGES FOR ROLE ${owner} GRANT USAGE ON SCHEMAS TO ${role}`);
  await session.query(`ALTER DEFAULT PRIVILEGES FOR ROLE ${owner} GRANT SELECT ON TABLES TO ${role}`);
  await session.query(`ALTER DEFAULT PRIVILEGES FOR ROLE ${owner} GRANT SELECT ON SEQUENCES TO ${role}`);
}

async function schemaExists(session: Session, schema: string): Promise<boolean> {
  return (await session.query('SELECT 1 FROM pg_namespace WHERE nspname = $1', [schema])).rows.length > 0;
}

async function regprocedure(session: Session, signature: string): Promise<string | undefined> {
  return (await session.query<{ p: string | null }>('SELECT to_regprocedure($1)::text AS p', [signature])).rows[0]?.p ?? undefined;
}
