/**
 * The contract planner: how the guard checks a contract that writes (INSERT,
 * UPDATE, DELETE, MERGE) without any write privilege of its own.
 *
 * PostgreSQL checks a statement's table privileges when it plans it, as it
 * would run it, so planning an INSERT needs INSERT. The guard's role has
 * none; the deploy (lambda/handler/guard/planner-sql.ts) stores each writing
 * contract in `<state>.guard_contracts` and creates `<state>.plan_contract(name,
 * checksum)`, a SECURITY DEFINER function owned by a NOLOGIN role that has the
 * privileges. It takes the contract's name and the sha-256 of its text,
 * never SQL: it plans (EXPLAIN without ANALYZE) the text the deploy stored,
 * after making the transaction read-only, so no code that planning evaluates
 * (an IMMUTABLE or STABLE function is evaluated at plan time) can write. It
 * answers the stage reached as JSON, or NULL when it does not have that
 * contract with that text (another version than the deployed one): the guard
 * then plans it itself, as before.
 *
 * The names here are shared by the deploy that creates the objects and the
 * guard that calls them.
 */
import { checksum } from '../../engine/files/checksum';
import { quoteIdent } from '../../engine/state/identifiers';
import type { Queryable } from '../../engine/ports';
import { findAll, type Node } from '../parser/parse';

export const PLANNER = {
  /** The table of the contracts the deploy stored: name, statement, checksum. */
  table: 'guard_contracts',
  /** `plan_contract(contract_name text, contract_checksum text) RETURNS jsonb`. */
  function: 'plan_contract',
} as const;

/** What the planner answers for a contract it has. */
export interface PlannerAnswer {
  /** `prepare` or `plan`: the stage that failed; `planned`: both passed. */
  stage: 'prepare' | 'plan' | 'planned';
  sqlstate?: string;
  message?: string;
  detail?: string | null;
  hint?: string | null;
  parameterTypes?: string[];
  /** EXPLAIN (FORMAT JSON)'s output, when planned. */
  plan?: unknown;
}

const WRITES = ['InsertStmt', 'UpdateStmt', 'DeleteStmt', 'MergeStmt'];

/** The contract changes data somewhere (a WITH's INSERT included): planning it needs a write privilege. */
export function writesData(tree: Node): boolean {
  return WRITES.some((kind) => findAll(tree, kind).length > 0);
}

/** The key a stored contract is addressed by, with its name: the sha-256 of its statement. */
export function contractChecksum(statement: string): string {
  return checksum(statement);
}

/** `"<state>".plan_contract(text, text)`, as a regprocedure-style signature. */
export function plannerSignature(stateSchema: string): string {
  return `${quoteIdent(stateSchema)}.${PLANNER.function}(text, text)`;
}

/**
 * Whether the planner is here and this role may call it. From the catalog
 * (no error, so the caller's READ ONLY transaction goes on).
 */
export async function plannerAvailable(q: Queryable, stateSchema: string): Promise<boolean> {
  const r = await q.query<{ ok: boolean }>(
    `SELECT EXISTS (
       SELECT 1 FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
        WHERE n.nspname = $1 AND p.proname = $2 AND p.proargtypes = '25 25'::oidvector
          AND has_schema_privilege(n.oid, 'USAGE') AND has_function_privilege(p.oid, 'EXECUTE')) AS ok`,
    [stateSchema, PLANNER.function],
  );
  return r.rows[0]?.ok === true;
}

/** The planner's answer for the contract; undefined when it does not have this name with this text. */
export async function planThroughPlanner(q: Queryable, stateSchema: string, name: string, statement: string): Promise<PlannerAnswer | undefined> {
  const r = await q.query<{ answer: unknown }>(`SELECT ${quoteIdent(stateSchema)}.${PLANNER.function}($1, $2)::text AS answer`, [
    name,
    contractChecksum(statement),
  ]);
  const text = r.rows[0]?.answer;
  return typeof text === 'string' ? (JSON.parse(text) as PlannerAnswer) : undefined;
}
