import { Redactor } from '../../engine/errors/redact';
import { backfillSlice } from '../backfill/slice';
import type { BackfillSliceEvent, BackfillSliceResult } from '../backfill/protocol';
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
  return backfillSlice(event, context, {
    config: readConfig(wiring.env),
    connector: wiring.connector,
    log,
    redactor,
    write: wiring.write,
    functionName: wiring.env.AWS_LAMBDA_FUNCTION_NAME ?? 'unknown',
  });
}
