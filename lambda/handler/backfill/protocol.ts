/**
 * What a backfill's workflow on Step Functions passes around: the
 * execution's input (the custom resource starts it, start.ts), one slice
 * (the workflow invokes the migration function with it, slice.ts), what a
 * slice answers (the workflow's Choice reads its `state`) and the errors the
 * workflow names. Names and types only, no imports: the definition
 * (lib/backfill/backfill-definition.ts) and the handler read the same ones,
 * so a rename breaks the compiler, not the deploy.
 */

/** The field that marks a slice; a CloudFormation event never has it. */
export const BACKFILL_SLICE_FIELD = 'backfillSlice';

/** One slice: the backfill (its file's version, and the file for the log), run until the invocation's time is nearly spent. */
export interface BackfillSliceEvent {
  [BACKFILL_SLICE_FIELD]: { version: number; file: string };
}

export function isBackfillSliceEvent(event: unknown): event is BackfillSliceEvent {
  const slice = (event as BackfillSliceEvent | undefined)?.[BACKFILL_SLICE_FIELD];
  return typeof slice === 'object' && slice !== null && Number.isSafeInteger(slice.version);
}

/** A slice's answer: where the backfill stands (`running`: the slice's time ran out; the workflow goes on at once). */
export interface BackfillSliceResult {
  version: number;
  file: string;
  state: 'running' | 'paused' | 'done' | 'failed';
  /** Why it is paused or failed; empty while it runs and once done (a Fail state's CausePath needs a string). */
  reason: string;
  rowsDone: number;
  rowsPerSecond: number;
  batches: number;
}

/**
 * The execution's input. `name` is the first execution's name, which every
 * continuation's name starts with; `generation` counts the continuations
 * (an execution hands on to a new one before its history grows too long).
 */
export interface BackfillExecutionInput {
  version: number;
  file: string;
  name: string;
  generation: number;
}

/**
 * The errors the workflow names: `failed` ends a failed execution (its
 * cause the backfill's reason); `interrupted` is a slice that lost its
 * connection or could not connect (a failover, a reboot), retried with
 * back-off.
 */
export const BACKFILL_ERRORS = {
  failed: 'BackfillFailed',
  interrupted: 'BackfillSliceInterrupted',
} as const;
