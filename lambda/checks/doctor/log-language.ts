/**
 * log-language: the server's messages are not in English. The error-class
 * alarms (lib/alarms/error-catalog.ts) match PostgreSQL's English message
 * text in the log, since the log line carries no SQLSTATE under RDS's
 * log_line_prefix: with `lc_messages` set to another language, the log says
 * `FEHLER:  NULL-Wert in Spalte …` and no alarm fires, silently.
 *
 * A session's `lc_messages` comes from its role in this database, its role,
 * the database, or the server, first found first: so the checking role's own
 * session says nothing of the application's role (`ALTER ROLE app_user IN
 * DATABASE app SET lc_messages = 'de_DE.UTF-8'`). The database's and every
 * login role's settings are read from `pg_db_role_setting` (readable by any
 * role), and the server's from the session when nothing closer set it.
 *
 * `lc_messages` is superuser-only (PostgreSQL 15 to 18): a database owner's
 * `ALTER DATABASE … SET` or `RESET lc_messages` is "permission denied to
 * set parameter". Each fix says who may run it.
 */
import { quoteLiteral, sqlComment } from '../../engine/sql/sql-quote';
import type { Finding } from '../findings/finding';
import { ident } from './names';
import { roleSettings, settingScope, type RoleSetting } from './role-settings';
import type { DoctorContext, DoctorRule } from './rule';

export const LOG_LANGUAGE: DoctorRule = {
  id: 'log-language',
  // A warning (doctor exits 0: a database without the alarms is fine), which the guard still makes a ticket: paging is silently off.
  severity: 'warning',
  title: "server messages not in English (the server's, the database's or a login role's lc_messages): the error-class alarms cannot match the log",
  why: "the alarms match PostgreSQL's English messages in the log; in another language no alarm fires, and nothing says so",
  fix: "lc_messages = C in the RDS parameter group (the server's), or ALTER DATABASE … RESET lc_messages / ALTER ROLE … RESET lc_messages as a superuser (RDS: the master user); clients get the same SQLSTATEs",
  settingsOnly: true,
  check: logLanguage,
};

/** Whether PostgreSQL writes English messages under this `lc_messages`: empty (the server's environment), C, POSIX or an `en` (Windows: `English_…`) locale. */
export function messagesInEnglish(lcMessages: string): boolean {
  const v = lcMessages.trim();
  return v === '' || /^(?:C|POSIX)(?:\.|$)/i.test(v) || /^en(?:[_.@-]|$)|^english/i.test(v);
}

/** The superuser-only note every fix carries. */
const WHO = 'as a superuser (RDS: the master user); lc_messages is superuser-only, so a database owner gets "permission denied to set parameter"';

async function logLanguage(ctx: DoctorContext): Promise<Finding[]> {
  const { value, source, db } = (
    await ctx.q.query<{ value: string; source: string; db: string }>(
      "SELECT current_setting('lc_messages') AS value, (SELECT source FROM pg_settings WHERE name = 'lc_messages') AS source, current_database() AS db",
    )
  ).rows[0];
  // A role's settings apply to its own sessions only: a role that may not log in has none.
  const settings = (await roleSettings(ctx.q, 'lc_messages')).filter((s) => s.can_login !== false && !messagesInEnglish(s.value));
  const findings = settings.map((s) => levelFinding(s, db));
  // The session's value, when no database or role setting gave it: the server's (parameter group, postgresql.conf).
  if (!messagesInEnglish(value) && !['database', 'user', 'database user'].includes(source)) findings.unshift(serverFinding(value, db));
  return findings;
}

function serverFinding(value: string, db: string): Finding {
  return {
    rule: LOG_LANGUAGE.id,
    severity: LOG_LANGUAGE.severity,
    object: `lc_messages = ${quoteLiteral(value)}`,
    message: `the server writes its messages in lc_messages '${value}' (its own setting), not English: the error-class alarms, which match the English text, count nothing`,
    why: LOG_LANGUAGE.why,
    fix: `set lc_messages = C in the RDS parameter group (elsewhere: ALTER SYSTEM SET lc_messages = 'C' and SELECT pg_reload_conf(), as a superuser); new sessions log in English. ALTER DATABASE ${ident(db)} SET lc_messages = 'C' works too, ${WHO}`,
  };
}

function levelFinding(s: RoleSetting, db: string): Finding {
  const { object, reset } = settingScope(s, ident(db), 'lc_messages');
  const here = s.role !== null && !s.all_databases ? ` in database ${ident(db)}` : '';
  return {
    rule: LOG_LANGUAGE.id,
    severity: LOG_LANGUAGE.severity,
    object: `lc_messages = ${quoteLiteral(s.value)} (${object}${here})`,
    message: `lc_messages '${s.value}' is set for ${object}${here}, not English: its new sessions log their errors in that language, and the error-class alarms, which match the English text, count nothing`,
    why: LOG_LANGUAGE.why,
    fix: `${reset}  ${sqlComment(`${WHO}; new sessions then take the server's lc_messages (the parameter group's)`)}`,
  };
}
