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
import { roleSettings, settingScope, type RoleSetting } from './role-settings';
import type { DoctorContext, DoctorRule } from './rule';

export const REPLICATION_ROLE_REPLICA: DoctorRule = {
  id: 'replication-role-replica',
  severity: 'error',
  title: 'session_replication_role = replica set for the database or a role: its sessions skip foreign-key checks and triggers',
  why: 'every session it applies to fires no foreign-key trigger and no ordinary trigger: orphans and skipped audit or updated_at triggers are written without an error',
  fix: 'ALTER DATABASE … RESET session_replication_role, or ALTER ROLE … [IN DATABASE …] RESET session_replication_role (new sessions check again)',
  settingsOnly: true,
  check: replicationRoleReplica,
};

/** Replica as PostgreSQL reads the value: case and quotes do not count (`SET session_replication_role = 'REPLICA'`). */
const isReplica = (value: string) => value.replace(/^['" ]+|['" ]+$/g, '').toLowerCase() === 'replica';

async function replicationRoleReplica(ctx: DoctorContext): Promise<Finding[]> {
  const db = (await ctx.q.query<{ db: string }>('SELECT current_database() AS db')).rows[0]!.db;
  return (await roleSettings(ctx.q, 'session_replication_role')).filter((s) => isReplica(s.value)).map((s) => finding(s, db));
}

/** One setting's finding: who it applies to, and the RESET that removes it. */
function finding(r: RoleSetting, db: string): Finding {
  const { object, reset } = settingScope(r, ident(db), 'session_replication_role');
  return {
    rule: REPLICATION_ROLE_REPLICA.id, severity: REPLICATION_ROLE_REPLICA.severity, object,
    message: `session_replication_role = replica is set for ${object}${r.role !== null && !r.all_databases ? ` in database ${ident(db)}` : ''}: its new sessions skip foreign-key checks and ordinary triggers`,
    why: REPLICATION_ROLE_REPLICA.why,
    fix: `${reset}  -- new sessions check foreign keys and fire triggers again (open ones keep replica until they reconnect); rows written meanwhile are not checked again: look for orphans`,
  };
}
