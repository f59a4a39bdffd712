/** Capped findings as lines: the kept ones, each file's followed by a line per rule with more than were kept. */
import type { Finding } from '../../../lambda/checks/findings/finding';
import type { OmittedFindings } from '../../../lambda/checks/lint/kept';

/** The kept findings, in order, each file's followed by its omitted counts (`… and N more`, with `more`). */
export function keptLines<F extends Finding>(
  kept: readonly F[],
  omitted: readonly OmittedFindings[],
  line: (f: F) => string,
  more: (o: OmittedFindings) => string,
): string[] {
  const lines: string[] = [];
  const omittedIn = (file: string | undefined) => omitted.filter((o) => o.file === file).map(more);
  let file: string | undefined;
  for (const f of kept) {
    if (f.file !== file) lines.push(...omittedIn(file));
    file = f.file;
    lines.push(line(f));
  }
  lines.push(...omittedIn(file));
  return lines;
}
