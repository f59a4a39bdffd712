/**
 * The note `guard` and `check` give when the errors they provoke would page:
 * a failing contract is EXPLAINed on the server, which logs the very ERROR
 * the application's statement would meet (42P10 for an upsert whose unique
 * index is gone). DatabaseAlarms counts every user's ERROR lines but those of
 * the guard's roles (`schemaguard_guard…`), so the same pass run as the
 * master user pages for itself. PostgreSQL lets only a superuser raise
 * log_min_messages or log_min_error_statement for a session (a role of RDS's
 * rds_superuser may not either: "permission denied to set parameter"), so the
 * probe cannot keep its errors out of the log: the note names the role to use.
 */
import { userInfo } from 'node:os';
import { GUARD_ROLE_PREFIX } from '../../../lambda/handler/constants';
import type { CommandContext } from './context';
import type { OptionsIn } from '../args';

/** The user a connection to `url` logs in as: the URL's, else PGUSER, else the operating-system user (as libpq and pg do). */
export function connectingUser(url: URL, env: NodeJS.ProcessEnv): string {
  if (url.username) return decodeURIComponent(url.username);
  if (env.PGUSER) return env.PGUSER;
  try {
    return userInfo().username;
  } catch {
    return '';
  }
}

/**
 * The guard's default role for the URL's database (`schemaguard_guard_<database>`,
 * SchemaGuard's `defaultGuardRoleName` for a name of lowercase letters, digits
 * and _), else the pattern.
 */
function guardRoleFor(url: URL): string {
  const database = decodeURIComponent(url.pathname.replace(/^\//, ''));
  const plain = `${GUARD_ROLE_PREFIX}_${database}`;
  return /^[a-z0-9_]+$/.test(database) && plain.length <= 63 ? plain : `${GUARD_ROLE_PREFIX}_<database>`;
}

/** The note, when the connected user's ERROR lines count in the database alarms and contracts are checked; else undefined. */
export function alarmedUserNote(url: URL, env: NodeJS.ProcessEnv, contracts: number): string | undefined {
  const user = connectingUser(url, env);
  if (contracts === 0 || user.startsWith(GUARD_ROLE_PREFIX)) return undefined;
  return (
    `connected as "${user}": the database alarms count this user's ERROR lines (they leave out only users whose name starts with ${GUARD_ROLE_PREFIX}), ` +
    'and a failing contract logs the error the application would meet, which pages as that error class; ' +
    `connect as the guard role (${guardRoleFor(url)} by default; its password is in the guard role's secret) to page no one, or add "${user}" to DatabaseAlarms' ignoredUsers`
  );
}

/**
 * The URL the note is about: --database-url/DATABASE_URL, else, in the
 * deployed function (the caller's own connection), the connection's target
 * (its user and database; no password); undefined for the embedded server
 * and the Data API, whose user the CLI does not know.
 */
export function connectedUrl(ctx: Pick<CommandContext<OptionsIn<'connection'>>, 'opts' | 'target'>, driverTarget: string): URL | undefined {
  if (ctx.opts.databaseUrl) return new URL(ctx.opts.databaseUrl);
  return ctx.target && /^postgres(ql)?:\/\//.test(driverTarget) ? new URL(driverTarget) : undefined;
}
