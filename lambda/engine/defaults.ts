/**
 * The run's defaults, one constant each, for every caller that gives none:
 * the runner, the CLI's options, the handler's environment and the project
 * file's settings (lib/config/settings.ts) all read them from here.
 */

/** lock_timeout for each migration without a directive. */
export const DEFAULT_LOCK_TIMEOUT_MS = 5_000;
/** How long a runner waits for another runner's lock. */
export const DEFAULT_LOCK_WAIT_MS = 60_000;
/** Lock-timeout retries per migration. */
export const DEFAULT_LOCK_RETRIES = 3;
/** First lock-timeout retry delay, doubled each time. */
export const DEFAULT_RETRY_DELAY_MS = 500;
/** After applying, how long to wait for the standbys to replay it (0: report only). */
export const DEFAULT_STANDBY_WAIT_MS = 60_000;
/** Which autovacuum on the table pauses a backfill's batches: any, one to prevent wraparound, or none. */
export const AUTOVACUUM_BOUNDS = ['pause', 'wraparound', 'ignore'] as const;
export type AutovacuumBound = (typeof AUTOVACUUM_BOUNDS)[number];

/** A backfill's batches and the health bounds it pauses at (the project file's `backfill`, lambda/engine/backfill/). */
export const DEFAULT_BACKFILL = {
  /** The duration each batch is sized to take. */
  batchTimeMs: 200,
  /** The fewest and the most rows (keys) one batch covers. */
  minRows: 100,
  maxRows: 50_000,
  /** A standby's or Aurora reader's replay lag past which batches pause. */
  standbyLagMs: 10_000,
  /** WAL a logical slot retains past which batches pause. */
  slotRetainedBytes: 1024 ** 3,
  /** Which autovacuum on the table pauses batches: any (`pause`), one to prevent wraparound, or none (`ignore`). */
  autovacuum: 'pause' as AutovacuumBound,
  /** Sessions waiting behind one batch at once that pause the next. */
  lockWaiters: 3,
};
/** A fleet's tenants at work at once (and a Step Functions wave's MaxConcurrency). */
export const DEFAULT_FLEET_CONCURRENCY = 10;
/** A fleet's tenants per wave: a failure stops the rollout at the end of its wave. */
export const DEFAULT_FLEET_WAVE_SIZE = 50;
