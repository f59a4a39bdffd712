/** What lint reads of a migration file: its text and the directives that change what a rule says. */
import { parseDuration } from '../../engine/files/duration';
import { afterBackfillArgument, allowArgument, readDirectives } from '../../engine/sql/directives';
import { sliceOf, StatementScanner, type LineComment } from '../../engine/sql/splitter';
import type { Allowance, Migration } from '../../engine/files/source';

export interface LintSource {
  file: string;
  text: string;
  noTransaction: boolean;
  /** From `-- schemaguard:lock-timeout=…`. */
  lockTimeoutMs?: number;
  allowances: Allowance[];
  /** From `-- schemaguard:valid-checksum <sha-256>`: earlier texts a database may have applied as this file. */
  validChecksums?: string[];
  /** Already applied: feeds the model, not linted. @default false */
  applied?: boolean;
  /** The line of the statement after `-- schemaguard:backfill`: run in batches by key range after the file commits, not in one transaction. */
  backfillLine?: number;
  /** From `-- schemaguard:after-backfill <file>`: each file named, with its line, checked as migrate checks them (`refuseUnknownAfterBackfill`). */
  afterBackfill?: { file: string; line: number }[];
}

/** The text is read when lint reaches the file (a large migration's text is read from its file again, one file at a time). */
export function lintSourceOf(m: Migration, applied = false): LintSource {
  return {
    file: m.file,
    get text() {
      return m.text;
    },
    noTransaction: m.directives.noTransaction,
    lockTimeoutMs: m.directives.lockTimeoutMs,
    allowances: m.allowances,
    applied,
    validChecksums: m.directives.validChecksums,
    ...(m.backfill ? { backfillLine: m.backfill.line } : {}),
  };
}

/**
 * A LintSource from raw text, reading directives leniently: unlike the
 * migration loader it does not refuse CONCURRENTLY in a transactional file,
 * so lint can report it as a finding with the others.
 */
export function lintSourceFromText(file: string, text: string, applied = false): LintSource {
  const src: LintSource = { file, text: text.replace(/\r\n?/g, '\n'), noTransaction: false, allowances: [], applied };
  // Only the comments are kept: the statements of a large file are not.
  const comments: LineComment[] = [];
  // And the line of the statement after `-- schemaguard:backfill` (the loader refuses a second one).
  let mark: number | undefined;
  const scanner = new StatementScanner(
    {
      statement: (s) => {
        if (mark !== undefined && s.line > mark && src.backfillLine === undefined) src.backfillLine = s.line;
      },
      comment: (c) => {
        comments.push(c);
        if (mark === undefined && readDirectives([c]).some((d) => d.name === 'backfill' && !d.nearMiss)) mark = c.line;
      },
    },
    { file, readText: sliceOf(src.text) },
  );
  scanner.push(src.text);
  scanner.end();
  for (const d of readDirectives(comments)) {
    if (d.nearMiss) continue; // the loader refuses it
    if (d.name === 'no-transaction') src.noTransaction = true;
    if (d.name === 'lock-timeout') {
      const v = /^\s*=\s*(\S+)/.exec(d.argument);
      const ms = v ? parseDuration(v[1]) : undefined;
      if (ms !== undefined) src.lockTimeoutMs = ms;
    }
    if (d.name === 'valid-checksum') (src.validChecksums ??= []).push(d.argument.trim());
    if (d.name === 'after-backfill') {
      const named = afterBackfillArgument(d.argument);
      if (named !== undefined) (src.afterBackfill ??= []).push({ file: named, line: d.line });
    }
    if (d.name === 'allow') {
      const a = allowArgument(d.argument);
      if (a) src.allowances.push({ ...a, line: d.line });
    }
  }
  return src;
}
