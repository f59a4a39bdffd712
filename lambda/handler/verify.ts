/**
 * After migrating, before CloudFormation moves on: the query contracts and
 * the drift check, on the migrated database. A failed contract throws (the
 * framework answers FAILED and the stack rolls back before the application's
 * new code runs); drift is reported in the response and fails the deploy only
 * when SCHEMAGUARD_FAIL_ON_DRIFT=true. Nothing here writes to the database.
 */
import { existsSync, readFileSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { assertContracts, checkContracts, loadContracts } from '../checks/contracts';
import { assertNoDrift, detectDrift, staleSnapshot, type Snapshot } from '../checks/drift';
import type { Driver } from '../engine/ports';
import { InputError } from '../engine/errors';
import type { Migration } from '../engine/source';
import { formatDifferences } from '../schema/catalog';
import { DEFAULTS, ENV, VERIFY_ATTR } from './constants';
import type { Logger } from './log';

export interface VerifySettings {
  contractsDir: string;
  /** Absolute path of the snapshot; undefined or a missing file: no drift check. */
  snapshotFile?: string;
  failOnDrift: boolean;
  stateSchema: string;
}

export function readVerifySettings(env: NodeJS.ProcessEnv, contractsDir: string, stateSchema: string): VerifySettings {
  const root = env.LAMBDA_TASK_ROOT || process.cwd();
  const raw = env[ENV.snapshotFile] ?? DEFAULTS.snapshotFile;
  const fail = (env[ENV.failOnDrift] ?? '').toLowerCase();
  if (!['', 'true', 'false'].includes(fail)) {
    throw new InputError(`${ENV.failOnDrift}="${env[ENV.failOnDrift]}" is not true or false`, { value: env[ENV.failOnDrift], fix: 'set it to true to fail the deploy on drift, or leave it unset' });
  }
  return {
    contractsDir, stateSchema, failOnDrift: fail === 'true',
    snapshotFile: raw ? (isAbsolute(raw) ? raw : join(root, raw)) : undefined,
  };
}

/** Response attributes (strings, short) describing what was verified. */
export type VerifyData = Record<typeof VERIFY_ATTR.contracts | typeof VERIFY_ATTR.drift, string>;

export async function verifySchema(driver: Driver, migrations: Migration[], s: VerifySettings, log: Logger): Promise<VerifyData> {
  const data: VerifyData = { [VERIFY_ATTR.contracts]: 'none', [VERIFY_ATTR.drift]: 'not checked (no snapshot)' };

  if (existsSync(s.contractsDir)) {
    const contracts = await loadContracts(s.contractsDir);
    if (contracts.length) {
      const report = await checkContracts({ driver, contracts });
      for (const r of report.results) {
        const fields = { contract: r.file, ok: r.ok, arbiters: r.arbiters.map((a) => a.description), reasons: r.failures.map((f) => f.reason) };
        if (r.ok) log.info('contract holds', fields); else log.error('contract failed', fields);
      }
      assertContracts(report);
      data[VERIFY_ATTR.contracts] = `${report.passed}/${report.results.length} passed`;
    }
  }

  if (s.snapshotFile && existsSync(s.snapshotFile)) {
    const snapshot = JSON.parse(readFileSync(s.snapshotFile, 'utf8')) as Snapshot;
    const stale = staleSnapshot(snapshot, migrations);
    if (stale.length) {
      log.warn('the schema snapshot does not match the bundled migrations: drift not checked (run npm run snapshot)', { stale });
      data[VERIFY_ATTR.drift] = `not checked (snapshot stale: ${stale[0]})`.slice(0, 300);
    } else {
      const report = await detectDrift({ driver, snapshot, stateSchema: s.stateSchema });
      if (report.differences.length) {
        log.warn('drift: the live schema differs from what the migrations produce', { differences: report.differences.slice(0, 50), count: report.differences.length });
        if (s.failOnDrift) assertNoDrift(report);
        data[VERIFY_ATTR.drift] = `${report.differences.length} difference${report.differences.length === 1 ? '' : 's'}: ${formatDifferences(report.differences.slice(0, 3), { a: 'snapshot', b: 'live' }).replace(/\n/g, '; ')}`.slice(0, 600);
      } else {
        data[VERIFY_ATTR.drift] = 'none';
      }
    }
  }
  return data;
}
