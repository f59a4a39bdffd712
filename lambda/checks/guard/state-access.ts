/**
 * The state tables the guard's role may not read. Asked first, from the
 * catalog (`has_schema_privilege`, `has_table_privilege`: no error, so the
 * READ ONLY transaction goes on), so that one missing grant does not end the
 * pass with 42501 and lose every other finding: what cannot be read is one
 * ticket naming the table, the privilege and the GRANT; the rest is checked.
 */
import type { Queryable } from '../../engine/ports';
import { LEASE_TABLE } from '../../engine/state/runner-lock-names';
import { STATE_TABLE } from '../../engine/state/state';
import { ident } from '../doctor/names';
import type { GuardFinding } from './report';
import { GUARD_RULES } from './rules';
import { DOCS_POINTERS } from '../../engine/errors/docs-pointers';
import { noun, oneOrMany } from '../../engine/errors/words';

/** A state table that exists and that the role may not read. */
export interface UnreadableTable {
  table: string;
  role: string;
  /** The privileges missing, as GRANT names them: `USAGE on schema schemaguard`, `SELECT`. */
  missing: string[];
  /** The statements that give them. */
  grants: string[];
}

interface AccessRow {
  table: string;
  role: string;
  usage: boolean;
  can_select: boolean;
}

const SQL = `
SELECT c.relname::text AS table, current_user::text AS role,
       has_schema_privilege(n.oid, 'USAGE') AS usage, has_table_privilege(c.oid, 'SELECT') AS can_select
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE n.nspname = $1 AND c.relname = ANY($2::text[])
 ORDER BY c.relname`;

/** The state tables (`applied_migrations`, `runner_lease`) that exist but the role may not read; a missing table is not listed. */
export async function unreadableState(q: Queryable, stateSchema: string): Promise<UnreadableTable[]> {
  const rows = (await q.query<AccessRow>(SQL, [stateSchema, [STATE_TABLE, LEASE_TABLE]])).rows;
  const schema = ident(stateSchema);
  return rows
    .filter((r) => !r.usage || !r.can_select)
    .map((r) => {
      const role = ident(r.role);
      return {
        table: r.table,
        role: r.role,
        missing: [...(r.usage ? [] : [`USAGE on schema ${stateSchema}`]), ...(r.can_select ? [] : [`SELECT on ${stateSchema}.${r.table}`])],
        grants: [
          ...(r.usage ? [] : [`GRANT USAGE ON SCHEMA ${schema} TO ${role};`]),
          ...(r.can_select ? [] : [`GRANT SELECT ON ${schema}.${ident(r.table)} TO ${role};`]),
        ],
      };
    });
}

/** What was left out because of each table. */
const LEFT_OUT: Record<string, string> = {
  [STATE_TABLE]: "migrations pending, changed or unknown were not compared, and drift is rated as if the database were at the snapshot's migrations",
  [LEASE_TABLE]: 'a migration run through the RDS Data API (or a pooler) holding the runner lease is not seen: while one runs, its changes may show as drift',
};

/** One ticket per unreadable table: what could not be read, the privilege missing, and the GRANT. */
export function stateFindings(unreadable: readonly UnreadableTable[], stateSchema: string): GuardFinding[] {
  const rule = GUARD_RULES.stateUnreadable;
  return unreadable.map((u) => ({
    kind: 'migration',
    rule: rule.id,
    severity: rule.severity,
    object: `${stateSchema}.${u.table}`,
    message: `role ${u.role} may not read ${stateSchema}.${u.table} (no ${u.missing.join(', no ')}): ${LEFT_OUT[u.table] ?? 'it was not read'}; every other check ran`,
    why: rule.why,
    fix: `${u.grants.join(' ')}  -- as the master user (${DOCS_POINTERS.roleToGrant})`,
  }));
}

/** The columns every schemaguard state table has (`engine/state/state.ts`): a table of another tool by the same name lacks them. */
export const STATE_COLUMNS = ['version', 'name', 'checksum', 'applied_at', 'execution_ms', 'applied_by'];

/**
 * When the state schema holds no state table but another schema holds one
 * (the database was migrated with another `--state-schema`): the note that
 * says so and names the flag. Undefined when the state table is where the
 * guard looks, or nowhere. Without it, every migration read as pending.
 * `schemas`: where the state tables are (not drift: the note covers them).
 */
export async function stateElsewhere(q: Queryable, stateSchema: string): Promise<{ note: string; schemas: string[] } | undefined> {
  const rows = (
    await q.query<{ schema: string }>(
      `SELECT n.nspname::text AS schema FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE c.relname = $2 AND c.relkind IN ('r', 'p') AND n.nspname <> $1
        AND NOT EXISTS (SELECT 1 FROM pg_class h JOIN pg_namespace hn ON hn.oid = h.relnamespace WHERE hn.nspname = $1 AND h.relname = $2)
        AND (SELECT count(*) FROM pg_attribute a WHERE a.attrelid = c.oid AND NOT a.attisdropped AND a.attname IN (${STATE_COLUMNS.map((c) => `'${c}'`).join(', ')})) = ${STATE_COLUMNS.length}
      ORDER BY 1`,
      [stateSchema, STATE_TABLE],
    )
  ).rows;
  if (!rows.length) return undefined;
  const tables = rows.map((r) => `${r.schema}.${STATE_TABLE}`).join(', ');
  const note =
    `no ${stateSchema}.${STATE_TABLE} here (the state schema the guard was given), but ${tables} ${oneOrMany(rows.length, 'is a', 'are')} schemaguard state ${noun(rows.length, 'table')}: ` +
    `this database was migrated with --state-schema ${rows[0].schema}; run the guard with --state-schema ${rows[0].schema} (the scheduled guard: the migrations' stateSchema). ` +
    'Migrations pending, changed or unknown were not compared, and a migration running through the RDS Data API is not seen';
  return { note, schemas: rows.map((r) => r.schema) };
}
