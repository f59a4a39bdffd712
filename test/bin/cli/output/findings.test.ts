/** printFindings: the github and sarif outputs of findings, with the findings lint counted and did not keep. */
import { describe, expect, it } from 'vitest';
import type { Finding } from '../../../../lambda/checks/finding';
import type { CommandContext } from '../../../../bin/cli/commands/context';
import { printFindings } from '../../../../bin/cli/output/findings';
import { SARIF_MAX_RESULTS } from '../../../../bin/cli/output/sarif';

function print(format: 'sarif' | 'github', findings: Finding[]): string[] {
  const out: string[] = [];
  const ctx = { opts: { format }, out: (text: string) => out.push(text) } as unknown as CommandContext;
  printFindings(ctx, 'lint', findings, { baseDir: '', omitted: [{ file: '1_a.sql', rule: 'dropping-table', errors: 0, warnings: 7 }] });
  return out;
}

const many = Array.from({ length: SARIF_MAX_RESULTS + 3 }, (_, k): Finding => ({ rule: 'dropping-table', severity: 'warning', message: `DROP TABLE t${k}`, why: 'gone', fix: 'keep it', file: '1_a.sql', line: k + 1, column: 1 }));

describe('Function: printFindings', () => {
  it('gives code scanning at most 25,000 results in a run (it rejects more) and says what it left out', () => {
    const run = JSON.parse(print('sarif', many).join('\n')).runs[0];
    expect(SARIF_MAX_RESULTS).toBe(25_000);
    expect(run.results).toHaveLength(25_000);
    expect(run.invocations[0].toolExecutionNotifications.map((n: { message: { text: string } }) => n.message.text)).toEqual([
      '… and 7 more dropping-table findings in 1_a.sql.',
      "… and 3 more results past code scanning's limit of 25000 per run.",
    ]);
  });

  it('counts the omitted findings in the github summary line', () => {
    expect(print('github', many.slice(0, 2)).slice(-2)).toEqual([
      '::notice file=1_a.sql,title=schemaguard dropping-table::… and 7 more dropping-table findings in 1_a.sql',
      'lint: 0 errors, 9 warnings',
    ]);
  });
});
