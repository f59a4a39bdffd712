/**
 * SchemaMigrations' props for adopting a database that already exists:
 * `baseline` (sent to the handler in the resource properties, checked here
 * first with the CLI's rules) and `operatorCommands` (what the operator
 * function answers when the CLI invokes it with `--function`).
 */
import { Token } from 'aws-cdk-lib';
import { baselineFiles } from '../lambda/engine/state/baseline';
import { InputError } from '../lambda/engine/errors/errors';
import { HISTORY_SOURCES, type HistorySource } from '../lambda/engine/foreign-history/foreign-history';
import type { Migration } from '../lambda/engine/files/source';
import { PROP } from '../lambda/handler/constants';
import type { ContractInput } from '../lambda/handler/contract';

/**
 * What the database already holds, for the first deploy onto it; ignored
 * (and said so, in the log and the response's `Baseline`) once schemaguard
 * has recorded anything there, so it may stay in the code.
 *
 * - `version`: the newest file the database already reflects; the files up
 *   to it are recorded as applied without running them (kind `baseline`), as
 *   `schemaguard baseline VERSION` records them, and the rest run in the same
 *   deploy. `'none'`: the tables there are not the files' (the files make new
 *   objects beside them): every file runs.
 * - `from`: the version another tool's history table in the database gives,
 *   as `schemaguard baseline --from TOOL` reads it (a failed migration there,
 *   or files that disagree with it, fail the deploy with that command's
 *   refusal; nothing is recorded).
 * - `reason`: why, kept with every row recorded.
 */
export type SchemaMigrationsBaseline =
  | { readonly version: number | 'none'; readonly reason: string; readonly from?: never }
  | { readonly from: HistorySource; readonly reason: string; readonly version?: never };

/** What the operator function answers when invoked (the CLI's `--function`). */
export interface OperatorCommands {
  /**
   * Also run `baseline` and `repair` when the CLI asks (their reason and the
   * caller the CLI names are recorded); anyone allowed to invoke the function
   * may then write the state table.
   * @default false - the read-only commands only (status, plan, diff, guard, doctor)
   */
  readonly writes?: boolean;
}

const EXAMPLE = "e.g. baseline: { version: 3, reason: 'adopted: built by hand up to 0003' } or baseline: { from: 'flyway', reason: 'moved from Flyway' }";

/**
 * The resource properties of `baseline` (none without it: a stack that never
 * sets it keeps its template), after the checks the CLI makes before it
 * connects: a reason, one of version and from, a version some file has.
 */
export function baselineProperties(baseline: SchemaMigrationsBaseline | undefined, migrations: Migration[]): Record<string, string> {
  if (baseline === undefined) return {};
  if (baseline === null || typeof baseline !== 'object') throw new Error(`SchemaMigrations: "baseline" must be an object, ${EXAMPLE}`);
  const { version, from, reason } = baseline as { version?: unknown; from?: unknown; reason?: unknown };
  if (typeof reason !== 'string' || (!Token.isUnresolved(reason) && reason.trim() === '')) {
    throw new Error(`SchemaMigrations: "baseline" needs a reason (kept with every row it records), ${EXAMPLE}`);
  }
  if ((version === undefined) === (from === undefined)) throw new Error(`SchemaMigrations: "baseline" takes a version or a from, one of them, ${EXAMPLE}`);
  if (from !== undefined) {
    if (!(HISTORY_SOURCES as readonly unknown[]).includes(from)) {
      throw new Error(
        `SchemaMigrations: "baseline.from" is ${JSON.stringify(from)}; use one of: ${HISTORY_SOURCES.join(', ')} (the tools whose history table baseline reads)`,
      );
    }
    return { [PROP.baselineFrom]: from as string, [PROP.baselineReason]: reason };
  }
  return { [PROP.baselineVersion]: baselineVersion(version, migrations), [PROP.baselineReason]: reason };
}

function baselineVersion(version: unknown, migrations: Migration[]): string {
  if (version === 'none') return 'none';
  if (typeof version !== 'number' || !Number.isSafeInteger(version) || version < 0) {
    throw new Error(
      `SchemaMigrations: "baseline.version" is ${JSON.stringify(version)}; give the version (a whole number) of the newest file the database already reflects, or 'none' when its tables are not the files'`,
    );
  }
  try {
    baselineFiles(migrations, version);
  } catch (e) {
    if (!(e instanceof InputError)) throw e;
    throw new Error(`SchemaMigrations: "baseline.version": ${e.message}; ${e.fix}`, { cause: e });
  }
  return String(version);
}

/** The operator function's configuration for `operatorCommands`: writes only when asked for. */
export function operatorEnvironment(operator: OperatorCommands | undefined): ContractInput {
  if (operator !== undefined && (operator === null || typeof operator !== 'object')) {
    throw new Error('SchemaMigrations: "operatorCommands" must be an object, e.g. operatorCommands: { writes: true }');
  }
  if (operator?.writes !== undefined && typeof operator.writes !== 'boolean') {
    throw new Error(`SchemaMigrations: "operatorCommands.writes" is ${JSON.stringify(operator.writes)}; use true or false`);
  }
  return { operatorWrites: operator?.writes === true };
}
