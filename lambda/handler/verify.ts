/**
 * After migrating, before CloudFormation moves on: the query contracts and
 * the drift check, on the migrated database. A failed contract throws (the
 * framework answers FAILED and the stack rolls back before the application's
 * new code runs); drift is reported in the response and fails the deploy only
 * when SCHEMAGUARD_FAIL_ON_DRIFT=true. Nothing here writes to the database.
 */
import { existsSync, readFileSync } from 'node:fs';
import { assertChecked, assertContracts, checkContracts, loadContracts } from '../checks/contracts';
import { assertNoDrift, detectDrift, failingDrift, staleSnapshot, type Snapshot } from '../checks/drift';
import type { Driver } from '../engine/ports';
import type { Migration } from '../engine/source';
import { formatDifferences } from '../schema/catalog';
import type { VerifySettings } from './config';
import { VERIFY_ATTR } from './constants';
import type { Logger } from './log';

/** Response attributes (strings, short) describing what was verified. */
export type VerifyData = Record<typeof VERIFY_ATTR.contracts | typeof VERIFY_ATTR.drift, string>;

/**
 * What a rollback answers instead: it runs older files against a newer
 * schema, so there is nothing to verify, and failing would block the rollback.
 */
export const SKIPPED_ON_ROLLBACK: VerifyData = { [VERIFY_ATTR.contracts]: 'skipped (rollback)', [VERIFY_ATTR.drift]: 'skipped (rollback)' };

export async function verifySchema(driver: Driver, migrations: Migration[], s: VerifySettings, log: Logger): Promise<VerifyData> {
  return {
    [VERIFY_ATTR.contracts]: await verifyContracts(driver, s.contractsDir, log),
    [VERIFY_ATTR.drift]: await verifyNoDrift(driver, migrations, s, log),
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
    if (r.ok) log.info('contract holds', fields); else log.error('contract failed', fields);
  }
  assertChecked(report);
  assertContracts(report);
  return `${report.passed}/${report.results.length} passed`;
}

/** The live schema against the snapshot, when there is a current one; fatal only with failOnDrift, and not for comment changes alone. */
async function verifyNoDrift(driver: Driver, migrations: Migration[], s: VerifySettings, log: Logger): Promise<string> {
  if (!s.snapshotFile || !existsSync(s.snapshotFile)) return 'not checked (no snapshot)';
  const snapshot = JSON.parse(readFileSync(s.snapshotFile, 'utf8')) as Snapshot;
  const stale = staleSnapshot(snapshot, migrations);
  if (stale.length) {
    log.warn('the schema snapshot does not match the bundled migrations: drift not checked (run schemaguard snapshot)', { stale });
    return `not checked (snapshot stale: ${stale[0]})`.slice(0, 300);
  }
  const report = await detectDrift({ driver, snapshot, stateSchema: s.stateSchema });
  if (!report.differences.length) return 'none';
  log.warn('drift: the live schema differs from what the migrations produce', { differences: report.differences.slice(0, 50), count: report.differences.length });
  if (s.failOnDrift) assertNoDrift(report);
  const n = report.differences.length;
  const comments = failingDrift(report).length ? '' : ' (comment changes only: reported, not failing)';
  return `${n} difference${n === 1 ? '' : 's'}${comments}: ${formatDifferences(report.differences.slice(0, 3), { a: 'snapshot', b: 'live' }).replace(/\n/g, '; ')}`.slice(0, 600);
}
