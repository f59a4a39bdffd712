/**
 * log-language: the error-class alarms match PostgreSQL's English messages;
 * a server writing another language pages for nothing. This machine has no
 * locale but C and POSIX, so a non-English lc_messages cannot be set on the
 * test servers (PostgreSQL refuses a locale the system lacks): the decision
 * is tested on the values themselves, and the rule on the servers here.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { LOG_LANGUAGE, messagesInEnglish } from '../../../../lambda/checks/doctor/log-language';
import { dropDatabases, targets, withClient } from '../../../support/db';
import { findingsOnSchema } from './bad-schema';

afterAll(dropDatabases);

describe('Function: messagesInEnglish', () => {
  it.each(['', 'C', 'C.UTF-8', 'C.utf8', 'POSIX', 'en_US.UTF-8', 'en_GB.utf8', 'en', 'English_United States.1252'])('%j: English', (v) => {
    expect(messagesInEnglish(v)).toBe(true);
  });
  it.each(['de_DE.UTF-8', 'fr_FR.utf8', 'ja_JP.UTF-8', 'es', 'German_Germany.1252', 'Cy_GB'])('%j: not English', (v) => {
    expect(messagesInEnglish(v)).toBe(false);
  });
});

describe.each(targets)('Rule: log-language on $name', (target) => {
  it('finds nothing where the server writes English (its lc_messages here), and reads the setting the sessions get', async () => {
    const { findings, url } = await findingsOnSchema(target, 'doctor_log_language', 'CREATE TABLE t (id int)', [LOG_LANGUAGE]);
    expect(findings).toEqual([]);
    const value = await withClient(url, async (c) => (await c.query("SELECT current_setting('lc_messages') AS v")).rows[0].v as string);
    expect(messagesInEnglish(value)).toBe(true);
  });
});
