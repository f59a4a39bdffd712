/**
 * One slice of a backfill's workflow: the migration function invoked by the
 * state machine (lib/backfill/backfill-definition.ts) runs the backfill's
 * batches — the engine's, as `schemaguard migrate` runs them — until the
 * invocation's time is nearly spent, the backfill pauses (the database is
 * not healthy: the workflow waits, with no function running, and invokes it
 * again), is done or fails. Its answer's `state` is what the workflow's
 * Choice reads; one metric line (metrics.ts) says how far it is.
 *
 * No runner lock: runners of one backfill take turns batch by batch on its
 * progress row (a `migrate` beside the workflow neither repeats nor skips a
 * range), and a deploy's migrations wait for a batch's row locks at most
 * their lock_timeout, as for any application write.
 */
import { readBackfill } from '../../engine/backfill/progress';
import { runBackfill, type BackfillProgress } from '../../engine/backfill/run';
import { DEFAULT_BACKFILL } from '../../engine/defaults';
import { BackfillError, ConnectionError, InputError, isConnectionLoss } from '../../engine/errors/errors';
import type { Redactor } from '../../engine/errors/redact';
import type { Migration } from '../../engine/files/source';
import type { Driver, Session } from '../../engine/ports';
import type { HandlerConfig } from '../config';
import type { Connector } from '../connection';
import type { LineWriter, Logger } from '../log';
import type { InvocationContext } from '../request';
import { refuseForeignRow, sliceFile } from './authority';
import { backfillMetricLine } from './metrics';
import { BACKFILL_ERRORS, BACKFILL_SLICE_FIELD, type BackfillSliceEvent, type BackfillSliceResult } from './protocol';

export interface SliceWiring {
  config: HandlerConfig;
  connector: Connector;
  log: Logger;
  redactor: Redactor;
  /** Where the metric line goes (stdout on Lambda). */
  write: LineWriter;
  /** The function's name: the metrics' dimension. */
  functionName: string;
  /** The function's bundled migrations: a slice runs only a backfill of one of them (authority.ts). */
  migrations: () => readonly Migration[];
}

/** Runs one slice of `event`'s backfill; throws BackfillSliceInterrupted when the database could not be reached or was lost. */
export async function backfillSlice(event: BackfillSliceEvent, context: InvocationContext, w: SliceWiring): Promise<BackfillSliceResult> {
  const { version, file } = event[BACKFILL_SLICE_FIELD];
  const started = Date.now();
  const until = started + context.getRemainingTimeInMillis() - w.config.run.reserveMs;
  w.log.info('backfill slice', { version, file, until: new Date(until).toISOString() });
  let driver: Driver | undefined;
  try {
    const m = sliceFile(event[BACKFILL_SLICE_FIELD], w.config.serves, w.migrations());
    driver = await w.connector.connect(w.config.database, w.log, w.redactor);
    const progress = await runOn(driver, m, until, w);
    const result = await answer(driver, version, file, progress, w);
    w.log.info('backfill slice ended', { ...result, elapsedMs: Date.now() - started });
    return result;
  } catch (e) {
    if (e instanceof InputError) w.log.error('backfill slice refused', { version, file, error: e.message });
    throw interrupted(e) ?? e;
  } finally {
    await driver?.end().catch(() => undefined);
  }
}

/** The backfill's batches on a session of their own, another watching who waits behind them; a failed backfill's progress, not a throw. */
async function runOn(driver: Driver, m: Migration, until: number, w: SliceWiring): Promise<BackfillProgress | undefined> {
  const session = await driver.connect();
  const monitor: Session | undefined = session.pid === undefined ? undefined : await driver.connect();
  try {
    refuseForeignRow(await readBackfill(session, w.config.run.stateSchema, m.version), m, w.config.run.stateSchema);
    return await runBackfill({
      session,
      monitor,
      stateSchema: w.config.run.stateSchema,
      version: m.version,
      settings: { ...DEFAULT_BACKFILL, ...w.config.run.backfill },
      until,
      onProgress: (p) => w.log.info('backfill', { ...p }),
    });
  } catch (e) {
    // Marked failed, its reason kept: the workflow's Choice ends the execution as failed.
    if (e instanceof BackfillError) return undefined;
    throw e;
  } finally {
    await monitor?.close().catch(() => undefined);
    await session.close().catch(() => undefined);
  }
}

/** Where the backfill stands as its row has it (every runner's batches), with this slice's pace; its metric line written. */
async function answer(driver: Driver, version: number, file: string, progress: BackfillProgress | undefined, w: SliceWiring): Promise<BackfillSliceResult> {
  const session = await driver.connect();
  try {
    const row = await readBackfill(session, w.config.run.stateSchema, version);
    if (!row) throw new Error(`no backfill is recorded for version ${version} (${file}): was the database replaced?`);
    const result: BackfillSliceResult = {
      version,
      file: row.file,
      state: row.state,
      reason: row.reason ?? '',
      rowsDone: row.rowsDone,
      rowsPerSecond: progress?.rowsPerSecond ?? 0,
      batches: row.batches,
    };
    const sinceProgress = row.state === 'done' ? 0 : Math.max(0, Math.round((Date.now() - row.progressAt.getTime()) / 1000));
    w.write(w.redactor.redact(backfillMetricLine(result, { functionName: w.functionName, secondsSinceProgress: sinceProgress }, Date.now())));
    return result;
  } finally {
    await session.close().catch(() => undefined);
  }
}

/** A lost or refused connection as the error the workflow retries; undefined for any other. */
function interrupted(e: unknown): Error | undefined {
  if (!(e instanceof ConnectionError) && !isConnectionLoss(e)) return undefined;
  const error = new Error(`the backfill's slice lost the database, or could not reach it: ${(e as Error).message}`, { cause: e });
  error.name = BACKFILL_ERRORS.interrupted;
  return error;
}
