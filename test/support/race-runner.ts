/**
 * One migration runner process on the Data API driver (its stand-in over a
 * real PostgreSQL), as `schemaguard migrate` is one on the pg driver; the
 * race tests start several at once:
 *   node --import tsx test/support/race-runner.ts <database-url> <migrations-dir>
 * (the race tests run it bundled, for a start-up as fast as the CLI's).
 * Prints the migrate result as JSON and exits 0, or prints the error and exits 1.
 */
import { DataApiDriver } from '../../lambda/driver/data-api/data-api-driver';
import { migrate } from '../../lambda/engine/runner';
import { loadMigrations } from '../../lambda/engine/files/source';
import { DataApiStandin } from './data-api-standin';

const [url, dir] = process.argv.slice(2);
const standin = new DataApiStandin(url!, { poolSize: 3 });
const driver = new DataApiDriver({
  client: standin,
  resourceArn: 'arn:aws:rds:eu-west-1:123456789012:cluster:schemaguard-test',
  secretArn: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:schemaguard-test-AbCdEf',
  database: decodeURIComponent(new URL(url!).pathname.slice(1)),
  lease: { ttlMs: 10_000 },
});
try {
  const result = await migrate({ driver, migrations: loadMigrations(dir!), appliedBy: `race:${process.pid}`, lockWaitMs: 120_000 });
  process.stdout.write(`${JSON.stringify(result)}\n`);
} catch (e) {
  process.stderr.write(`error: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exitCode = 1;
} finally {
  await standin.close();
}
