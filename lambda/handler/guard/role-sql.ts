/**
 * The guard's database role: a login that can run one guard pass and, in
 * every session it opens, cannot write. Created or brought up to date by the
 * migration handler at deploy time (guard-role.ts), as the master user, in
 * one transaction:
 *
 *   CREATE ROLE <role> LOGIN PASSWORD '<SCRAM verifier>'   (or ALTER ROLE … LOGIN PASSWORD)
 *   ALTER ROLE <role> SET default_transaction_read_only = on
 *   GRANT CONNECT ON DATABASE <database> TO <role>
 *   per application schema:
 *     GRANT USAGE ON SCHEMA <s> TO <role>
 *     GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA <s> TO <role>
 *     ALTER DEFAULT PRIVILEGES IN SCHEMA <s> GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO <role>
 *     GRANT SELECT ON ALL SEQUENCES IN SCHEMA <s> TO <role>            (sequence-behind reads last_value)
 *     ALTER DEFAULT PRIVILEGES IN SCHEMA <s> GRANT SELECT ON SEQUENCES TO <role>
 *   the state schema:
 *     GRANT USAGE ON SCHEMA <state> TO <role>
 *     GRANT SELECT ON ALL TABLES IN SCHEMA <state> TO <role>
 *     ALTER DEFAULT PRIVILEGES IN SCHEMA <state> GRANT SELECT ON TABLES TO <role>
 *
 * Why the application's DML privileges on a read-only role: a contract is
 * checked with PREPARE and EXPLAIN EXECUTE, and EXPLAIN checks the
 * statement's privileges as execution would (an INSERT contract needs INSERT
 * on its table, or EXPLAIN fails with "permission denied"). What keeps the
 * role from writing is `default_transaction_read_only = on` (every
 * transaction it starts is READ ONLY: an INSERT fails with 25006) and the
 * guard's own READ ONLY transactions; a client holding the password could
 * turn the setting off in its own session, which is why the password lives in
 * Secrets Manager, readable only by the guard and the migration handler.
 * Nothing is granted on the catalog (readable by every role) or on functions
 * (EXECUTE is PUBLIC's by default).
 *
 * The default privileges apply to tables the master (the user the migrations
 * run as) creates later; the resource also runs again after every deploy that
 * changes the migrations, so new schemas are covered too.
 */
import { InputError, MigrationError } from '../../engine/errors';
import { quoteIdent } from '../../engine/identifiers';
import type { Session } from '../../engine/ports';
import { GUARD_ROLE_NAME_PATTERN } from '../constants';

export interface GuardRoleSpec {
  roleName: string;
  /** `SCRAM-SHA-256$…`: the password never reaches the server. */
  verifier: string;
  stateSchema: string;
}

export type GuardRoleOutcome = 'created' | 'updated';

/** Attributes that would make the role more than a reader: refused on an existing role of that name. */
const POWERS = ['rolsuper', 'rolcreaterole', 'rolcreatedb', 'rolreplication', 'rolbypassrls'] as const;

/** Create or update the role and its privileges, in one transaction on `session` (lock_timeout 5 s). */
export async function ensureGuardRole(session: Session, spec: GuardRoleSpec): Promise<GuardRoleOutcome> {
  checkSpec(spec);
  await session.begin({ lockTimeoutMs: 5_000, statementTimeoutMs: 60_000 });
  try {
    const outcome = await upsertRole(session, spec);
    await grantPrivileges(session, spec);
    await session.commit();
    return outcome;
  } catch (e) {
    await session.rollback().catch(() => undefined);
    throw e;
  }
}

function checkSpec(spec: GuardRoleSpec): void {
  if (!GUARD_ROLE_NAME_PATTERN.test(spec.roleName)) {
    throw new InputError(`guard role name "${spec.roleName}" is not a lowercase PostgreSQL identifier`, { value: spec.roleName, fix: 'use 1 to 63 lowercase letters, digits or _, starting with a letter or _' });
  }
  if (!/^SCRAM-SHA-256\$\d+:[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+:[A-Za-z0-9+/=]+$/.test(spec.verifier)) {
    throw new InputError('the guard role password verifier is not a SCRAM-SHA-256 verifier', { fix: 'compute it with scramSha256Verifier' });
  }
}

/** CREATE ROLE, or ALTER ROLE when it exists (refusing one with powers a reader must not have); then the read-only default. */
async function upsertRole(session: Session, spec: GuardRoleSpec): Promise<GuardRoleOutcome> {
  const role = quoteIdent(spec.roleName);
  const found = await session.query<Record<(typeof POWERS)[number], boolean>>(`SELECT ${POWERS.join(', ')} FROM pg_roles WHERE rolname = $1`, [spec.roleName]);
  const existing = found.rows[0];
  if (existing) {
    const powers = POWERS.filter((p) => existing[p]).map((p) => p.replace(/^rol/, '').toUpperCase());
    if (powers.length) {
      throw new MigrationError(`the role ${spec.roleName} already exists with ${powers.join(', ')}: it cannot be the guard's read-only role`, {
        fix: `choose another guard role name (SchemaGuard "roleName"), or remove those attributes (ALTER ROLE ${spec.roleName} NO${powers[0]})`,
      });
    }
  }
  // The verifier is base64 and `$:` only (checked above): no quote can end the literal.
  await session.query(`${existing ? 'ALTER' : 'CREATE'} ROLE ${role} LOGIN PASSWORD '${spec.verifier}'`);
  await session.query(`ALTER ROLE ${role} SET default_transaction_read_only = on`);
  return existing ? 'updated' : 'created';
}

/** CONNECT on this database, DML on the application's tables, SELECT on the state tables; the same for tables made later. */
async function grantPrivileges(session: Session, spec: GuardRoleSpec): Promise<void> {
  const role = quoteIdent(spec.roleName);
  const db = (await session.query<{ db: string }>('SELECT current_database() AS db')).rows[0]!.db;
  await session.query(`GRANT CONNECT ON DATABASE ${quoteIdent(db)} TO ${role}`);
  for (const schema of await applicationSchemas(session, spec.stateSchema)) {
    const s = quoteIdent(schema);
    await session.query(`GRANT USAGE ON SCHEMA ${s} TO ${role}`);
    await session.query(`GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA ${s} TO ${role}`);
    await session.query(`ALTER DEFAULT PRIVILEGES IN SCHEMA ${s} GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO ${role}`);
    // sequence-behind reads each key sequence's last_value; ON ALL TABLES does not cover sequences. SELECT gives no nextval.
    await session.query(`GRANT SELECT ON ALL SEQUENCES IN SCHEMA ${s} TO ${role}`);
    await session.query(`ALTER DEFAULT PRIVILEGES IN SCHEMA ${s} GRANT SELECT ON SEQUENCES TO ${role}`);
  }
  if (await schemaExists(session, spec.stateSchema)) {
    const s = quoteIdent(spec.stateSchema);
    await session.query(`GRANT USAGE ON SCHEMA ${s} TO ${role}`);
    await session.query(`GRANT SELECT ON ALL TABLES IN SCHEMA ${s} TO ${role}`);
    await session.query(`ALTER DEFAULT PRIVILEGES IN SCHEMA ${s} GRANT SELECT ON TABLES TO ${role}`);
  }
}

/** Every schema of the database but the system's and the state schema, in name order. */
async function applicationSchemas(session: Session, stateSchema: string): Promise<string[]> {
  const r = await session.query<{ nspname: string }>(
    `SELECT nspname FROM pg_namespace
      WHERE nspname NOT LIKE 'pg\\_%' AND nspname <> 'information_schema' AND nspname <> $1
      ORDER BY nspname`,
    [stateSchema],
  );
  return r.rows.map((row) => row.nspname);
}

async function schemaExists(session: Session, schema: string): Promise<boolean> {
  return (await session.query('SELECT 1 FROM pg_namespace WHERE nspname = $1', [schema])).rows.length > 0;
}
