/**
 * A migration runner that takes the Data API lease and then hangs, renewing it,
 * until it is killed: the lease-lock integration test SIGKILLs it to prove
 * that a dead runner's lease expires. Runs outside vitest:
 *   node --import tsx test/support/lease-holder.ts <database-url> <ttl-ms> <owner>
 */
import { DataApiDriver } from '../../lambda/driver/data-api/data-api-driver';
import { DataApiStandin } from './data-api-standin';

const [url, ttl, owner] = process.argv.slice(2);
const driver = new DataApiDriver({
  client: new DataApiStandin(url!),
  resourceArn: 'arn:aws:rds:eu-west-1:123456789012:cluster:schemaguard-test',
  secretArn: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:schemaguard-test-AbCdEf',
  database: decodeURIComponent(new URL(url!).pathname.slice(1)),
  lease: { ttlMs: Number(ttl) },
});
const lock = driver.createLock({ stateSchema: 'schemaguard', owner: owner! });
await lock.acquire(10_000);
process.stdout.write('held\n');
setInterval(() => undefined, 60_000);
