/**
 * Doctor through the RDS Data API (the tests' stand-in on a real PostgreSQL,
 * 1 MiB per response) against a direct connection, on the schema of the
 * paging tests (test/support/keyed-schema.ts), where every rule that pages
 * has thousands of rows: 200 tables of 20 keys, 4,000 foreign keys (each a
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
import { KEYED_SCHEMA } from '../test/support/keyed-schema';
import { createDatabase, dropDatabase } from './lib/server';
import { median, round } from './lib/stats';
import pg from 'pg';

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
    client: standin,
    database: db.name,
    resourceArn: 'arn:aws:rds:eu-west-1:123456789012:cluster:schemaguard-bench',
    secretArn: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:schemaguard-bench-AbCdEf',
  });
  try {
    const c = new pg.Client({ connectionString: db.url });
    await c.connect();
    await c.query(KEYED_SCHEMA).finally(() => c.end());
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
