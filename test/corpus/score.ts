/**
 * Reported findings against a history's judged list (expected-findings.json):
 * what differs, and how precise the check was.
 *
 * A lint finding is known by rule, file and line; a doctor finding by rule
 * and object. A reported finding that matches a `missing` entry counts as a
 * true finding (the rule learnt it) and is noted, not failed.
 */
export type Verdict = 'true' | 'false';

export interface Located {
  rule: string;
  file?: string;
  line?: number;
  object?: string;
}

export interface JudgedFinding extends Located {
  verdict: Verdict;
  why: string;
}

export interface MissedFinding extends Located {
  why: string;
}

export interface ExpectedList {
  findings: JudgedFinding[];
  missing: MissedFinding[];
}

export interface Score {
  /** Findings reported. */
  reported: number;
  truePositives: number;
  falsePositives: number;
  /** Expected true findings not reported (the `missing` list, and listed true findings that vanished). */
  missed: number;
}

export interface Comparison {
  score: Score;
  /** Reported, in neither list: judge them and add them to `findings`. */
  unexpected: Located[];
  /** Listed in `findings`, not reported any more. */
  vanished: JudgedFinding[];
  /** Listed in `missing`, reported now: move them to `findings` as true. */
  nowFound: MissedFinding[];
}

export function findingKey(f: Located): string {
  return f.object !== undefined ? `${f.rule} ${f.object}` : `${f.rule} ${f.file ?? ''}:${f.line ?? ''}`;
}

export function compareFindings(reported: readonly Located[], expected: ExpectedList): Comparison {
  const judged = new Map(expected.findings.map((f) => [findingKey(f), f]));
  const missing = new Map(expected.missing.map((f) => [findingKey(f), f]));
  const seen = new Set<string>();
  const score: Score = { reported: reported.length, truePositives: 0, falsePositives: 0, missed: 0 };
  const unexpected: Located[] = [];
  const nowFound: MissedFinding[] = [];
  for (const r of reported) {
    const key = findingKey(r);
    seen.add(key);
    const j = judged.get(key);
    const m = missing.get(key);
    if (j?.verdict === 'true' || (!j && m)) score.truePositives++;
    else if (j) score.falsePositives++;
    if (!j && m) nowFound.push(m);
    if (!j && !m) unexpected.push({ rule: r.rule, file: r.file, line: r.line, object: r.object });
  }
  const vanished = expected.findings.filter((f) => !seen.has(findingKey(f)));
  score.missed = expected.missing.filter((f) => !seen.has(findingKey(f))).length + vanished.filter((f) => f.verdict === 'true').length;
  return { score, unexpected, vanished, nowFound };
}

/** What makes the comparison fail, one line each; empty when the reported findings are the listed ones. */
export function mismatches(c: Comparison): string[] {
  return [
    ...c.unexpected.map((f) => `new finding, not in the list (judge it and add it): ${findingKey(f)}`),
    ...c.vanished.map((f) => `listed ${f.verdict === 'true' ? 'true' : 'false'} finding no longer reported: ${findingKey(f)}`),
  ];
}

/** Notes that do not fail the comparison. */
export function notes(c: Comparison): string[] {
  return c.nowFound.map((f) => `missing finding now reported (move it to findings as true): ${findingKey(f)}`);
}

export function addScores(a: Score, b: Score): Score {
  return {
    reported: a.reported + b.reported,
    truePositives: a.truePositives + b.truePositives,
    falsePositives: a.falsePositives + b.falsePositives,
    missed: a.missed + b.missed,
  };
}

export const EMPTY_SCORE: Score = { reported: 0, truePositives: 0, falsePositives: 0, missed: 0 };

/** false findings / all findings: the share of what the check reports that is wrong. */
export function falseShare(s: Score): number | undefined {
  return s.reported ? s.falsePositives / s.reported : undefined;
}

/** true findings / all findings. */
export function precision(s: Score): number | undefined {
  return s.reported ? s.truePositives / s.reported : undefined;
}

/** true findings reported / true findings expected. */
export function recall(s: Score): number | undefined {
  const expected = s.truePositives + s.missed;
  return expected ? s.truePositives / expected : undefined;
}

export interface ScoreRow {
  history: string;
  check: string;
  score: Score;
}

function percent(x: number | undefined): string {
  return x === undefined ? '-' : `${Math.round(x * 100)}%`;
}

/**
 * A table: one row per history and check, then one "overall" row per check.
 * Rows are printed in the order given; checks keep their first-seen order.
 */
export function formatScores(rows: readonly ScoreRow[]): string {
  const checks = [...new Set(rows.map((r) => r.check))];
  const overall = checks.map((check) => ({
    history: 'overall',
    check,
    score: rows.filter((r) => r.check === check).reduce((sum, r) => addScores(sum, r.score), EMPTY_SCORE),
  }));
  const header = ['history', 'check', 'findings', 'true', 'false', 'missed', 'false/all', 'precision', 'recall'];
  const body = [...rows, ...overall].map((r) => [
    r.history,
    r.check,
    String(r.score.reported),
    String(r.score.truePositives),
    String(r.score.falsePositives),
    String(r.score.missed),
    `${r.score.falsePositives}/${r.score.reported} ${percent(falseShare(r.score))}`,
    percent(precision(r.score)),
    percent(recall(r.score)),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  return [header, ...body]
    .map((cells) =>
      cells
        .map((c, i) => c.padEnd(widths[i]!))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}
