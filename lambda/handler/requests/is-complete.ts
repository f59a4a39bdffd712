/** isComplete of the migrations resource: the run continued, then verified and reported. */
import { baselineOutcome } from '../adoption';
import { ROLLBACK_REPORTED_FIELD } from '../constants';
import { connectionLost, lockBusy } from '../lock-busy';
import { appliedBy, type IsCompleteRequest, type IsCompleteResponse } from '../request';
import { requestState, responseData } from '../response';
import { SKIPPED_ON_ROLLBACK, verifySchema } from '../verify';
import { awaitBackfill, startWorkflows } from './backfill-workflows';
import { fleetIsComplete, type FleetConfig } from './fleet-rollout';
import type { Invocation } from './invocation';
import { run } from './migrate-run';
import { standbysAfter } from './standbys';

/** isComplete: continue migrating; when nothing is left, verify the schema and say what this request applied. */
export async function isComplete(inv: Invocation): Promise<IsCompleteResponse> {
  if (inv.event.RequestType === 'Delete') return { IsComplete: true };
  // onEvent reported a rollback's problem: the framework keeps its Data.
  if ((inv.event as IsCompleteRequest)[ROLLBACK_REPORTED_FIELD]) return { IsComplete: true };
  const cfg = inv.config();
  if (cfg.fleet) return fleetIsComplete(inv, cfg as FleetConfig);
  const done = await run(inv, cfg);
  if ('busy' in done) {
    lockBusy(done.busy, inv.event, cfg.run, inv.log);
    return { IsComplete: false };
  }
  if ('lost' in done) {
    connectionLost(done.lost, inv.event, cfg.run, inv.log);
    return { IsComplete: false };
  }
  if ('waiting' in done) {
    await awaitBackfill(inv, cfg, done.waiting);
    return { IsComplete: false };
  }
  if (done.result.outcome === 'partial') return { IsComplete: false };
  // A failed contract throws here (FAILED → the stack rolls back before the new code runs).
  const verified = done.ahead ? SKIPPED_ON_ROLLBACK : await verifySchema(done.driver, done.migrations, cfg.verify, inv.log, done.deadline);
  const { mine, rows } = await requestState(done.driver, cfg.run.stateSchema, appliedBy(inv.event));
  const baseline = baselineOutcome(done.baseline, rows, appliedBy(inv.event));
  const standbys = mine.length && !done.ahead ? await standbysAfter(done, cfg.run, inv.log) : {};
  if (!done.ahead) await startWorkflows(inv, done.driver, cfg);
  return { IsComplete: true, Data: { ...responseData(done.result, mine, done.ahead !== undefined, done.ahead ?? [], baseline), ...verified, ...standbys } };
}
