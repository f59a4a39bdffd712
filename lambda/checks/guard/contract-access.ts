/**
 * Contracts the guard's role may not check: planning a statement checks the
 * role's privileges as running it would, so a missing grant fails it with
 * 42501. That is the guard's setup, not a failing contract (it must not page),
 * and must not end the run: each is one ticket naming the contract, the object
 * (schema-qualified, as the statement resolved it) and the GRANT of the read
 * privileges it lacks (`contract-privileges.ts`); every other check is still
 * reported. Never a write privilege: a writing contract is planned by the
 * deploy's contract planner (`contract-planner.ts`). A table in a schema
 * without USAGE reads as 42P01 when named without its schema: the same
 * ticket, with GRANT USAGE and the table privileges in one fix.
 */
import { quoteIdent } from '../../engine/state/identifiers';
import type { Queryable } from '../../engine/ports';
import { PLANNER } from '../contracts/contract-planner';
import type { ContractFailure, ContractResult } from '../contracts';
import { ident } from '../doctor/names';
import type { GuardFinding } from './report';
import { statementNeeds, type TableNeed, type TablePrivilege } from './contract-privileges';
import { GUARD_RULES } from './rules';
import { DOCS_POINTERS } from '../../engine/errors/docs-pointers';
import { INSUFFICIENT_PRIVILEGE } from '../../engine/errors/sqlstate';
import { present } from '../../engine/errors/present';

/** `permission denied for table t5` (also view, materialized view, schema), PostgreSQL 15 to 18. */
const DENIED = /permission denied for (table|view|materialized view|schema) (.+?)(?: \([0-9A-Z]{5}\))?\s*$/;

interface Denied {
  result: ContractResult;
  kind: string;
  name: string;
}

/**
 * A failure that is the role's privileges: 42501, or a table in a schema the
 * role may not use (42P01 as PostgreSQL reads it: contracts/index.ts names the schema).
 */
export function deniedFailure(result: ContractResult): ContractFailure | undefined {
  return result.failures.find((x) => x.sqlstate === INSUFFICIENT_PRIVILEGE || x.schemaWithoutUsage);
}

/** The contracts the role may not check: checked by nobody, to be a ticket each. */
export function deniedContracts(results: readonly ContractResult[]): Denied[] {
  return results.flatMap((result) => {
    const f = deniedFailure(result);
    if (!f) return [];
    if (f.schemaWithoutUsage) return [{ result, kind: 'schema', name: f.schemaWithoutUsage }];
    const m = DENIED.exec(f.reason);
    return [{ result, kind: m?.[1] ?? 'table', name: m?.[2] ?? '' }];
  });
}

interface ObjectRow {
  schema: string | null;
  name: string | null;
  role: string;
  select: boolean | null;
  insert: boolean | null;
  update: boolean | null;
  delete: boolean | null;
}

/** One ticket per contract the role may not check, with the GRANT that lets it. */
/**
 * `planner`: the state schema, and whether this role may call the contract
 * planner there: the fix for a write the contract needs says what lets the
 * planner plan it.
 */
export async function accessFindings(q: Queryable, denied: readonly Denied[], planner: { stateSchema: string; available: boolean }): Promise<GuardFinding[]> {
  const out: GuardFinding[] = [];
  for (const d of denied) out.push(await accessFinding(q, d, planner));
  return out;
}

async function accessFinding(q: Queryable, d: Denied, planner: { stateSchema: string; available: boolean }): Promise<GuardFinding> {
  const rule = GUARD_RULES.contractUnchecked;
  const reason = present(deniedFailure(d.result)).reason;
  const needs = await statementNeeds(d.result.statement);
  const { object, grant, writes } = d.kind === 'schema' ? await schemaGrant(q, d.name, needs) : await tableGrant(q, d.result.statement, d.name, needs);
  return {
    kind: 'doctor',
    rule: rule.id,
    severity: rule.severity,
    object: `${d.result.file}: ${object}`,
    message: `the guard cannot check contract ${d.result.name} (${d.result.file}:${d.result.line}): ${reason}: its role may not use ${object}; the contract was not checked, every other check ran`,
    why: rule.why,
    fix: accessFix(grant, writes, planner.available ? undefined : await plannerGrant(q, planner.stateSchema)),
  };
}

/**
 * The GRANT of what the role may have (USAGE, SELECT), and, for a write the
 * contract needs, why it is not granted and what checks the contract instead.
 */
function accessFix(grant: string, writes: readonly TablePrivilege[], plannerMissing: string | undefined): string {
  const granted = grant.startsWith('GRANT ') ? `${grant}  -- as the master user (${DOCS_POINTERS.roleToGrant})` : grant;
  if (!writes.length) return granted;
  const how =
    plannerMissing ?? 'it plans the text the deploy shipped, so deploy this version of the contract, or check it with schemaguard check as the migrating role';
  const why = `the ${writes.join(', ')} it also needs is never granted to the guard's role (a session of it could write): the deploy's contract planner plans writing contracts; ${how} (${DOCS_POINTERS.guardRole})`;
  return granted ? `${granted}; ${why}` : why;
}

/** What lets this role call the planner, or that there is none (no SchemaGuard deploy made one here). */
async function plannerGrant(q: Queryable, stateSchema: string): Promise<string> {
  const r = (
    await q.query<{ role: string; exists: boolean }>(
      `SELECT current_user::text AS role, EXISTS (SELECT 1 FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = $1 AND p.proname = $2) AS exists`,
      [stateSchema, PLANNER.function],
    )
  ).rows[0];
  if (!r.exists) return `there is none here (a SchemaGuard deploy makes it): check this contract with schemaguard check as the migrating role`;
  return `this role may not call it: GRANT USAGE ON SCHEMA ${ident(stateSchema)} TO ${ident(r.role)}; GRANT EXECUTE ON FUNCTION ${ident(stateSchema)}.${PLANNER.function}(text, text) TO ${ident(r.role)};`;
}

interface Access {
  object: string;
  grant: string;
  writes: TablePrivilege[];
}

/**
 * The GRANT USAGE on the schema and, in the same fix, the SELECT each of the
 * statement's tables there still needs: one run clears it, unless the
 * contract writes (`writes`: the guard's role never gets those).
 */
async function schemaGrant(q: Queryable, schema: string, needs: readonly TableNeed[]): Promise<Access> {
  const role = (await q.query<{ role: string }>('SELECT current_user::text AS role')).rows[0].role;
  const grants = [`GRANT USAGE ON SCHEMA ${ident(schema)} TO ${ident(role)};`];
  const writes = new Set<TablePrivilege>();
  for (const need of needs.filter((n) => n.table.schema === undefined || n.table.schema === schema)) {
    const row = await privilegeRow(q, schema, need.table.name, null);
    if (!row.schema) continue; // not a table of this schema (a CTE's name, another schema's table)
    const missing = missingPrivileges(row, need.privileges);
    for (const p of missing) if (p !== 'SELECT') writes.add(p);
    if (missing.includes('SELECT')) grants.push(`GRANT SELECT ON ${ident(row.schema)}.${ident(present(row.name))} TO ${ident(role)};`);
  }
  return { object: `schema ${schema}`, grant: grants.join(' '), writes: order(writes) };
}

/**
 * The table as the statement names it (schema-qualified there, else as the
 * session's search_path resolves it, as planning did), and the privileges
 * its statement needs there (`contract-privileges.ts`) that the role lacks.
 */
async function tableGrant(q: Queryable, statement: string, name: string, needs: readonly TableNeed[]): Promise<Access> {
  const qualified = qualifiedIn(statement, name);
  const row = await privilegeRow(q, qualified?.schema ?? null, qualified?.name ?? null, quoteIdent(name));
  const needed = new Set<TablePrivilege>(needs.filter((n) => n.table.name === name).flatMap((n) => [...n.privileges]));
  if (!needed.size) needed.add('SELECT');
  const missing = missingPrivileges(row, needed);
  const object = row.schema ? `${ident(row.schema)}.${ident(present(row.name))}` : name;
  const writes = missing.filter((p) => p !== 'SELECT');
  if (missing.length) return { object, grant: missing.includes('SELECT') ? `GRANT SELECT ON ${object} TO ${ident(row.role)};` : '', writes };
  // A table the statement does not name, behind a view or function it uses: the privilege is its owner's, not the role's.
  if (!row.schema)
    return {
      object,
      grant: `the statement does not name ${name} and the search path does not find it: a view or function the statement uses reads it, and its owner needs the privilege (GRANT … ON the table TO that owner)`,
      writes,
    };
  // Every table privilege the statement needs is there: what PostgreSQL refused is another (a column's, or one a view's owner lacks).
  return {
    object,
    grant: `the catalog shows ${ident(row.role)} has ${order(needed).join(', ')} on ${object}: PostgreSQL refused another privilege (a column's, or one the owner of a view lacks); the error says which`,
    writes,
  };
}

const ORDER: TablePrivilege[] = ['SELECT', 'INSERT', 'UPDATE', 'DELETE'];

function order(privileges: ReadonlySet<TablePrivilege>): TablePrivilege[] {
  return ORDER.filter((p) => privileges.has(p));
}

function missingPrivileges(row: ObjectRow, needed: Set<TablePrivilege>): TablePrivilege[] {
  return order(needed).filter((p) => row[p.toLowerCase() as 'select'] === false);
}

/** The table (by schema and name, else `regclass` as the search path finds it) and the role's privileges on it; all null when there is none. */
async function privilegeRow(q: Queryable, schema: string | null, name: string | null, regclass: string | null): Promise<ObjectRow> {
  return (
    await q.query<ObjectRow>(
      `SELECT n.nspname::text AS schema, c.relname::text AS name, current_user::text AS role,
            has_table_privilege(c.oid, 'SELECT') AS select, has_table_privilege(c.oid, 'INSERT') AS insert,
            has_table_privilege(c.oid, 'UPDATE') AS update, has_table_privilege(c.oid, 'DELETE') AS delete
       FROM (SELECT current_user) u
       -- The qualified name from the catalog: to_regclass raises 42501 for a schema the role may not use, and ended the pass.
       LEFT JOIN pg_class c ON c.oid = coalesce(
         (SELECT q.oid FROM pg_class q JOIN pg_namespace qn ON qn.oid = q.relnamespace WHERE qn.nspname = $1::text AND q.relname = $2::text),
         to_regclass($3::text))
       LEFT JOIN pg_namespace n ON n.oid = c.relnamespace`,
      [schema, name, regclass],
    )
  ).rows[0];
}

/** The schema and table where the statement names the table with its schema (`s5.t5`, `"S5"."t5"`), as the catalog spells them. */
function qualifiedIn(statement: string, name: string): { schema: string; name: string } | undefined {
  const literal = (text: string) => text.replace(/[$.*+?^()[\]{}|\\]/g, '\\$&');
  const quoted = literal(`"${name.replace(/"/g, '""')}"`);
  const table = /^[a-z_][a-z0-9_$]*$/.test(name) ? `(?:${quoted}|${literal(name)})` : quoted;
  // Comments are not names: `/* was old.t5 */` named a schema the table is not in.
  const code = statement.replace(/\/\*[\s\S]*?\*\/|--[^\n]*/g, ' ');
  const m = new RegExp(`("(?:[^"]|"")+"|[A-Za-z_][A-Za-z0-9_$]*)\\s*\\.\\s*${table}(?![A-Za-z0-9_$])`, 'i').exec(code);
  if (!m) return undefined;
  const schema = m[1].startsWith('"') ? m[1].slice(1, -1).replace(/""/g, '"') : m[1].toLowerCase();
  return { schema, name };
}
