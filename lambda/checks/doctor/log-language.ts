/**
 * log-language: the server's messages are not in English. The error-class
 * alarms (lib/alarms/error-catalog.ts) match PostgreSQL's English message
 * text in the log, since the log line carries no SQLSTATE under RDS's
 * log_line_prefix: with `lc_messages` set to another language, the log says
 * `FEHLER:  NULL-Wert in Spalte …` and no alarm fires, silently. The
 * session's value is the database's, its role's or the server's default.
 */
import type { Finding } from '../finding';
import { ident } from './names';
import type { DoctorContext, DoctorRule } from './rule';

export const LOG_LANGUAGE: DoctorRule = {
  id: 'log-language',
  // A warning (doctor exits 0: a database without the alarms is fine), which the guard still makes a ticket: paging is silently off.
  severity: 'warning',
  title: 'server messages not in English: the error-class alarms cannot match the log',
  why: 'the alarms match PostgreSQL\'s English messages in the log; in another language no alarm fires, and nothing says so',
  fix: 'set lc_messages to C (or an English locale) in the parameter group or with ALTER DATABASE … SET lc_messages = \'C\'; clients get the same SQLSTATEs',
  check: logLanguage,
};

/** Whether PostgreSQL writes English messages under this `lc_messages`: empty (the server's environment), C, POSIX or an `en` (Windows: `English_…`) locale. */
export function messagesInEnglish(lcMessages: string): boolean {
  const v = lcMessages.trim();
  return v === '' || /^(?:C|POSIX)(?:\.|$)/i.test(v) || /^en(?:[_.@-]|$)|^english/i.test(v);
}

async function logLanguage(ctx: DoctorContext): Promise<Finding[]> {
  const { v, db } = (await ctx.q.query<{ v: string; db: string }>("SELECT current_setting('lc_messages') AS v, current_database() AS db")).rows[0]!;
  if (messagesInEnglish(v)) return [];
  return [{
    rule: LOG_LANGUAGE.id, severity: LOG_LANGUAGE.severity, object: `lc_messages = '${v}'`,
    message: `the server writes its messages in lc_messages '${v}', not English: the error-class alarms, which match the English text, count nothing`,
    why: LOG_LANGUAGE.why,
    fix: `ALTER DATABASE ${ident(db)} SET lc_messages = 'C';  -- or lc_messages = C in the RDS parameter group; new sessions log in English`,
  }];
}
