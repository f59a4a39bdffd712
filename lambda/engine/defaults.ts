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
/** A fleet's tenants at work at once (and a Step Functions wave's MaxConcurrency). */
export const DEFAULT_FLEET_CONCURRENCY = 10;
/** A fleet's tenants per wave: a failure stops the rollout at the end of its wave. */
export const DEFAULT_FLEET_WAVE_SIZE = 50;
