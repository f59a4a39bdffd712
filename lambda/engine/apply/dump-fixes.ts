/**
 * Fixes for what a pg_dump taken as the first migration (adoption) meets:
 * the dump of a database schemaguard already manages holds schemaguard's own
 * state schema, which migrate has made before the file runs (42P06, or 42P07
 * for its tables after `CREATE SCHEMA IF NOT EXISTS`); a dump that keeps
 * owners and grants names roles a new server does not have (42704).
 */
import { MigrationError } from '../errors/errors';
import { sqlIdent } from '../sql/sql-quote';
import { REPAIR_TABLE, STATE_TABLE } from '../state/state';
import { DUPLICATE_SCHEMA, DUPLICATE_TABLE, UNDEFINED_OBJECT } from '../errors/sqlstate';

/** The pg_dump flags that leave out owners and grants: the roles are the target's business, not the schema's. */
export const DUMP_FLAGS = '--schema-only --no-owner --no-privileges';

/**
 * Sets the fix of a file's failure on schemaguard's state schema (`schema`)
 * or tables, in place of the general "already exists" one (`server-fixes.ts`);
 * other errors pass unchanged.
 */
export function withStateSchemaFix(e: unknown, schema: string): unknown {
  if (!(e instanceof MigrationError)) return e;
  const schemaExists = e.sqlstate === DUPLICATE_SCHEMA && e.message.endsWith(`schema "${schema}" already exists`);
  const tableExists =
    e.sqlstate === DUPLICATE_TABLE &&
    [STATE_TABLE, REPAIR_TABLE].some((t) => e.message.endsWith(`relation "${t}" already exists`)) &&
    (e.statement ?? '').includes(schema);
  if (schemaExists || tableExists) {
    e.fix =
      `the file creates schemaguard's own state schema "${schema}", which migrate made before it ran (a pg_dump of a database schemaguard already manages has it): ` +
      `dump again with pg_dump ${DUMP_FLAGS} --exclude-schema=${schema}, or delete the file's statements on ${schema} (its CREATE SCHEMA, tables, constraints and comments)`;
  }
  return e;
}

/**
 * Adds the fix to a failure on a role the server does not have (42704), as
 * `snapshot`'s throwaway server has no role but its superuser: a dump that
 * keeps owners and grants (`ALTER … OWNER TO app_owner`, `GRANT … TO app`).
 */
export function withMissingRoleFix(e: unknown): unknown {
  if (!(e instanceof MigrationError) || e.fix || e.sqlstate !== UNDEFINED_OBJECT) return e;
  const role = /role "(.+)" does not exist$/.exec(e.message)?.[1];
  if (role) {
    e.fix =
      `snapshot's throwaway server has no role but its superuser: dump with pg_dump ${DUMP_FLAGS} (owners and grants are the target's, not the schema's), ` +
      `or create the role in a migration before it is named (CREATE ROLE ${quoteRole(role)} NOLOGIN, in a DO block that checks pg_roles first so it runs where the role exists)`;
  }
  return e;
}

function quoteRole(name: string): string {
  return /^[a-z_][a-z0-9_$]*$/.test(name) ? name : sqlIdent(name);
}
