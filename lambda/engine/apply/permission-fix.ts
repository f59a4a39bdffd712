/**
 * The fix of a permission error (SQLSTATE 42501), which PostgreSQL reports
 * with the object and no advice: the GRANT that lets the role of the URL do
 * it, or the role to run as. Read from the message's fixed wording
 * ("permission denied for schema public", "must be owner of table leads").
 */
import type { MigrationError } from '../errors/errors';
import { sqlIdent } from '../sql/sql-quote';
import { INSUFFICIENT_PRIVILEGE } from '../errors/sqlstate';

/** The role the run connects as, quoted for a GRANT: the URL's user, else the embedded server's superuser. */
export function roleOf(databaseUrl: string | undefined): string {
  if (!databaseUrl) return 'postgres';
  try {
    const user = decodeURIComponent(new URL(databaseUrl).username);
    return user ? sqlIdent(user) : '<your role>';
  } catch {
    return '<your role>';
  }
}

/** A name as PostgreSQL's message writes it (`leads`, `app.mood`), each part quoted. */
const qualified = (name: string) => name.split('.').map(sqlIdent).join('.');

const OWNER = 'run it as the role that owns it, or have the owner run GRANT <owner role> TO';

/**
 * What to do about a 42501, or undefined for another error. `role`: quoted,
 * or a placeholder where the role is not known; `stateSetting`: where the
 * state schema is set (the CLI's flag, the custom resource's variable).
 */
export function permissionFix(e: MigrationError, role: string, stateSchema: string, stateSetting = '--state-schema'): string | undefined {
  if (e.sqlstate !== INSUFFICIENT_PRIVILEGE) return undefined;
  const msg = e.message;
  let m = /permission denied for schema (\S+)/.exec(msg);
  if (m)
    return `as the schema's owner (or a superuser): GRANT USAGE, CREATE ON SCHEMA ${sqlIdent(m[1])} TO ${role}; or run migrate as the role that owns the schema`;
  m = /permission denied for database (\S+)/.exec(msg);
  if (m) {
    return (
      `${role} may not create schemas in ${m[1]}, and migrate creates its state schema ${sqlIdent(stateSchema)} (${stateSetting}) there: ` +
      `as the database's owner (or a superuser): CREATE SCHEMA ${sqlIdent(stateSchema)} AUTHORIZATION ${role}; or GRANT CREATE ON DATABASE ${sqlIdent(m[1])} TO ${role}; or run migrate as the database's owner`
    );
  }
  m = /must be owner of (\w+(?: \w+)?) (\S+)/.exec(msg);
  if (m) return `only the owner of ${m[1]} ${qualified(m[2])} (or a member of its role) may do this: ${OWNER} ${role}`;
  m = /permission denied for (table|sequence|view|materialized view|function|procedure|type|relation) (\S+)/.exec(msg);
  if (m)
    return `as its owner: GRANT the privilege the statement needs (SELECT, INSERT, UPDATE, DELETE, REFERENCES, TRIGGER …) ON ${m[1] === 'relation' ? 'TABLE' : m[1].toUpperCase()} ${qualified(m[2])} TO ${role}; or run migrate as the role that owns it`;
  if (/permission denied to create extension/.test(msg)) {
    return 'CREATE EXTENSION of an untrusted extension needs a superuser (on RDS, a member of rds_superuser): run this migration as such a role, or have one create the extension first';
  }
  return `${role} lacks a privilege this statement needs: GRANT it to ${role} (as the object's owner), or run migrate as the role that owns the objects it changes`;
}
