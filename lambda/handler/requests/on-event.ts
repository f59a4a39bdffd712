/** onEvent of the migrations resource: Create, Update and Delete. */
import { CREATE_FAILED_MARKER, physicalResourceId, type OnEventRequest, type OnEventResponse } from '../request';
import { FLEET_EXECUTION_FIELD, PROP, REQUEST_STARTED_FIELD } from '../constants';
import { startRollout } from '../fleet/rollout';
import { connectionLost, lockBusy } from '../lock-busy';
import type { Logger } from '../log';
import { awaitBackfill } from './backfill-workflows';
import { rolloutContext, type FleetConfig } from './fleet-rollout';
import type { Invocation } from './invocation';
import { run } from './migrate-run';

/** onEvent: a Delete is answered at once; a Create or Update starts migrating (isComplete finishes). */
export async function onEvent(inv: Invocation): Promise<OnEventResponse> {
  const { event, log } = inv;
  if (event.RequestType === 'Delete') {
    log.info(
      event.PhysicalResourceId === CREATE_FAILED_MARKER
        ? 'delete after a failed create: nothing to do'
        : 'delete: the database and its schema are left as they are',
    );
    return { PhysicalResourceId: physicalResourceId(event) };
  }
  const startedAt = Date.now();
  const cfg = inv.config();
  logReplacedDatabase(event, log);
  if (cfg.fleet) {
    const started = await startRollout(rolloutContext(inv, cfg as FleetConfig));
    return {
      PhysicalResourceId: physicalResourceId(event),
      [REQUEST_STARTED_FIELD]: startedAt,
      ...(started ? { [FLEET_EXECUTION_FIELD]: started.executionArn } : {}),
    };
  }
  const done = await run(inv, cfg);
  // isComplete follows whatever happened here: it continues, or tries for the lock (or the connection) again.
  if ('busy' in done) lockBusy(done.busy, event, cfg.run, log);
  if ('lost' in done) connectionLost(done.lost, event, cfg.run, log);
  if ('waiting' in done) await awaitBackfill(inv, cfg, done.waiting);
  return { PhysicalResourceId: physicalResourceId(event), [REQUEST_STARTED_FIELD]: startedAt };
}

/** An Update whose database identity changed: the instance or cluster was replaced, and the new one starts empty. */
function logReplacedDatabase(event: OnEventRequest, log: Logger): void {
  if (event.RequestType !== 'Update') return;
  const before = event.OldResourceProperties?.[PROP.databaseIdentity];
  const now = event.ResourceProperties?.[PROP.databaseIdentity];
  if (before === undefined || now === undefined || before === now) return;
  log.info('the database was replaced (its identity changed): the new one is migrated from its first pending migration', {
    oldDatabaseIdentity: before,
    databaseIdentity: now,
  });
}
