import { Redactor } from '../../engine/errors/redact';
import { backfillSlice } from '../backfill/slice';
import type { BackfillSliceEvent, BackfillSliceResult } from '../backfill/protocol';
import { loadBundledMigrations } from '../bundle';
import { readConfig } from '../config';
import { createLogger } from '../log';
import type { InvocationContext } from '../request';
import type { Wiring } from './invocation';

/**
 * A slice of a backfill's workflow (backfill/slice.ts): the function's own
 * database and settings, logged as the workflow's; a bad configuration
 * throws, failing the slice and the execution.
 */
export async function sliceInvocation(wiring: Wiring, event: BackfillSliceEvent, context: InvocationContext): Promise<BackfillSliceResult> {
  const redactor = new Redactor();
  const log = createLogger(redactor, wiring.write, { phase: 'backfill', requestId: context.awsRequestId });
  const config = readConfig(wiring.env);
  return backfillSlice(event, context, {
    config,
    migrations: () => loadBundledMigrations(config, wiring.env),
    connector: wiring.connector,
    log,
    redactor,
    write: wiring.write,
    functionName: wiring.env.AWS_LAMBDA_FUNCTION_NAME ?? 'unknown',
  });
}
