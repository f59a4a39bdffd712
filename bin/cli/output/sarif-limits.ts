/**
 * What GitHub code scanning accepts in one SARIF upload, and fitting a log
 * within it. GitHub's "SARIF support for code scanning" (docs.github.com)
 * rejects a file that is over 10 MB gzip-compressed, or that has more than 20
 * runs, 25,000 results or 25,000 rules in a run, 1,000 locations in a result
 * or 20 tags on a rule. schemaguard writes one run, one location per result
 * and two tags per rule; what can grow is the results and their size. Past
 * either limit the lowest severities go first (notes, then warnings, then
 * errors; within one, the last), and the log says what was left out, by
 * level, and how to see everything.
 */
import { gzipSync } from 'node:zlib';
import type { SarifLevel } from './rules';
import { plural } from '../../../lambda/engine/errors/words';

export interface SarifLimits {
  /** Results in a run: code scanning rejects a file with more ("SARIF results exceed hard limit"). */
  results: number;
  /**
   * The file's size gzip-compressed, in bytes: code scanning rejects a file over 10 MB ("SARIF file is too
   * large"). Read as 10,000,000 (the smaller reading of "MB"), less room for what upload-sarif adds to each
   * result (`partialFingerprints`, about 60 bytes before compression).
   */
  gzipBytes: number;
}

/** GitHub code scanning's limits, as schemaguard keeps to them. */
export const CODE_SCANNING_LIMITS: Readonly<SarifLimits> = { results: 25_000, gzipBytes: 9_000_000 };

/** Lines said in the invocation's notifications at most; the rest are counted in one more line. */
export const SARIF_MAX_NOTES = 1_000;

/** What a fitted log left out, by level. */
export interface LeftOut {
  errors: number;
  warnings: number;
  notes: number;
}

const RANK: Record<SarifLevel, number> = { error: 0, warning: 1, note: 2 };

/** The results' positions, most important first: by level, then in their order. */
function priority(levels: readonly SarifLevel[]): number[] {
  return levels.map((_, k) => k).sort((a, b) => RANK[levels[a]] - RANK[levels[b]] || a - b);
}

function leftOutOf(levels: readonly SarifLevel[], kept: ReadonlySet<number>): LeftOut {
  const left: LeftOut = { errors: 0, warnings: 0, notes: 0 };
  levels.forEach((level, k) => {
    if (kept.has(k)) return;
    if (level === 'error') left.errors++;
    else if (level === 'warning') left.warnings++;
    else left.notes++;
  });
  return left;
}

/** Compressed size as code scanning counts it: gzip of the file's bytes. Text no longer than the limit cannot compress to more. */
export function gzippedSize(text: string, limit: number): number {
  const bytes = Buffer.byteLength(text);
  return bytes <= limit - 1024 ? bytes : gzipSync(text).length;
}

/**
 * The most results (by {@link priority}) whose log fits `limits`, and that
 * log's text. `render` writes the log of the results at the given positions
 * (in their order) with what was left out, `undefined` when nothing was.
 * Each try that is over keeps fewer, in proportion to how far over it was,
 * so a few tries settle it; with no result left the log is what it is.
 */
export function fitSarif(
  levels: readonly SarifLevel[],
  limits: SarifLimits,
  render: (kept: number[], left: LeftOut | undefined) => string,
): { text: string; left: LeftOut | undefined } {
  const order = priority(levels);
  let n = Math.min(levels.length, limits.results);
  for (;;) {
    const kept = order.slice(0, n).sort((a, b) => a - b);
    const left = n < levels.length ? leftOutOf(levels, new Set(kept)) : undefined;
    const text = render(kept, left);
    const size = gzippedSize(text, limits.gzipBytes);
    if (size <= limits.gzipBytes || n === 0) return { text, left };
    n = Math.max(0, Math.min(n - 1, Math.floor(n * (limits.gzipBytes / size) * 0.97)));
  }
}

/** Notification lines past {@link SARIF_MAX_NOTES}: the first ones, then how many more. */
export function capNotes(notes: readonly string[]): string[] {
  if (notes.length <= SARIF_MAX_NOTES) return [...notes];
  const rest = notes.length - (SARIF_MAX_NOTES - 1);
  return [...notes.slice(0, SARIF_MAX_NOTES - 1), `… and ${rest} more lines like these`];
}

/**
 * What was left out and how to see it, for the log's notifications and
 * stderr: "1,204 results left out of this SARIF file (0 errors, 1,204
 * warnings): code scanning rejects a file of more than 25,000 results or
 * 10 MB gzip-compressed, so the lowest severities were left out first;
 * `schemaguard lint --format text` (or `--format json`) shows every one".
 */
export function leftOutLine(command: string, left: LeftOut): string {
  const total = left.errors + left.warnings + left.notes;
  const levels = [plural(left.errors, 'error'), plural(left.warnings, 'warning'), ...(left.notes ? [plural(left.notes, 'note')] : [])].join(', ');
  return (
    `${plural(total, 'result')} left out of this SARIF file (${levels}): code scanning rejects a file of more than 25,000 results ` +
    `or 10 MB gzip-compressed, so the lowest severities were left out first; \`schemaguard ${command} --format text\` (or \`--format json\`) shows every one`
  );
}
