/**
 * Doctor through the RDS Data API (the tests' stand-in on a real PostgreSQL,
 * 1 MiB per response) against a direct connection, on the schema of the
 * paging test (test/lambda/checks/doctor/data-api.int.test.ts) with its
 * foreign keys' columns made bigint, so that every rule that pages has
 * thousands of rows: 200 tables of 20 keys, 4,000 foreign keys (each a
 * type mismatch, without an index, NOT VALID), 4,000 CHECKs NOT VALID.
 * Prints, per rule and for the whole doctor, the median time of each way
 * and how many Data API calls the paged way made.
 *
 *   npx tsx bench/data-api-pages.ts postgres://postgres@localhost:5432/postgres [runs]
 *
 * The URL is a server's maintenance database; a database is made for the
 * run and dropped after.
 */
import { DOCTOR_RULES, doctor, type DoctorRule } from '../lambda/checks/doctor';
import { DataApiDriver } from '../lambda/driver/data-api/data-api-driver';
import { PgDriver } from '../lambda/driver/pg/pg-driver';
import type { Driver } from '../lambda/engine/ports';
import { DataApiStandin } from '../test/support/data-api-standin';
import { createDatabase, dropDatabase } from './lib/server';
import { median, round } from './lib/stats';
import pg from 'pg';

const TABLES = 200;
const EACH = 20;

const SCHEMA = `
DO $d$ BEGIN
  FOR t IN 1..${TABLES} LOOP
    EXECUTE format('CREATE TABLE a_table_with_a_long_name_to_fill_a_data_api_response_%s (%s)', t, (
      SELECT string_agg(format('key_%s serial CONSTRAINT a_unique_key_with_a_long_name_to_fill_a_response_%s_%s UNIQUE, parent_%s bigint', k, t, k, k), ', ')
        FROM generate_series(1, ${EACH}) k));
    EXECUTE format('ALTER TABLE a_table_with_a_long_name_to_fill_a_data_api_response_%s %s', t, (
      SELECT string_agg(format('ADD CONSTRAINT a_foreign_key_with_a_long_name_to_fill_a_response_%s_%s FOREIGN KEY (parent_%s)
                                  REFERENCES a_table_with_a_long_name_to_fill_a_data_api_response_%s (key_%s) NOT VALID,
                                ADD CONSTRAINT a_check_with_a_long_name_to_fill_a_data_api_response_%s_%s CHECK (key_%s > 0) NOT VALID', t, k, k, t, k, t, k, k), ', ')
        FROM generate_series(1, ${EACH}) k));
  END LOOP;
END $d$;`;

async function timed(driver: Driver, rules: readonly DoctorRule[]): Promise<number> {
  const started = performance.now();
  await doctor({ driver }, { rules });
  return performance.now() - started;
}

async function main(): Promise<void> {
  const adminUrl = process.argv[2];
  const runs = Number(process.argv[3] ?? 3);
  if (!adminUrl) throw new Error('usage: npx tsx bench/data-api-pages.ts <postgres url of the maintenance database> [runs]');
  const db = await createDatabase(adminUrl, 'data_api_pages');
  const standin = new DataApiStandin(db.url);
  const direct = new PgDriver({ connectionString: db.url });
  const paged = new DataApiDriver({
    client: standin, database: db.name,
    resourceArn: 'arn:aws:rds:eu-west-1:123456789012:cluster:schemaguard-bench',
    secretArn: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:schemaguard-bench-AbCdEf',
  });
  try {
    const c = new pg.Client({ connectionString: db.url });
    await c.connect();
    await c.query(SCHEMA).finally(() => c.end());
    const cases: [string, readonly DoctorRule[]][] = [...DOCTOR_RULES.map((r): [string, DoctorRule[]] => [r.id, [r]]), ['doctor (every rule)', DOCTOR_RULES]];
    console.log(`| rule | direct, ms | Data API, ms | Data API calls |\n|---|---|---|---|`);
    for (const [name, rules] of cases) {
      const a: number[] = [];
      const b: number[] = [];
      let calls = 0;
      for (let run = 0; run < runs; run++) {
        a.push(await timed(direct, rules));
        const before = standin.calls.length;
        b.push(await timed(paged, rules));
        calls = standin.calls.length - before;
      }
      console.log(`| ${name} | ${round(median(a))} | ${round(median(b))} | ${calls} |`);
    }
  } finally {
    await direct.end();
    await paged.end();
    await standin.close();
    await dropDatabase(adminUrl, db.name);
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exitCode = 1;
});
