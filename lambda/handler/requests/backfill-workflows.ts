/** A backfill's Step Functions workflow, from a deploy: started after a run, or waited for by a file that needs it. */
import type { BackfillPendingError } from '../../engine/errors/errors';
import type { Driver } from '../../engine/ports';
import { startBackfillWorkflows } from '../backfill/start';
import { waitForBackfill } from '../backfill/wait';
import type { HandlerConfig } from '../config';
import { PROP } from '../constants';
import type { OnEventRequest } from '../request';
import type { Invocation } from './invocation';

/** The backfills' state machine this resource starts executions of (a property: the state machine invokes this function). */
function backfillStateMachine(event: OnEventRequest): string | undefined {
  const arn = event.ResourceProperties?.[PROP.backfillStateMachine];
  return typeof arn === 'string' && arn ? arn : undefined;
}

/** The workflow of each backfill not done, started once (backfill/start.ts); nothing without a state machine. */
export async function startWorkflows(inv: Invocation, driver: Driver, cfg: HandlerConfig): Promise<void> {
  const stateMachineArn = backfillStateMachine(inv.event);
  if (!stateMachineArn) return;
  const session = await driver.connect();
  try {
    const identity = inv.event.ResourceProperties?.[PROP.databaseIdentity];
    await startBackfillWorkflows(session, cfg.run.stateSchema, {
      stateMachineArn,
      ...(typeof identity === 'string' ? { databaseIdentity: identity } : {}),
      starter: inv.backfillStarter,
      log: inv.log,
    });
  } finally {
    await session.close();
  }
}

/** A file waits for a backfill: its workflow started (if it was not), then wait for it (isComplete runs again) or refuse (backfill/wait.ts). */
export async function awaitBackfill(inv: Invocation, cfg: HandlerConfig, e: BackfillPendingError): Promise<void> {
  const workflow = backfillStateMachine(inv.event) !== undefined;
  if (workflow && e.awaited?.state !== 'failed') {
    const driver = await inv.connector.connect(cfg.database, inv.log, inv.redactor);
    try {
      await startWorkflows(inv, driver, cfg);
    } finally {
      await driver.end().catch(() => undefined);
    }
  }
  waitForBackfill(e, inv.event, cfg.run, workflow, inv.log);
}
