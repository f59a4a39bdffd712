/**
 * The drivers the engine's integration suite runs on. Each entry turns a
 * PostgreSQL URL into a Driver; every `describe.each(driverCases())` block
 * runs once per (server version × driver).
 */
import type { Driver } from '../../lambda/engine/ports';
import { PgDriver } from '../../lambda/driver/pg/pg-driver';
import { DataApiDriver } from '../../lambda/driver/data-api/data-api-driver';
import { DataApiStandin } from './data-api-standin';
import { targets } from './db';
import type { Target } from './targets';

export interface DriverKind {
  name: string;
  make(url: string): Driver;
}

/** Placeholder ARNs: the stand-in checks they are present, as the service requires. */
export const TEST_CLUSTER_ARN = 'arn:aws:rds:eu-west-1:123456789012:cluster:schemaguard-test';
export const TEST_SECRET_ARN = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:schemaguard-test-AbCdEf';

const standins = new Map<string, DataApiStandin>();

/** One Data API stand-in per database URL, shared by the drivers a test makes. */
export function standinFor(url: string): DataApiStandin {
  let s = standins.get(url);
  if (!s) {
    s = new DataApiStandin(url);
    standins.set(url, s);
  }
  return s;
}

export function makeDataApiDriver(url: string, client: DataApiStandin = standinFor(url)): DataApiDriver {
  return new DataApiDriver({
    client,
    resourceArn: TEST_CLUSTER_ARN,
    secretArn: TEST_SECRET_ARN,
    database: decodeURIComponent(new URL(url).pathname.slice(1)),
    // Short lease so tests about dead runners don't wait a minute.
    lease: { ttlMs: 3000, pollMs: 100 },
  });
}

export const driverKinds: DriverKind[] = [
  { name: 'pg', make: (url) => new PgDriver({ connectionString: url }) },
  { name: 'data-api', make: (url) => makeDataApiDriver(url) },
];

export interface DriverCase {
  /** e.g. "PostgreSQL 18 (embedded) / pg". */
  name: string;
  target: Target;
  driver: DriverKind;
}

/** Each server of `servers` (default: `targets`, 18, and 15 too in the full matrix; `allMajors` for every major) with each driver. */
export function driverCases(servers: Target[] = targets): DriverCase[] {
  return servers.flatMap((target) => driverKinds.map((driver) => ({ name: `${target.name} / ${driver.name}`, target, driver })));
}
