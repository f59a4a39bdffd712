/**
 * The `Data` isComplete answers with, readable with GetAtt: strings only,
 * every attribute always present, the whole under DATA_MAX_BYTES so the
 * response stays under CloudFormation's 4 KB. Built from versions and counts
 * only — nothing from the secret or the connection reaches it.
 */
import type { Driver } from '../engine/ports';
import type { MigrateResult } from '../engine/runner';
import { readApplied, type AppliedMigration } from '../engine/state/state';
import { ATTR, DATA_MAX_BYTES, OUTCOME, VERIFY_ATTR } from './constants';
import { cut } from './failure';
import { plural } from '../engine/errors/words';
import { present } from '../engine/errors/present';

/**
 * The state rows after the run, and the versions this request applied: those
 * whose rows name `appliedBy` and that ran (a baseline's rows name it too, but
 * nothing of them ran).
 */
export async function requestState(driver: Driver, stateSchema: string, appliedBy: string): Promise<{ mine: number[]; rows: AppliedMigration[] }> {
  const session = await driver.connect();
  try {
    const rows = await readApplied(session, stateSchema);
    return { mine: rows.filter((a) => a.appliedBy === appliedBy && a.kind !== 'baseline').map((a) => a.version), rows };
  } finally {
    await session.close();
  }
}

/** The response `Data`: strings only (GetAtt values), always every attribute, under DATA_MAX_BYTES. `baseline`: what SchemaMigrations `baseline` did (adoption.ts). */
export function responseData(result: MigrateResult, mine: number[], rollback: boolean, ahead: number[], baseline = 'not set'): Record<string, string> {
  const outcome = mine.length > 0 ? OUTCOME.applied : rollback ? OUTCOME.databaseAhead : OUTCOME.upToDate;
  const current = result.currentVersion === null ? 'none' : String(result.currentVersion);
  const data: Record<string, string> = {
    [ATTR.outcome]: outcome,
    [ATTR.currentVersion]: current,
    [ATTR.appliedCount]: String(result.appliedCount),
    [ATTR.appliedThisRun]: String(mine.length),
    [ATTR.appliedVersions]: list(mine, 600),
    [ATTR.aheadVersions]: list(ahead, 300),
    [ATTR.message]: message(outcome, mine, ahead, current),
    [ATTR.baseline]: baseline.slice(0, 400),
    [ATTR.rollbackProblem]: '',
    [ATTR.tenants]: '',
  };
  if (Buffer.byteLength(JSON.stringify(data)) > DATA_MAX_BYTES) data[ATTR.message] = present(data[ATTR.message], 'the message').slice(0, 200);
  return data;
}

/** What the database was seen at before the failure, when it was reached. */
export interface KnownState {
  currentVersion: string;
  appliedCount: string;
}

/** The budget of the problem in the response, in bytes of JSON text. */
const PROBLEM_BYTES = 900;

/**
 * The `Data` of a rollback's Update that failed and is reported instead
 * (rollback-report.ts): every attribute, as always; what the handler did not
 * get to see is `unknown`.
 */
export function rollbackProblemData(problem: string, known: KnownState | undefined): Record<string, string> {
  const shown = cut(problem, PROBLEM_BYTES);
  return {
    [ATTR.outcome]: OUTCOME.rollbackProblem,
    [ATTR.currentVersion]: known?.currentVersion ?? 'unknown',
    [ATTR.appliedCount]: known?.appliedCount ?? 'unknown',
    [ATTR.appliedThisRun]: 'unknown',
    [ATTR.appliedVersions]: '',
    [ATTR.aheadVersions]: '',
    [ATTR.message]: 'the stack is rolling back and this Update met a failure: reported, not failed, so the rollback can finish; see RollbackProblem',
    [ATTR.rollbackProblem]: shown,
    [ATTR.baseline]: 'unknown',
    [ATTR.tenants]: '',
    [VERIFY_ATTR.contracts]: 'not verified (rollback problem)',
    [VERIFY_ATTR.drift]: 'not verified (rollback problem)',
  };
}

function message(outcome: string, mine: number[], ahead: number[], current: string): string {
  switch (outcome) {
    case OUTCOME.applied:
      return `applied ${plural(mine.length, 'migration')}; the database is at version ${current}`;
    case OUTCOME.databaseAhead:
      return `the database is ahead of these files (versions ${list(ahead, 200)} are not in them): a rollback to older code; nothing was changed`;
    default:
      return `nothing to apply; the database is at version ${current}`;
  }
}

/** Comma-separated versions within `budget` characters; the rest counted: `1,2,3,…(+4997)`. */
function list(versions: number[], budget: number): string {
  const all = versions.join(',');
  if (all.length <= budget) return all;
  let out = '';
  let k = 0;
  for (; k < versions.length; k++) {
    const next = out ? `${out},${versions[k]}` : String(versions[k]);
    if (next.length > budget - 16) break;
    out = next;
  }
  return `${out},…(+${versions.length - k})`;
}
