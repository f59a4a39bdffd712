/** A fleet's request: its rollout's context, and how the rollout stands for isComplete. */
import type { Fleet } from '../../engine/fleet/fleet-spec';
import type { HandlerConfig } from '../config';
import { FLEET_EXECUTION_FIELD, REQUEST_STARTED_FIELD } from '../constants';
import { rolloutData, rolloutStatus, type RolloutContext } from '../fleet/rollout';
import type { IsCompleteRequest, IsCompleteResponse } from '../request';
import type { Invocation } from './invocation';
import { loadBundle } from './migrate-run';

export type FleetConfig = HandlerConfig & { fleet: Fleet };

export function rolloutContext(inv: Invocation, cfg: FleetConfig): RolloutContext {
  return { event: inv.event, cfg, connector: inv.connector, log: inv.log, redactor: inv.redactor, stepFunctions: inv.stepFunctions };
}

/** A fleet's isComplete: how its rollout's execution stands (none was started for a fleet without tenants). */
export async function fleetIsComplete(inv: Invocation, cfg: FleetConfig): Promise<IsCompleteResponse> {
  const event = inv.event as IsCompleteRequest;
  const migrations = loadBundle(inv, cfg);
  const executionArn = event[FLEET_EXECUTION_FIELD];
  if (!executionArn) return { IsComplete: true, Data: rolloutData(undefined, migrations) };
  const started = Number(event[REQUEST_STARTED_FIELD]);
  return rolloutStatus(rolloutContext(inv, cfg), executionArn, migrations, Number.isFinite(started) ? Date.now() - started : undefined);
}
