/**
 * log-language: the error-class alarms match PostgreSQL's English messages;
 * a server writing another language pages for nothing. This machine has no
 * locale but C and POSIX, so a non-English lc_messages cannot be set on the
 * test servers (PostgreSQL refuses a locale the system lacks): the decision
 * is tested on the values themselves, and the rule on the servers here.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { LOG_LANGUAGE, messagesInEnglish } from '../../../../lambda/checks/doctor/log-language';
import { fullMatrixMajors, dropDatabases, freshDatabase, withClient } from '../../../support/db';
import { applyFix, findingsOn, findingsOnSchema } from './bad-schema';

afterAll(dropDatabases);

describe('Function: messagesInEnglish', () => {
  it.each(['', 'C', 'C.UTF-8', 'C.utf8', 'POSIX', 'en_US.UTF-8', 'en_GB.utf8', 'en', 'English_United States.1252'])('%j: English', (v) => {
    expect(messagesInEnglish(v)).toBe(true);
  });
  it.each(['de_DE.UTF-8', 'fr_FR.utf8', 'ja_JP.UTF-8', 'es', 'German_Germany.1252', 'Cy_GB'])('%j: not English', (v) => {
    expect(messagesInEnglish(v)).toBe(false);
  });
});

describe.each(fullMatrixMajors)('Rule: log-language on $name', (target) => {
  it('finds nothing where the server writes English (its lc_messages here), and reads the setting the sessions get', async () => {
    const { findings, url } = await findingsOnSchema(target, 'doctor_log_language', 'CREATE TABLE t (id int)', [LOG_LANGUAGE]);
    expect(findings).toEqual([]);
    const value = await withClient(url, async (c) => (await c.query("SELECT current_setting('lc_messages') AS v")).rows[0].v as string);
    expect(messagesInEnglish(value)).toBe(true);
  });

  // Regression (tester): ALTER ROLE app_user IN DATABASE app SET lc_messages = 'de_DE.UTF-8' made the app's errors log in German, and the rule,
  // reading only its own session's setting, found nothing; its fix, ALTER DATABASE … SET lc_messages, is refused to the database's owner.
  it("finds the database's and a login role's lc_messages, as a role without privileges reads them; each fix, run as a superuser, clears it", async () => {
    const url = await freshDatabase(target, 'doctor_log_language_roles');
    const db = new URL(url).pathname.slice(1);
    const tag = randomBytes(4).toString('hex');
    const [app, owner, checker, password] = [`app_user_${tag}`, `app_owner_${tag}`, `checker_${tag}`, randomBytes(12).toString('hex')];
    const checkerUrl = Object.assign(new URL(url), { username: checker, password }).toString();
    await withClient(url, (c) =>
      c.query(`CREATE ROLE ${app} LOGIN; CREATE ROLE ${owner} LOGIN; CREATE ROLE ${checker} LOGIN PASSWORD '${password}';
      ALTER DATABASE ${db} OWNER TO ${owner}`),
    );
    try {
      // lc_messages is superuser-only: the database's owner may not set it (what the fix used to ask).
      await expect(withClient(url, (c) => c.query(`SET ROLE ${owner}; ALTER DATABASE ${db} SET lc_messages = 'C'`))).rejects.toMatchObject({ code: '42501' });
      // This machine has no de_DE locale, so ALTER … SET refuses the value: the rows are written as ALTER DATABASE and ALTER ROLE write them.
      await withClient(url, (c) =>
        c.query(`SET allow_system_table_mods = on;
        INSERT INTO pg_db_role_setting VALUES ((SELECT oid FROM pg_database WHERE datname = current_database()), 0, '{lc_messages=fr_FR.UTF-8}');
        INSERT INTO pg_db_role_setting VALUES ((SELECT oid FROM pg_database WHERE datname = current_database()), '${app}'::regrole, '{work_mem=8MB,lc_messages=de_DE.UTF-8}')`),
      );
      const findings = await findingsOn(checkerUrl, [LOG_LANGUAGE]);
      expect(findings.map((f) => `${f.severity} ${f.object}`)).toEqual([
        `warning lc_messages = 'fr_FR.UTF-8' (database ${db})`,
        `warning lc_messages = 'de_DE.UTF-8' (role ${app} in database ${db})`,
      ]);
      expect(findings.map((f) => f.fix.replace(/ {2}--.*$/, ''))).toEqual([
        `ALTER DATABASE ${db} RESET lc_messages;`,
        `ALTER ROLE ${app} IN DATABASE ${db} RESET lc_messages;`,
      ]);
      for (const f of findings) await applyFix(url, f.fix);
      expect(await findingsOn(checkerUrl, [LOG_LANGUAGE])).toEqual([]);
    } finally {
      await withClient(url, (c) => c.query(`ALTER DATABASE ${db} OWNER TO CURRENT_USER; DROP ROLE ${app}, ${owner}, ${checker}`));
    }
  });
});
