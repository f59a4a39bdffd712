/** A VERSION argument (`baseline VERSION`, `repair VERSION…`). */
import { isMillisecondVersion, MILLISECOND_VERSIONS_FIX } from '../../../lambda/engine/files/source';
import { UsageError } from '../errors';

/** VERSION as written on the command line: a whole number. */
export function versionArgument(raw: string, command: string): number {
  if (/^\d+$/.test(raw) && !Number.isSafeInteger(Number(raw))) {
    throw new UsageError(`${command}: version ${raw} is past 2^53 (${Number.MAX_SAFE_INTEGER}), the largest schemaguard reads exactly`, {
      value: raw,
      fix: isMillisecondVersion(raw)
        ? `${MILLISECOND_VERSIONS_FIX}: schemaguard ${command} ${raw.slice(0, 14)}`
        : 'pass the version of a file (at most 15 digits)',
    });
  }
  if (!/^\d+$/.test(raw)) {
    throw new UsageError(`${command}: "${raw}" is not a version`, {
      value: raw,
      fix: `a version is the number a file name starts with, e.g. schemaguard ${command} 3 for 0003_add_index.sql`,
    });
  }
  return Number(raw);
}
