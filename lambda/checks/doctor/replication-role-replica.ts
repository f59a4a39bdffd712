/**
 * replication-role-replica: `session_replication_role = replica` set for the
 * database or a role (`ALTER DATABASE … SET`, `ALTER ROLE … [IN DATABASE …]
 * SET`, kept in pg_db_role_setting). Every new session it applies to then
 * fires no foreign-key trigger and no ordinary trigger: rows that break a
 * foreign key are written without an error, audit and `updated_at`
 * triggers do nothing, and nothing says so. It is meant for a logical
 * replication apply worker or a one-off data load, never as a default
 * (a restore tool or a migration script that set it and forgot to reset it).
 */
import type { Finding } from '../finding';
import { ident } from './names';
import type { DoctorContext, DoctorRule } from './rule';

export const REPLICATION_ROLE_REPLICA: DoctorRule = {
  id: 'replication-role-replica',
  severity: 'error',
  title: 'session_replication_role = replica set for the database or a role: its sessions skip foreign-key checks and triggers',
  why: 'every session it applies to fires no foreign-key trigger and no ordinary trigger: orphans and skipped audit or updated_at triggers are written without an error',
  fix: 'ALTER DATABASE … RESET session_replication_role, or ALTER ROLE … [IN DATABASE …] RESET session_replication_role (new sessions check again)',
  check: replicationRoleReplica,
};

interface SettingRow { role: string | null; all_databases: boolean }

/**
 * The settings of this database (for every role or one) and of a role in
 * every database. The value is compared as PostgreSQL reads it: case and
 * quotes do not count (`SET session_replication_role = 'REPLICA'`).
 */
const SQL = `
SELECT r.rolname::text AS role, s.setdatabase = 0 AS all_databases
  FROM pg_db_role_setting s
  LEFT JOIN pg_roles r ON r.oid = s.setrole
 WHERE s.setdatabase IN (0, (SELECT oid FROM pg_database WHERE datname = current_database()))
   AND EXISTS (SELECT 1 FROM unnest(s.setconfig) c
                WHERE lower(split_part(c, '=', 1)) = 'session_replication_role'
                  AND lower(btrim(substr(c, strpos(c, '=') + 1), '''" ')) = 'replica')
 ORDER BY s.setdatabase = 0, r.rolname NULLS FIRST`;

async function replicationRoleReplica(ctx: DoctorContext): Promise<Finding[]> {
  const db = (await ctx.q.query<{ db: string }>('SELECT current_database() AS db')).rows[0]!.db;
  const rows = (await ctx.q.query<SettingRow>(SQL)).rows;
  return rows.map((r) => finding(r, db));
}

/** One setting's finding: who it applies to, and the RESET that removes it. */
function finding(r: SettingRow, db: string): Finding {
  const where = r.all_databases ? '' : ` IN DATABASE ${ident(db)}`;
  const [object, fix] = r.role === null
    ? r.all_databases
      ? ['every role', 'ALTER ROLE ALL RESET session_replication_role;']
      : [`database ${ident(db)}`, `ALTER DATABASE ${ident(db)} RESET session_replication_role;`]
    : [`role ${ident(r.role)}${r.all_databases ? ' (every database)' : ''}`, `ALTER ROLE ${ident(r.role)}${where} RESET session_replication_role;`];
  return {
    rule: REPLICATION_ROLE_REPLICA.id, severity: REPLICATION_ROLE_REPLICA.severity, object,
    message: `session_replication_role = replica is set for ${object}${r.role !== null && !r.all_databases ? ` in database ${ident(db)}` : ''}: its new sessions skip foreign-key checks and ordinary triggers`,
    why: REPLICATION_ROLE_REPLICA.why,
    fix: `${fix}  -- new sessions check foreign keys and fire triggers again (open ones keep replica until they reconnect); rows written meanwhile are not checked again: look for orphans`,
  };
}
