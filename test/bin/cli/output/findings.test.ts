/** printFindings: the github and sarif outputs of findings, with the findings lint counted and did not keep. */
import { randomBytes } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import type { Finding } from '../../../../lambda/checks/findings/finding';
import type { CommandContext } from '../../../../bin/cli/commands/context';
import { printFindings, type FindingsOutput } from '../../../../bin/cli/output/findings';
import type { SarifFinding } from '../../../../bin/cli/output/rules';
import { CODE_SCANNING_LIMITS, SARIF_MAX_NOTES } from '../../../../bin/cli/output/sarif-limits';
import { sarifSchemaErrors } from '../../../support/sarif';

interface Printed {
  out: string[];
  err: string[];
}

function printWith(format: 'sarif' | 'github', findings: Finding[], output: Partial<FindingsOutput> = {}): Printed {
  const printed: Printed = { out: [], err: [] };
  const ctx = { opts: { format }, out: (text: string) => printed.out.push(text), err: (text: string) => printed.err.push(text) } as unknown as CommandContext;
  printFindings(ctx, 'lint', findings, { baseDir: '', omitted: [{ file: '1_a.sql', rule: 'dropping-table', errors: 0, warnings: 7 }], ...output });
  return printed;
}

function print(format: 'sarif' | 'github', findings: Finding[]): string[] {
  return printWith(format, findings).out;
}

interface SarifRun {
  results: { ruleId: string; level: string; message: { text: string } }[];
  invocations: { toolExecutionNotifications: { message: { text: string } }[] }[];
}

function runOf(printed: Printed): SarifRun {
  return JSON.parse(printed.out.join('\n')).runs[0] as SarifRun;
}

function notifications(run: SarifRun): string[] {
  return run.invocations[0]!.toolExecutionNotifications.map((n) => n.message.text);
}

const finding = (k: number, severity: Finding['severity'], message = `DROP TABLE t${k}`): Finding => ({
  rule: 'dropping-table',
  severity,
  message,
  why: 'gone',
  fix: 'keep it',
  file: '1_a.sql',
  line: k + 1,
  column: 1,
});
const many = Array.from({ length: CODE_SCANNING_LIMITS.results + 3 }, (_, k) => finding(k, 'warning'));

const HOW_TO_SEE =
  'code scanning rejects a file of more than 25,000 results or 10 MB gzip-compressed, so the lowest severities were left out first; `schemaguard lint --format text` (or `--format json`) shows every one';

describe('Function: printFindings', () => {
  it('gives code scanning at most 25,000 results in a run (it rejects more) and says what it left out, in the log and on stderr', () => {
    const printed = printWith('sarif', many);
    const run = runOf(printed);
    expect(CODE_SCANNING_LIMITS.results).toBe(25_000);
    expect(run.results).toHaveLength(25_000);
    // The last ones go: the kept ones are the first 25,000, in their order.
    expect(run.results.at(-1)!.message.text).toBe('DROP TABLE t24999. Fix: keep it.');
    const left = `3 results left out of this SARIF file (0 errors, 3 warnings): ${HOW_TO_SEE}`;
    expect(notifications(run)).toEqual(['… and 7 more dropping-table findings in 1_a.sql.', `${left}.`]);
    expect(printed.err).toEqual([`schemaguard lint: ${left}`]);
  });

  it('leaves out notes, then warnings, then errors, when the file would be over the gzip-compressed size limit; the counts are exact', () => {
    // Random text compresses to about its size: 300 results of ~600 bytes each are ~180 kB gzip-compressed, over a 60 kB limit.
    const noisy = (k: number, severity: Finding['severity']) => finding(k, severity, `ALTER TABLE t${k} ${randomBytes(450).toString('base64')}`);
    const findings = Array.from({ length: 200 }, (_, k) => noisy(k, k % 2 ? 'warning' : 'error'));
    const runResults: SarifFinding[] = Array.from({ length: 100 }, (_, k) => ({ ...noisy(1000 + k, 'error'), rule: 'plan-note', severity: 'note' }));
    const printed = printWith('sarif', findings, { runResults, sarifLimits: { results: 25_000, gzipBytes: 60_000 } });
    const text = printed.out.join('\n');
    expect(gzipSync(text).length).toBeLessThanOrEqual(60_000);
    const run = runOf(printed);
    const levels = run.results.map((r) => r.level);
    // Every error is kept before any warning, and no note is kept while a warning is left out.
    expect(levels.filter((l) => l === 'error')).toHaveLength(Math.min(100, levels.length));
    expect(levels).not.toContain('note');
    const keptWarnings = levels.filter((l) => l === 'warning').length;
    expect(keptWarnings).toBeLessThan(100);
    expect(run.results.length).toBeGreaterThan(50); // a limit of 60 kB holds about 80 such results: the fit does not give up early
    const left = `${300 - run.results.length} results left out of this SARIF file (0 errors, ${100 - keptWarnings} warnings, 100 notes): ${HOW_TO_SEE}`;
    expect(notifications(run)).toEqual(['… and 7 more dropping-table findings in 1_a.sql.', `${left}.`]);
    expect(printed.err).toEqual([`schemaguard lint: ${left}`]);
    expect(sarifSchemaErrors(JSON.parse(text))).toEqual([]);
  });

  it('keeps a file of 25,000 long results under the real limit, with room for the fingerprints upload-sarif adds', () => {
    // ~450 random bytes (600 characters) per result: 25,000 of them are ~12 MB gzip-compressed, over GitHub's 10 MB.
    const findings = Array.from({ length: 25_000 }, (_, k) =>
      finding(k, k % 10 ? 'warning' : 'error', `ALTER TABLE t${k} ${randomBytes(450).toString('base64')}`),
    );
    const printed = printWith('sarif', findings);
    const text = printed.out.join('\n');
    expect(gzipSync(text).length).toBeLessThanOrEqual(CODE_SCANNING_LIMITS.gzipBytes);
    const log = JSON.parse(text) as { runs: [SarifRun & { results: Record<string, unknown>[] }] };
    const kept = log.runs[0].results.length;
    expect(kept).toBeGreaterThan(15_000);
    expect(kept).toBeLessThan(25_000);
    expect(log.runs[0].results.filter((r) => r.level === 'error')).toHaveLength(2_500);
    expect(printed.err).toEqual([
      `schemaguard lint: ${25_000 - kept} results left out of this SARIF file (0 errors, ${25_000 - kept} warnings): ${HOW_TO_SEE}`,
    ]);
    // What github/codeql-action/upload-sarif sends: the log re-serialised, a partialFingerprints hash on each result, gzip-compressed.
    for (const r of log.runs[0].results) r.partialFingerprints = { primaryLocationLineHash: `${randomBytes(8).toString('hex')}:1` };
    expect(gzipSync(JSON.stringify(log)).length).toBeLessThan(10_000_000);
  });

  it('says at most 1,000 lines of findings lint cut short, and counts the rest in one more', () => {
    const omitted = Array.from({ length: 1500 }, (_, k) => ({ file: `${k}_a.sql`, rule: 'dropping-table', errors: 0, warnings: 1 }));
    const lines = notifications(runOf(printWith('sarif', [finding(0, 'warning')], { omitted })));
    expect(lines).toHaveLength(SARIF_MAX_NOTES);
    expect(lines[998]).toBe('… and 1 more dropping-table finding in 998_a.sql.');
    expect(lines[999]).toBe('… and 501 more lines like these.');
  });

  it('counts the omitted findings in the github summary line', () => {
    expect(print('github', many.slice(0, 2)).slice(-2)).toEqual([
      '::notice file=1_a.sql,title=schemaguard dropping-table::… and 7 more dropping-table findings in 1_a.sql',
      'lint: 0 errors, 9 warnings',
    ]);
  });
});
