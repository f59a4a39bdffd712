/**
 * A contract's table in a schema the checking role has no USAGE on (a
 * hardened setup: REVOKE USAGE ON SCHEMA public FROM PUBLIC). PostgreSQL
 * leaves such a schema out of the role's search path, so an unqualified
 * name there fails as `relation "t1" does not exist` (42P01) though the
 * table exists (a function called there: `function f(…) does not exist`,
 * 42883; a type: `type "mood" does not exist`, 42704), and a qualified one
 * as `permission denied for schema s5`
 * (42501). Either is the role's privileges, not the schema: the failure
 * says so, names the schema in `schemaWithoutUsage` and gives the GRANT
 * USAGE that lets the role see the table.
 */
import type { Queryable } from '../../engine/ports';
import { findAll, rangeVar, type Node } from '../parser/parse';
import { searchPathSchemas } from '../names/search-path';
import { INSUFFICIENT_PRIVILEGE, UNDEFINED_FUNCTION, UNDEFINED_OBJECT, UNDEFINED_TABLE } from '../../engine/errors/sqlstate';
import { present } from '../../engine/errors/present';

/** The parts of a contract's failure (contracts/index.ts) this reads and rewrites. */
interface UsageFailure {
  reason: string;
  sqlstate?: string;
  fix?: string;
  schemaWithoutUsage?: string;
}

/** `relation "t1" does not exist`: the name PostgreSQL looked for (PostgreSQL 15 to 18). */
const NO_RELATION = /^relation "(.+)" does not exist/;
/** `function f(unknown, unknown) does not exist`, called without a schema. */
const NO_FUNCTION = /^function ([^(."]+)\(.*\) does not exist/;
/** `type "mood" does not exist`, named without a schema. */
const NO_TYPE = /^type "([^".]+)" does not exist/;
/** `permission denied for schema s5`. */
const NO_SCHEMA = /^permission denied for schema (.+?)(?: \([0-9A-Z]{5}\))?\s*$/;

interface HiddenRow {
  schema: string;
  object: string;
  kind: string;
  role: string;
  grant: string;
}

/**
 * The schemas of the role's search_path, in order: `$2`, as
 * `searchPathSchemas` read it (one JSON text), with `$user` the role.
 */
const SEARCH_PATH = `
  WITH path AS (
    SELECT k, CASE WHEN p = '$user' THEN current_user::text ELSE p END AS schema
      FROM json_array_elements_text($2::json) WITH ORDINALITY AS s(p, k))`;

const HIDDEN_COLUMNS = `n.nspname::text AS schema, current_user::text AS role, format('GRANT USAGE ON SCHEMA %I TO %I;', n.nspname, current_user) AS grant`;

/**
 * The schema of the search_path, in path order, that holds one of `names`
 * while the role may not use it, where the name resolves to nothing the
 * role can see. Read from the catalog (pg_class, pg_proc and pg_namespace
 * are readable without USAGE); to_regclass of a qualified name in such a
 * schema would raise 42501 instead.
 */
const HIDDEN_RELATION = `${SEARCH_PATH}
  SELECT ${HIDDEN_COLUMNS}, c.relname::text AS object,
         CASE c.relkind WHEN 'v' THEN 'view' WHEN 'm' THEN 'materialized view' WHEN 'f' THEN 'foreign table' ELSE 'table' END AS kind
    FROM path JOIN pg_namespace n ON n.nspname = path.schema
    JOIN pg_class c ON c.relnamespace = n.oid AND c.relname = ANY ($1::text[]) AND c.relkind IN ('r', 'p', 'v', 'm', 'f')
   WHERE NOT has_schema_privilege(n.oid, 'USAGE') AND to_regclass(quote_ident(c.relname)) IS NULL
   ORDER BY path.k LIMIT 1`;

/** The same for a function called without its schema (none of that name visible). */
const HIDDEN_FUNCTION = `${SEARCH_PATH}
  SELECT ${HIDDEN_COLUMNS}, p.proname::text AS object, 'function' AS kind
    FROM path JOIN pg_namespace n ON n.nspname = path.schema
    JOIN pg_proc p ON p.pronamespace = n.oid AND p.proname = $1
   WHERE NOT has_schema_privilege(n.oid, 'USAGE')
     AND NOT EXISTS (SELECT 1 FROM pg_proc v WHERE v.proname = $1 AND pg_function_is_visible(v.oid))
   ORDER BY path.k LIMIT 1`;

/** The same for a type named without its schema (none of that name visible). */
const HIDDEN_TYPE = `${SEARCH_PATH}
  SELECT ${HIDDEN_COLUMNS}, t.typname::text AS object, 'type' AS kind
    FROM path JOIN pg_namespace n ON n.nspname = path.schema
    JOIN pg_type t ON t.typnamespace = n.oid AND t.typname = $1
   WHERE NOT has_schema_privilege(n.oid, 'USAGE')
     AND NOT EXISTS (SELECT 1 FROM pg_type v WHERE v.typname = $1 AND pg_type_is_visible(v.oid))
   ORDER BY path.k LIMIT 1`;

/** Whether `explainSchemaUsage` may explain this failure (the session must be recovered first). */
export function mayBeSchemaUsage(failure: UsageFailure): boolean {
  return (
    [UNDEFINED_TABLE, UNDEFINED_FUNCTION, INSUFFICIENT_PRIVILEGE].includes(failure.sqlstate ?? '') ||
    (failure.sqlstate === UNDEFINED_OBJECT && NO_TYPE.test(failure.reason))
  );
}

/**
 * When a failed PREPARE (42P01, 42883, 42704, 42501) was the role's missing USAGE
 * on a schema, rewrite the failure to say so, with the GRANT. `q` must be
 * usable (the failed statement's transaction recovered). Leaves any other
 * failure as it was.
 */
export async function explainSchemaUsage(q: Queryable, tree: Node, failure: UsageFailure): Promise<void> {
  if (failure.sqlstate === INSUFFICIENT_PRIVILEGE) {
    const schema = NO_SCHEMA.exec(failure.reason)?.[1];
    if (!schema) return;
    const grant = (await q.query<{ grant: string }>("SELECT format('GRANT USAGE ON SCHEMA %I TO %I;', $1::text, current_user) AS grant", [schema])).rows[0]
      .grant;
    failure.schemaWithoutUsage = schema;
    failure.fix = `${grant}  -- as the schema's owner or the master user`;
    return;
  }
  const hidden = await hiddenObject(q, tree, failure);
  if (!hidden) return;
  failure.schemaWithoutUsage = hidden.schema;
  failure.reason = `${failure.reason}: the ${hidden.kind} ${hidden.schema}.${hidden.object} exists, but role ${hidden.role} has no USAGE on schema ${hidden.schema}, so PostgreSQL leaves that schema out of its search_path`;
  failure.fix = `${hidden.grant}  -- as the schema's owner or the master user`;
}

async function hiddenObject(q: Queryable, tree: Node, failure: UsageFailure): Promise<HiddenRow | undefined> {
  const path = async () => JSON.stringify(searchPathSchemas((await q.query<{ p: string }>("SELECT current_setting('search_path') AS p")).rows[0].p) ?? []);
  if (failure.sqlstate === UNDEFINED_TABLE) return (await q.query<HiddenRow>(HIDDEN_RELATION, [unqualifiedNames(tree, failure.reason), await path()])).rows[0];
  const called = failure.sqlstate === UNDEFINED_FUNCTION ? NO_FUNCTION.exec(failure.reason)?.[1] : undefined;
  if (called) return (await q.query<HiddenRow>(HIDDEN_FUNCTION, [called, await path()])).rows[0];
  const type = failure.sqlstate === UNDEFINED_OBJECT ? NO_TYPE.exec(failure.reason)?.[1] : undefined;
  return type ? (await q.query<HiddenRow>(HIDDEN_TYPE, [type, await path()])).rows[0] : undefined;
}

/** The name PostgreSQL did not find, or else every table the statement names without a schema. */
function unqualifiedNames(tree: Node, reason: string): string[] {
  const named = NO_RELATION.exec(reason)?.[1];
  if (named) return [named];
  return [
    ...new Set(
      findAll(tree, 'RangeVar')
        .map(rangeVar)
        .filter((r) => r && !r.schema)
        .map((r) => present(r).name),
    ),
  ];
}
