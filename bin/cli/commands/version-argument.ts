/** A VERSION argument (`baseline VERSION`, `repair VERSION…`). */
import { UsageError } from '../errors';

/** VERSION as written on the command line: a whole number. */
export function versionArgument(raw: string, command: string): number {
  if (!/^\d{1,15}$/.test(raw)) {
    throw new UsageError(`${command}: "${raw}" is not a version`, { value: raw, fix: `a version is the number a file name starts with, e.g. schemaguard ${command} 3 for 0003_add_index.sql` });
  }
  return Number(raw);
}
