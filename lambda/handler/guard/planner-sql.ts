/**
 * The contract planner the deploy makes beside the guard's role
 * (lambda/checks/contracts/contract-planner.ts says how the guard calls it, and
 * docs/guide/guard-role.md why it is built so):
 *
 *   CREATE ROLE <guard>_planner NOLOGIN                  (no password, no attribute, no membership)
 *   per schema of the migrations: GRANT USAGE, and SELECT, INSERT, UPDATE, DELETE on its tables (and later ones)
 *   <state>.guard_contracts (name, statement, checksum): the writing contracts the deploy ships, SELECT for the planner only
 *   <state>.plan_contract(text, text) SECURITY DEFINER, owned by the planner, EXECUTE for the guard's role only
 *
 * The function takes a contract's name and the sha-256 of its text, never
 * SQL. Before anything else it makes the transaction read-only
 * (`set_config('transaction_read_only', 'on', true)`: no transaction can go
 * back to read-write after its first query), so a function the planner
 * evaluates while planning (IMMUTABLE and STABLE ones are evaluated at plan
 * time, measured on PostgreSQL 15 and 18) cannot write as the planner; it
 * refuses a session with temporary objects, which could stand in for the
 * contract's tables or types; its search_path is pinned, pg_temp last; and it
 * plans with EXPLAIN, never ANALYZE. Its prepared statement is deallocated
 * before it returns, and would be useless to the caller anyway: a prepared
 * statement's privileges are checked as the user that executes it.
 */
import { createHash } from 'node:crypto';
import { PLANNER, contractChecksum } from '../../checks/contracts/contract-planner';
import { MigrationError } from '../../engine/errors/errors';
import { quoteIdent } from '../../engine/state/identifiers';
import type { Session } from '../../engine/ports';

/** A writing contract as the deploy stores it. */
export interface StoredContract {
  name: string;
  statement: string;
}

/** `<guard>_planner`, cut and given 8 hex digits of the guard's name when that passes 63 bytes. */
export function plannerRoleName(guardRole: string): string {
  const plain = `${guardRole}_planner`;
  if (plain.length <= 63) return plain;
  const hash = createHash('sha256').update(guardRole).digest('hex').slice(0, 8);
  return `${guardRole.slice(0, 63 - '_planner'.length - hash.length - 1)}_${hash}_planner`;
}

const POWERS = ['rolcanlogin', 'rolsuper', 'rolcreaterole', 'rolcreatedb', 'rolreplication', 'rolbypassrls'] as const;

/** CREATE ROLE … NOLOGIN, or refuse an existing role of that name that can log in or has an attribute. */
export async function ensurePlannerRole(session: Session, planner: string): Promise<void> {
  const found = (await session.query<Record<(typeof POWERS)[number], boolean>>(`SELECT ${POWERS.join(', ')} FROM pg_roles WHERE rolname = $1`, [planner]))
    .rows[0];
  if (!found) {
    await session.query(`CREATE ROLE ${quoteIdent(planner)} NOLOGIN`);
    return;
  }
  const powers = POWERS.filter((p) => found[p]).map((p) => p.replace(/^rol/, '').toUpperCase());
  if (powers.length) {
    throw new MigrationError(
      `the role ${planner} already exists with ${powers.join(', ')}: it cannot be the guard's contract planner (a role without login or attributes)`,
      {
        fix: `remove those attributes (ALTER ROLE ${planner} NO${powers[0] === 'CANLOGIN' ? 'LOGIN' : powers[0]}), or drop the role (DROP OWNED BY ${planner}; DROP ROLE ${planner}) and deploy again`,
      },
    );
  }
}

/** The planner's privileges on the migrations' schemas: what planning their writes needs, on the tables there now and later. */
export async function grantPlanner(session: Session, planner: string, schemas: readonly string[], migrator: string): Promise<void> {
  const role = quoteIdent(planner);
  for (const schema of schemas) {
    const s = quoteIdent(schema);
    await session.query(`GRANT USAGE ON SCHEMA ${s} TO ${role}`);
    await session.query(`GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA ${s} TO ${role}`);
    await session.query(`ALTER DEFAULT PRIVILEGES FOR ROLE ${quoteIdent(migrator)} IN SCHEMA ${s} GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO ${role}`);
  }
}

/** The contracts table, holding exactly `contracts` (the ones shipped with this deploy), readable by the planner alone (not the guard: it reads the state schema's other tables). */
export async function storeContracts(
  session: Session,
  stateSchema: string,
  planner: string,
  guardRole: string,
  contracts: readonly StoredContract[],
): Promise<void> {
  const table = `${quoteIdent(stateSchema)}.${quoteIdent(PLANNER.table)}`;
  await session.query(`CREATE TABLE IF NOT EXISTS ${table} (name text PRIMARY KEY, statement text NOT NULL, checksum text NOT NULL)`);
  await session.query(`DELETE FROM ${table}`);
  for (const c of contracts) {
    await session.query(`INSERT INTO ${table} (name, statement, checksum) VALUES ($1, $2, $3)`, [c.name, c.statement, contractChecksum(c.statement)]);
  }
  await session.query(`REVOKE ALL ON ${table} FROM PUBLIC, ${quoteIdent(guardRole)}`);
  await session.query(`GRANT USAGE ON SCHEMA ${quoteIdent(stateSchema)} TO ${quoteIdent(planner)}`);
  await session.query(`GRANT SELECT ON ${table} TO ${quoteIdent(planner)}`);
}

/**
 * The search path the planner plans with: the schemas of this session's
 * path that exist (the guard's own session has the same default), pg_temp
 * last so that no temporary object comes before them.
 */
async function pinnedSearchPath(session: Session): Promise<string> {
  const r = await session.query<{ s: string }>('SELECT s FROM unnest(current_schemas(false)) AS s WHERE s <> current_user');
  return [...r.rows.map((row) => quoteIdent(row.s)), 'pg_temp'].join(', ');
}

/**
 * CREATE OR REPLACE the function, owned by the planner, callable by the
 * guard's role only. The planner needs CREATE on the state schema to own a
 * function there: granted for the ALTER … OWNER and revoked in the same
 * transaction.
 */
export async function createPlanFunction(session: Session, stateSchema: string, planner: string, guardRole: string): Promise<void> {
  const fn = `${quoteIdent(stateSchema)}.${PLANNER.function}(text, text)`;
  const role = quoteIdent(planner);
  const body = planBody(`${quoteIdent(stateSchema)}.${quoteIdent(PLANNER.table)}`);
  const tag = dollarTag(body);
  // A CREATE OR REPLACE of the planner's function needs its owner's rights: this role is made a member of the planner.
  await session.query(`GRANT ${role} TO CURRENT_USER`);
  await session.query(`CREATE OR REPLACE FUNCTION ${quoteIdent(stateSchema)}.${PLANNER.function}(contract_name text, contract_checksum text)
    RETURNS jsonb LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = ${await pinnedSearchPath(session)}
    SET standard_conforming_strings = on
    AS ${tag}${body}${tag}`);
  await session.query(`GRANT CREATE ON SCHEMA ${quoteIdent(stateSchema)} TO ${role}`);
  await session.query(`ALTER FUNCTION ${fn} OWNER TO ${role}`);
  await session.query(`REVOKE CREATE ON SCHEMA ${quoteIdent(stateSchema)} FROM ${role}`);
  await session.query(`REVOKE ALL ON FUNCTION ${fn} FROM PUBLIC`);
  await session.query(`GRANT EXECUTE ON FUNCTION ${fn} TO ${quoteIdent(guardRole)}`);
}

/** A dollar-quote tag the body does not contain (the state schema's name is in it, and may hold `$`). */
function dollarTag(body: string): string {
  for (let n = 0; ; n++) {
    const tag = `$sg_planner${n || ''}$`;
    if (!body.includes(tag)) return tag;
  }
}

/** The function's body; `table` is the quoted contracts table. Errors of PREPARE and EXPLAIN are answered as data. */
function planBody(table: string): string {
  return `
DECLARE
  stmt text;
  types text[];
  plan json;
  handle constant text := 'schemaguard_planned_contract';
  st text; msg text; det text; hin text;
BEGIN
  -- First: from here on nothing in this transaction may write, whatever the planner evaluates.
  PERFORM set_config('transaction_read_only', 'on', true);
  IF pg_my_temp_schema() <> 0 AND (
       EXISTS (SELECT 1 FROM pg_class WHERE relnamespace = pg_my_temp_schema())
    OR EXISTS (SELECT 1 FROM pg_type WHERE typnamespace = pg_my_temp_schema())
    OR EXISTS (SELECT 1 FROM pg_proc WHERE pronamespace = pg_my_temp_schema())
    OR EXISTS (SELECT 1 FROM pg_operator WHERE oprnamespace = pg_my_temp_schema())) THEN
    RAISE EXCEPTION 'the contract planner refuses a session with temporary objects (they could stand in for the contract''s tables or types)'
      USING ERRCODE = '42501';
  END IF;
  SELECT c.statement INTO stmt FROM ${table} c WHERE c.name = contract_name AND c.checksum = contract_checksum;
  IF NOT FOUND THEN
    RETURN NULL;
  END IF;
  IF EXISTS (SELECT 1 FROM pg_prepared_statements WHERE name = handle) THEN
    EXECUTE format('DEALLOCATE %I', handle);
  END IF;
  BEGIN
    EXECUTE format('PREPARE %I AS %s', handle, stmt);
  EXCEPTION WHEN OTHERS THEN
    GET STACKED DIAGNOSTICS st = RETURNED_SQLSTATE, msg = MESSAGE_TEXT, det = PG_EXCEPTION_DETAIL, hin = PG_EXCEPTION_HINT;
    IF EXISTS (SELECT 1 FROM pg_prepared_statements WHERE name = handle) THEN
      EXECUTE format('DEALLOCATE %I', handle);
    END IF;
    RETURN jsonb_build_object('stage', 'prepare', 'sqlstate', st, 'message', msg, 'detail', nullif(det, ''), 'hint', nullif(hin, ''));
  END;
  SELECT array(SELECT format_type(t, NULL) FROM unnest(p.parameter_types::oid[]) AS t) INTO types
    FROM pg_prepared_statements p WHERE p.name = handle;
  BEGIN
    EXECUTE format('EXPLAIN (FORMAT JSON) EXECUTE %I%s', handle,
      CASE WHEN cardinality(types) > 0 THEN '(' || array_to_string(array_fill('NULL'::text, ARRAY[cardinality(types)]), ', ') || ')' ELSE '' END)
      INTO plan;
  EXCEPTION WHEN OTHERS THEN
    GET STACKED DIAGNOSTICS st = RETURNED_SQLSTATE, msg = MESSAGE_TEXT, det = PG_EXCEPTION_DETAIL, hin = PG_EXCEPTION_HINT;
    EXECUTE format('DEALLOCATE %I', handle);
    RETURN jsonb_build_object('stage', 'plan', 'sqlstate', st, 'message', msg, 'detail', nullif(det, ''), 'hint', nullif(hin, ''), 'parameterTypes', to_jsonb(types));
  END;
  EXECUTE format('DEALLOCATE %I', handle);
  RETURN jsonb_build_object('stage', 'planned', 'parameterTypes', to_jsonb(types), 'plan', plan);
END
`;
}
