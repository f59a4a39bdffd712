/**
 * After each wave of the Step Functions rollout, the workflow invokes the
 * function with the wave's results (`{ "fleetTally": … }`): the failures are
 * counted over the run and the CLI's own stop rule (`stopReason`) says
 * whether the rollout goes on. The failures are kept short — a name and a
 * message of a few hundred bytes, the first KEPT_FAILURES of them — so the
 * execution's state and a failed execution's cause stay far under Step
 * Functions' limits (256 KiB of state, 32,768 characters of cause).
 */
import { stopReason } from '../../engine/fleet/rollout';
import { cut } from '../failure';
import type { FleetFailure, FleetItemResult, FleetTally, FleetTallyEvent } from './protocol';

/** Failures kept by name and message; the rest are counted. */
export const KEPT_FAILURES = 20;
/** A failure's message, in bytes of JSON text. */
const MESSAGE_BYTES = 400;

export function tallyWave(event: FleetTallyEvent['fleetTally']): FleetTally {
  const failedNow = event.results.filter((r): r is Extract<FleetItemResult, { error: string }> => 'error' in r);
  const failedCount = event.failedCount + failedNow.length;
  const failures = [...event.failures, ...failedNow.map(failureOf)].slice(0, KEPT_FAILURES);
  const stopped = stopReason(failedCount, event.wave, { toleratedFailures: event.tolerated, canaryFirst: true }) ?? '';
  return { failedCount, failures, stopped, cause: stopped ? JSON.stringify({ failedCount, failures, stopped }) : '' };
}

/**
 * A failed item as the rollout keeps it. The cause of a function's error is
 * Lambda's JSON (`errorType`, `errorMessage`, `trace`): its message is kept;
 * another cause (a Task timeout, a Lambda service error) is kept as it is.
 */
function failureOf(r: Extract<FleetItemResult, { error: string }>): FleetFailure {
  return { name: r.name, message: cut(lambdaMessage(r.cause) ?? `${r.error}: ${r.cause}`, MESSAGE_BYTES) };
}

function lambdaMessage(cause: string): string | undefined {
  try {
    const parsed = JSON.parse(cause) as { errorMessage?: unknown };
    return typeof parsed.errorMessage === 'string' ? parsed.errorMessage : undefined;
  } catch {
    return undefined;
  }
}
