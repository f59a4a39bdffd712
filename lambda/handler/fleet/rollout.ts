/**
 * A fleet's deploy: the custom resource starts the rollout's state machine
 * and its waiter reports how it ended.
 *
 *   onEvent: read the tenants → the waves (the canary alone first) → StartExecution, named after the request
 *   isComplete: DescribeExecution → running: not complete | succeeded: the Data | failed: throw, naming the tenants and why
 *
 * The execution's name is the request's id, so the same request delivered
 * again finds its own execution (a name is an execution's for 90 days,
 * StartExecution answers the open one with the same input, ExecutionAlreadyExists
 * otherwise). A rollout still running when the request's time is nearly
 * spent (SchemaMigrations totalTimeout) is stopped, and the deploy fails
 * saying so: no later item starts; a tenant whose invocation was running
 * keeps what its files committed, each whole; the tenants done stay done,
 * and the next deploy resumes with the tenants not at the latest version.
 */
import { plural } from '../../engine/errors/words';
import { MigrationError } from '../../engine/errors/errors';
import type { Redactor } from '../../engine/errors/redact';
import type { Fleet } from '../../engine/fleet/fleet-spec';
import { wavesOf } from '../../engine/fleet/rollout';
import { readTenants } from '../../engine/fleet/tenants';
import type { Migration } from '../../engine/files/source';
import type { HandlerConfig } from '../config';
import type { Connector } from '../connection';
import { ATTR, FLEET_STOP_MARGIN_MS, OUTCOME, PROP, VERIFY_ATTR } from '../constants';
import { cut } from '../failure';
import type { Logger } from '../log';
import { appliedBy, type IsCompleteResponse, type OnEventRequest } from '../request';
import { tenantRegistry } from './registry';
import { FLEET_ERRORS, type FleetExecutionInput, type FleetExecutionOutput, type FleetFailure } from './protocol';
import type { StepFunctionsClient } from '../step-functions';

/** What the rollout's steps need from the invocation. */
export interface RolloutContext {
  event: OnEventRequest;
  cfg: HandlerConfig & { fleet: Fleet };
  connector: Connector;
  log: Logger;
  redactor: Redactor;
  stepFunctions: () => Promise<StepFunctionsClient>;
}

/** Step Functions takes an execution input (and a state's data) of at most 256 KiB. */
export const MAX_INPUT_BYTES = 262_144;

/** A fleet's rollout failed, or could not run. */
export class FleetRolloutError extends MigrationError {
  constructor(message: string, fix: string) {
    super(message, { fix });
    this.name = 'FleetRolloutError';
  }
}

/** onEvent: the tenants read and the rollout started; undefined when the fleet has no tenant (nothing to start). */
export async function startRollout(c: RolloutContext): Promise<{ executionArn: string; tenants: number } | undefined> {
  const stateMachineArn = c.event.ResourceProperties?.[PROP.fleetStateMachine];
  if (typeof stateMachineArn !== 'string' || !stateMachineArn)
    throw new FleetRolloutError(`the request has no ${PROP.fleetStateMachine}`, 'deploy the function through SchemaMigrations with a fleet, which passes it');
  const names = (await fleetTenants(c)).map((t) => t.name);
  if (names.length === 0) {
    c.log.info('the fleet has no tenants: nothing to roll out', { fleet: c.cfg.fleet.source });
    return undefined;
  }
  const input: FleetExecutionInput = {
    waves: wavesOf(names, c.cfg.fleet.waveSize),
    tenants: names.length,
    tolerated: c.cfg.fleet.toleratedFailures,
    requestType: c.event.RequestType === 'Update' ? 'Update' : 'Create',
    appliedBy: appliedBy(c.event),
  };
  const text = JSON.stringify(input);
  refuseOversizedInput(names.length, Buffer.byteLength(text));
  const sfn = await c.stepFunctions();
  const { executionArn } = await sfn.startExecution({ stateMachineArn, name: executionName(c.event), input: text });
  c.log.info('fleet rollout started', { executionArn, tenants: names.length, waves: input.waves.length, canary: names[0] });
  return { executionArn, tenants: names.length };
}

/** The fleet's tenants, read from the target database (its schemas, or the databases of its server), or named under its SSM path. */
export async function fleetTenants(c: Pick<RolloutContext, 'connector' | 'cfg' | 'log' | 'redactor'>): Promise<{ name: string }[]> {
  const driver = await c.connector.connect(c.cfg.database, c.log, c.redactor);
  try {
    const session = await driver.connect();
    try {
      return await readTenants(session, c.cfg.fleet, 'SchemaMigrations fleet', tenantRegistry(c.cfg.fleet));
    } finally {
      await session.close();
    }
  } finally {
    await driver.end();
  }
}

/** The execution's name: the request's id (a UUID: letters, digits and hyphens, as a name may have). */
export function executionName(event: Pick<OnEventRequest, 'RequestId'>): string {
  return `schemaguard-${event.RequestId}`.replace(/[^A-Za-z0-9_-]/g, '-').slice(0, 80);
}

function refuseOversizedInput(tenants: number, bytes: number): void {
  if (bytes <= MAX_INPUT_BYTES) return;
  throw new FleetRolloutError(
    `the fleet's ${plural(tenants, 'tenant')} make a rollout input of ${bytes} bytes; Step Functions takes at most ${MAX_INPUT_BYTES} (256 KiB)`,
    'split the fleet into two SchemaMigrations, each with its own pattern or query (their tenants must not overlap), or shorten the tenant names',
  );
}

/** isComplete: the execution described; done, still running, or failed (thrown). `elapsedMs`: how long the request has run, when known. */
export async function rolloutStatus(c: RolloutContext, executionArn: string, migrations: Migration[], elapsedMs?: number): Promise<IsCompleteResponse> {
  const sfn = await c.stepFunctions();
  const state = await sfn.describeExecution(executionArn);
  if (state.status === 'RUNNING') {
    const total = c.cfg.run.totalTimeoutMs;
    if (total !== undefined && elapsedMs !== undefined && elapsedMs + FLEET_STOP_MARGIN_MS >= total) await stopLate(c, sfn, executionArn, total);
    return { IsComplete: false };
  }
  if (state.status === 'SUCCEEDED') return { IsComplete: true, Data: rolloutData(parseOutput(state.output), migrations) };
  throw failedRollout(state, executionArn);
}

/** The rollout outlasted the request: stopped (no later wave starts), and the deploy fails saying what the next one does. */
async function stopLate(c: RolloutContext, sfn: StepFunctionsClient, executionArn: string, totalTimeoutMs: number): Promise<never> {
  const seconds = Math.round(totalTimeoutMs / 1000);
  await sfn.stopExecution(executionArn, { error: 'FleetRolloutTimedOut', cause: `SchemaMigrations totalTimeout (${seconds} s) nearly spent` });
  c.log.error('fleet rollout stopped: the request is nearly out of time', { executionArn, totalTimeoutMs });
  throw new FleetRolloutError(
    `the fleet rollout was still running ${seconds - FLEET_STOP_MARGIN_MS / 1000} s into the request's ${seconds} s (SchemaMigrations totalTimeout): stopped (${executionArn}); the tenants it finished stay at the new version, no later wave started`,
    'deploy again: the rollout resumes with the tenants not at the latest version; for a fleet that needs longer, raise totalTimeout (at most 3540 s) or concurrency',
  );
}

/** A failed, timed-out or aborted execution, as the deploy's failure: the tenants that failed and why, when the rollout stopped on them. */
function failedRollout(state: { status: string; error?: string; cause?: string }, executionArn: string): FleetRolloutError {
  if (state.error === FLEET_ERRORS.rollout) {
    const out = parseOutput(state.cause);
    return new FleetRolloutError(
      `the fleet rollout stopped (${out.stopped ?? 'tenants failed'}): ${failureList(out, 2400)}; no later wave started (${executionArn})`,
      'fix what the failed tenants say (a new migration, or the tenant itself), then deploy again: the tenants already at the new version run nothing, the others resume',
    );
  }
  const why = [state.error, state.cause].filter(Boolean).join(': ') || 'no error given';
  return new FleetRolloutError(
    `the fleet rollout's execution ended ${state.status}: ${cut(why, 1500)} (${executionArn})`,
    "see the execution's history in the Step Functions console; deploy again to resume: the tenants already at the new version run nothing",
  );
}

/** `"tenant_a": message; "tenant_b": message … and 3 more`, within `budget` bytes. */
function failureList(out: FleetExecutionOutput, budget: number): string {
  const shown = out.failures.map((f: FleetFailure) => `${JSON.stringify(f.name)}: ${f.message}`);
  const more = out.failedCount - out.failures.length;
  return cut(`${shown.join('; ')}${more > 0 ? ` … and ${more} more` : ''}`, budget);
}

function parseOutput(text: string | undefined): FleetExecutionOutput {
  try {
    const parsed = JSON.parse(text ?? '') as Partial<FleetExecutionOutput>;
    return {
      tenants: Number(parsed.tenants) || 0,
      count: Number(parsed.count) || 0,
      failedCount: Number(parsed.failedCount) || 0,
      failures: Array.isArray(parsed.failures) ? parsed.failures : [],
      ...(typeof parsed.stopped === 'string' && parsed.stopped ? { stopped: parsed.stopped } : {}),
    };
  } catch {
    return { tenants: 0, count: 0, failedCount: 0, failures: [] };
  }
}

/** The Data of a rollout that ended: the attributes of one database's (GetAtt reads them), with `Tenants`. */
export function rolloutData(out: FleetExecutionOutput | undefined, migrations: Migration[]): Record<string, string> {
  const latest = migrations.reduce<number | null>((max, m) => (max === null || m.version > max ? m.version : max), null);
  const version = latest === null ? 'none' : String(latest);
  const waves = out ? `${plural(out.tenants ?? 0, 'tenant')} in ${plural(out.count ?? 0, 'wave')}` : '';
  const failed = out?.failedCount ? `${plural(out.failedCount, 'tenant')} failed, tolerated (each stays at the version it reached)` : '';
  const tenants = !out ? 'no tenants' : failed ? `${waves}; ${failed}: ${failureList(out, 900)}` : `${waves}; every tenant at version ${version}`;
  const data: Record<string, string> = {
    [ATTR.outcome]: out ? OUTCOME.applied : OUTCOME.upToDate,
    [ATTR.currentVersion]: version,
    [ATTR.appliedCount]: String(migrations.length),
    [ATTR.appliedThisRun]: 'per tenant (see Tenants)',
    [ATTR.appliedVersions]: '',
    [ATTR.aheadVersions]: '',
    [ATTR.message]: !out
      ? 'the fleet has no tenants: nothing to roll out'
      : `fleet rolled out to ${waves}${failed ? `; ${failed}: see Tenants` : `; every tenant at version ${version}`}`,
    [ATTR.baseline]: 'not set',
    [ATTR.rollbackProblem]: '',
    [ATTR.tenants]: tenants,
    [VERIFY_ATTR.contracts]: out ? 'checked in each tenant' : 'none',
    [VERIFY_ATTR.drift]: out ? 'checked in each database tenant' : 'none',
  };
  return data;
}
