/**
 * After migrating, before CloudFormation moves on: the query contracts and
 * the drift check, on the migrated database. A failed contract throws (the
 * framework answers FAILED and the stack rolls back before the application's
 * new code runs); drift is reported in the response and fails the deploy only
 * when SCHEMAGUARD_FAIL_ON_DRIFT=true. A live schema another session holds
 * locked (a TRUNCATE, a maintenance job) is read again a few times within the
 * invocation's time; still locked, the drift check is reported not checked,
 * naming the holder, and fails the deploy only with failOnDrift. Nothing here
 * writes to the database.
 */
import { existsSync, readFileSync } from 'node:fs';
import { assertChecked, assertContracts, checkContracts, loadContracts } from '../checks/contracts';
import { assertNoDrift, detectDrift, failingDrift, staleSnapshot, type DriftReport, type Snapshot } from '../checks/drift/drift';
import { MigrationError } from '../engine/errors/errors';
import type { Driver } from '../engine/ports';
import type { Migration } from '../engine/files/source';
import { CATALOG_READ_SETTINGS, CatalogReadTimeoutError } from '../schema/bounded-read';
import { formatDifferences } from '../schema/catalog';
import type { VerifySettings } from './config';
import { VERIFY_ATTR } from './constants';
import type { Logger } from './log';
import { LOCK_NOT_AVAILABLE } from '../engine/errors/sqlstate';
import { plural } from '../engine/errors/words';

/** Response attributes (strings, short) describing what was verified. */
export type VerifyData = Record<typeof VERIFY_ATTR.contracts | typeof VERIFY_ATTR.drift, string>;

/**
 * What a rollback answers instead: it runs older files against a newer
 * schema, so there is nothing to verify, and failing would block the rollback.
 */
export const SKIPPED_ON_ROLLBACK: VerifyData = { [VERIFY_ATTR.contracts]: 'skipped (rollback)', [VERIFY_ATTR.drift]: 'skipped (rollback)' };

/** `deadline`: when the invocation's time ends (epoch ms); the drift check's reads again behind a lock end in time for the answer. */
export async function verifySchema(driver: Driver, migrations: Migration[], s: VerifySettings, log: Logger, deadline: number): Promise<VerifyData> {
  return {
    [VERIFY_ATTR.contracts]: await verifyContracts(driver, s.contractsDir, log),
    [VERIFY_ATTR.drift]: await verifyNoDrift(driver, migrations, s, log, deadline),
  };
}

/** Every contract must hold (a failure throws ContractFailedError); `none` without contracts. */
async function verifyContracts(driver: Driver, contractsDir: string, log: Logger): Promise<string> {
  if (!existsSync(contractsDir)) return 'none';
  const contracts = await loadContracts(contractsDir);
  if (!contracts.length) return 'none';
  const report = await checkContracts({ driver, contracts });
  for (const r of report.results) {
    const fields = { contract: r.file, ok: r.ok, arbiters: r.arbiters.map((a) => a.description), reasons: r.failures.map((f) => f.reason) };
    if (r.ok) log.info('contract holds', fields);
    else log.error('contract failed', fields);
  }
  assertChecked(report);
  assertContracts(report);
  return `${report.passed}/${report.results.length} passed`;
}

/** The live schema against the snapshot, when there is a current one; fatal only with failOnDrift, and not for comment changes alone. */
async function verifyNoDrift(driver: Driver, migrations: Migration[], s: VerifySettings, log: Logger, deadline: number): Promise<string> {
  if (!s.snapshotFile || !existsSync(s.snapshotFile)) return 'not checked (no snapshot)';
  const snapshot = JSON.parse(readFileSync(s.snapshotFile, 'utf8')) as Snapshot;
  const stale = staleSnapshot(snapshot, migrations);
  if (stale.length) {
    log.warn('the schema snapshot does not match the bundled migrations: drift not checked (run schemaguard snapshot)', { stale });
    return `not checked (snapshot stale: ${stale[0]})`.slice(0, 300);
  }
  const read = await detectDriftBehindLocks(() => detectDrift({ driver, snapshot, stateSchema: s.stateSchema }), log, deadline);
  if ('locked' in read) return notChecked(read, s.failOnDrift, log);
  const report = read;
  if (!report.differences.length) return 'none';
  log.warn('drift: the live schema differs from what the migrations produce', {
    differences: report.differences.slice(0, 50),
    count: report.differences.length,
  });
  if (s.failOnDrift) assertNoDrift(report);
  const n = report.differences.length;
  const comments = failingDrift(report).length ? '' : ' (comment changes only: reported, not failing)';
  return `${plural(n, 'difference')}${comments}: ${formatDifferences(report.differences.slice(0, 3), { a: 'snapshot', b: 'live' }).replace(/\n/g, '; ')}`.slice(
    0,
    600,
  );
}

/**
 * The waits before each read again of a live schema another session holds
 * locked (each read waits lock_timeout 1 s, `CATALOG_READ_SETTINGS`), so a
 * TRUNCATE or maintenance job holding ACCESS EXCLUSIVE for a few seconds
 * does not fail the deploy and roll the stack back.
 */
export const DRIFT_READ_WAITS_MS: readonly number[] = [1000, 2000, 4000];

/** Kept back from the invocation's deadline after the last read: reading what this request applied, and answering. */
const ANSWER_MS = 2000;

/** The drift check's read, still locked after every try the time allowed. */
interface Locked {
  locked: CatalogReadTimeoutError;
  tries: number;
  ms: number;
}

/** `read`, again after each of DRIFT_READ_WAITS_MS while it waits past lock_timeout and a try still ends ANSWER_MS before `deadline`. */
async function detectDriftBehindLocks(read: () => Promise<DriftReport>, log: Logger, deadline: number): Promise<DriftReport | Locked> {
  const started = Date.now();
  for (let tries = 1; ; tries++) {
    try {
      return await read();
    } catch (e) {
      if (!(e instanceof CatalogReadTimeoutError) || e.sqlstate !== LOCK_NOT_AVAILABLE) throw e;
      const wait = DRIFT_READ_WAITS_MS[tries - 1];
      if (wait === undefined || Date.now() + wait + CATALOG_READ_SETTINGS.lockTimeoutMs + ANSWER_MS > deadline)
        return { locked: e, tries, ms: Date.now() - started };
      log.info('drift check: the live schema is locked; reading it again', { holder: e.holder, tries, waitMs: wait });
      await new Promise((resolve) => setTimeout(resolve, wait));
    }
  }
}

/** The drift check that could not read: a warning and "not checked: <holder>"; with failOnDrift, a failure naming the holder. */
function notChecked(r: Locked, failOnDrift: boolean, log: Logger): string {
  const holder = r.locked.holder ?? 'a lock';
  const tries = `${plural(r.tries, 'try', 'tries')} in ${Math.round(r.ms / 1000)} s, each past lock_timeout ${CATALOG_READ_SETTINGS.lockTimeoutMs / 1000} s`;
  if (failOnDrift) {
    throw new MigrationError(
      `the drift check could not read the live schema, and failOnDrift fails the deploy on a schema not checked: waiting on ${holder} (${tries}, 55P03)`,
      {
        cause: r.locked,
        sqlstate: LOCK_NOT_AVAILABLE,
        fix: 'deploy again once that session ends (a TRUNCATE, a maintenance job or another migration holds its tables until it commits); the migrations applied stay applied',
      },
    );
  }
  log.warn('drift not checked: the live schema stayed locked (failOnDrift is off: the deploy goes on)', { holder, tries: r.tries, ms: r.ms });
  return `not checked: ${holder} (${tries})`.slice(0, 600);
}
