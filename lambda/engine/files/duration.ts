/**
 * Durations as written on the command line and in directives: `500ms`, `5s`,
 * `2m`, `1h`, or `0` (off). A bare number is refused: `5` could mean
 * milliseconds (PostgreSQL's unit) or seconds, and a guess is worse than an error.
 */
const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, min: 60_000, h: 3_600_000 };

export function parseDuration(text: string): number | undefined {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|min|h)?\s*$/.exec(text);
  if (!m) return undefined;
  const value = Number(m[1]);
  if (m[2] === undefined) return value === 0 ? 0 : undefined;
  const ms = Math.round(value * UNITS[m[2]]);
  return Number.isSafeInteger(ms) ? ms : undefined;
}

/**
 * The longest timeout: PostgreSQL's lock_timeout and statement_timeout take
 * at most 2^31 - 1 ms ("outside the valid range"), and so does Node.js's
 * setTimeout (a longer one fires at once). About 596 hours.
 */
export const MAX_DURATION_MS = 2_147_483_647;

export function formatDuration(ms: number): string {
  if (ms === 0) return '0';
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000}h`;
  if (ms % 60_000 === 0) return `${ms / 60_000}m`;
  if (ms % 1000 === 0) return `${ms / 1000}s`;
  return `${ms}ms`;
}

export const DURATION_FORMAT_HINT = 'write a number with a unit: 500ms, 5s, 2m, 1h (or 0 for none)';
