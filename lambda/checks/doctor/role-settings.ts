/**
 * A parameter set for the database or a role (`ALTER DATABASE … SET`,
 * `ALTER ROLE … [IN DATABASE …] SET`, `ALTER ROLE ALL SET`), as kept in
 * pg_db_role_setting, which every role may read (PostgreSQL 15 to 18): the
 * settings of this database (for every role or one) and of a role in every
 * database. What a session of the checking role shows says nothing of the
 * application's role.
 */
import type { Queryable } from '../../engine/ports';
import { ident } from './names';

export interface RoleSetting {
  /** The role it is set for; null for every role (the database's, or `ALTER ROLE ALL`). */
  role: string | null;
  /** Set for every database (`ALTER ROLE … SET` without IN DATABASE). */
  all_databases: boolean;
  /** Whether the role may log in (its settings apply to its sessions only); null for every role. */
  can_login: boolean | null;
  /** The value as stored (`de_DE.UTF-8`, `replica`). */
  value: string;
}

/** Every setting of `parameter` that applies to this database, the database's first, then by role. */
export async function roleSettings(q: Queryable, parameter: string): Promise<RoleSetting[]> {
  return (
    await q.query<RoleSetting>(
      `SELECT r.rolname::text AS role, s.setdatabase = 0 AS all_databases, r.rolcanlogin AS can_login, substr(c, strpos(c, '=') + 1) AS value
       FROM pg_db_role_setting s
       LEFT JOIN pg_roles r ON r.oid = s.setrole
       CROSS JOIN LATERAL unnest(s.setconfig) AS c
      WHERE s.setdatabase IN (0, (SELECT oid FROM pg_database WHERE datname = current_database()))
        AND lower(split_part(c, '=', 1)) = $1
      ORDER BY s.setdatabase = 0, r.rolname NULLS FIRST`,
      [parameter],
    )
  ).rows;
}

/** Who a setting applies to, as a finding names it, and the RESET that removes it (`db`: this database, quoted). */
export function settingScope(s: RoleSetting, db: string, parameter: string): { object: string; reset: string } {
  const where = s.all_databases ? '' : ` IN DATABASE ${db}`;
  if (s.role === null) {
    return s.all_databases
      ? { object: 'every role', reset: `ALTER ROLE ALL RESET ${parameter};` }
      : { object: `database ${db}`, reset: `ALTER DATABASE ${db} RESET ${parameter};` };
  }
  return { object: `role ${ident(s.role)}${s.all_databases ? ' (every database)' : ''}`, reset: `ALTER ROLE ${ident(s.role)}${where} RESET ${parameter};` };
}
