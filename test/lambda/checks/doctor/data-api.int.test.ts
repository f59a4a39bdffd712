/**
 * Doctor through the RDS Data API (the stand-in: 1 MiB per response) on a
 * schema of thousands of tables: the rules whose result is one row per key,
 * foreign key or constraint read it in pages, and report what a connection
 * reports. One query each was past the limit ("Database response exceeded
 * size limit") and failed doctor and the guard; then each page ran the
 * rule's whole query again (fk-type-mismatch on these 4,000 keys: 42 s
 * against 10 s over a connection); then a first page ran it, and a cursor
 * again; now a cursor reads it once.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { doctor, type DoctorReport, type DoctorRule } from '../../../../lambda/checks/doctor';
import { CONSTRAINT_NOT_VALIDATED } from '../../../../lambda/checks/doctor/constraint-not-validated';
import { FK_TYPE_MISMATCH } from '../../../../lambda/checks/doctor/fk-type-mismatch';
import { FK_WITHOUT_INDEX } from '../../../../lambda/checks/doctor/fk-without-index';
import { LOG_LANGUAGE } from '../../../../lambda/checks/doctor/log-language';
import { PK_WITHOUT_DEFAULT } from '../../../../lambda/checks/doctor/pk-without-default';
import { REPLICATION_ROLE_REPLICA } from '../../../../lambda/checks/doctor/replication-role-replica';
import { SEQUENCE_BEHIND } from '../../../../lambda/checks/doctor/sequence-behind';
import { DATA_API_RESPONSE_LIMIT_BYTES } from '../../../../lambda/driver/data-api/data-api-driver';
import { PgDriver } from '../../../../lambda/driver/pg/pg-driver';
import { outcome, withPagedRig } from '../../../support/data-api-pages';
import { DataApiStandin } from '../../../support/data-api-standin';
import { makeDataApiDriver } from '../../../support/drivers';
import { dropDatabases, freshDatabase, targets, withClient } from '../../../support/db';
import { KEYED_TABLES, KEYS_EACH, keyedSchema } from '../../../support/keyed-schema';

afterAll(dropDatabases);

/**
 * An eighth of the keyed schema (500 keys) read by an eighth of the 1 MiB
 * limit: pages are cut from the limit, so each rule's rows are past one
 * response and take the same pages as the full schema's 4,000 keys through
 * 1 MiB (that size is bench/data-api-pages.ts's).
 */
const SCALE = 8;
const TABLES = KEYED_TABLES / SCALE;
const EACH = KEYS_EACH;
const RESPONSE_LIMIT_BYTES = DATA_API_RESPONSE_LIMIT_BYTES / SCALE;

/** The rules whose rows pass one response here. */
const RULES = [SEQUENCE_BEHIND, FK_TYPE_MISMATCH, FK_WITHOUT_INDEX, CONSTRAINT_NOT_VALIDATED];

/** The keyed schema, and one key's sequence behind its rows (sequence-behind). */
const SCHEMA = `${keyedSchema(TABLES)}
INSERT INTO a_table_with_a_long_name_to_fill_a_data_api_response_1 (key_1, key_2) VALUES (1, 1), (2, 2);
SELECT setval(pg_get_serial_sequence('a_table_with_a_long_name_to_fill_a_data_api_response_1', 'key_2'), 2);
`;

async function overConnection(url: string, rules?: readonly DoctorRule[]): Promise<DoctorReport> {
  const driver = new PgDriver({ connectionString: url });
  try {
    return await doctor({ driver }, { rules });
  } finally {
    await driver.end();
  }
}

describe.each(targets)('Function: doctor through the Data API on $name', (target) => {
  it(`reads the rules' rows of ${TABLES * EACH} keys, foreign keys and constraints in pages of a ${RESPONSE_LIMIT_BYTES / 1024} KiB response, and reports what a connection reports (one query per rule was past the response limit: "Database response exceeded size limit")`, async () => {
    // Prepare
    const url = await freshDatabase(target, 'doctor_data_api_pages');
    await withClient(url, (c) => c.query(SCHEMA));

    await withPagedRig(
      url,
      async ({ standin, driver, unpaged, fetches }) => {
        // Act
        const expected = await overConnection(url);
        const paged = await doctor({ driver });
        const whole = [];
        for (const rule of RULES) whole.push([rule.id, await outcome(doctor({ session: unpaged }, { rules: [rule] }))]);

        // Assess
        expect(whole).toEqual(RULES.map((r) => [r.id, '54000']));
        expect(paged).toEqual(expected);
        const count = (rule: string) => paged.findings.filter((f) => f.rule === rule).length;
        expect(RULES.map((r) => [r.id, count(r.id)])).toEqual([
          ['sequence-behind', 1],
          ['fk-type-mismatch', TABLES * EACH],
          ['fk-without-index', TABLES * EACH],
          ['constraint-not-validated', 2 * TABLES * EACH],
        ]);
        expect(paged.notes).toEqual([]);
        expect(fetches()).toBeGreaterThan(10);
        // Each read ran its query once, through one cursor (a catalog this big takes pages): no keyed page ran it first
        // (that ran it twice), none once per page (42 s against 10 s).
        const declared = standin.calls.filter((x) => x.sql?.startsWith('DECLARE')).map((x) => x.sql!.replace(/schemaguard_page_\d+/, ''));
        expect(standin.calls.filter((x) => x.sql?.includes('sg_more'))).toEqual([]);
        expect(declared.length).toBeGreaterThan(RULES.length);
        expect(new Set(declared).size).toBe(declared.length);
      },
      RESPONSE_LIMIT_BYTES,
    );
  }, 120_000);

  // Regression: the two rules that read only settings each paid a Data API transaction (begin, its settings, rollback: 3 calls around 2 reads).
  it('runs the settings-only rules without a transaction (each read one call) and reports what a connection reports; a rule that reads tables keeps its transaction', async () => {
    // Prepare
    const url = await freshDatabase(target, 'doctor_data_api_settings');
    const db = new URL(url).pathname.slice(1);
    const role = `${db}_app`;
    // As ALTER ROLE … IN DATABASE … SET writes them (this machine has no de_DE locale, so ALTER ROLE refuses that value).
    await withClient(url, (c) =>
      c.query(`CREATE TABLE t (id uuid PRIMARY KEY); CREATE ROLE ${role} LOGIN; SET allow_system_table_mods = on;
      INSERT INTO pg_db_role_setting VALUES ((SELECT oid FROM pg_database WHERE datname = current_database()), '${role}'::regrole, '{session_replication_role=replica,lc_messages=de_DE.UTF-8}')`),
    );
    const standin = new DataApiStandin(url);
    const driver = makeDataApiDriver(url, standin);
    try {
      // Act
      const expected = await overConnection(url, [REPLICATION_ROLE_REPLICA, LOG_LANGUAGE]);
      const report = await doctor({ driver }, { rules: [REPLICATION_ROLE_REPLICA, LOG_LANGUAGE] });
      const settingsCalls = standin.calls.map((c) => c.command);
      standin.calls.length = 0;
      const tables = await doctor({ driver }, { rules: [PK_WITHOUT_DEFAULT] });

      // Assess
      expect(report).toEqual(expected);
      expect(report.findings.map((f) => [f.rule, f.object])).toEqual([
        ['replication-role-replica', `role ${role}`],
        ['log-language', `lc_messages = 'de_DE.UTF-8' (role ${role} in database ${db})`],
      ]);
      // connect's SELECT 1, the context's two reads, then two reads per rule: no BeginTransaction, no RollbackTransaction.
      expect(settingsCalls).toEqual(Array(7).fill('ExecuteStatement'));
      expect(tables.findings.map((f) => [f.rule, f.object])).toEqual([['pk-without-default', 't.id']]);
      expect(standin.calls.map((c) => c.command).filter((c) => c !== 'ExecuteStatement')).toEqual(['BeginTransaction', 'RollbackTransaction']);
    } finally {
      await driver.end();
      await standin.close();
      await withClient(url, (c) => c.query(`DROP OWNED BY ${role}; DROP ROLE ${role}`));
    }
  }, 60_000);
});
