import { describe, expect, it } from 'vitest';
import { compareFindings, falseShare, formatScores, mismatches, notes, precision, recall, type ExpectedList } from './score';

const expected: ExpectedList = {
  findings: [
    { rule: 'index-not-concurrent', file: '0005_a.sql', line: 7, verdict: 'true', why: 'populated table' },
    { rule: 'column-type-rewrite', file: '0007_b.sql', line: 2, verdict: 'false', why: 'varchar to text' },
    { rule: 'fk-missing', object: 'executions.next_event_id', verdict: 'false', why: 'a counter' },
  ],
  missing: [{ rule: 'adding-required-field', file: '0005_a.sql', line: 5, why: 'NOT NULL without default' }],
};

describe('Function: compareFindings', () => {
  it('scores the listed findings and counts the missing ones as missed', () => {
    const c = compareFindings(
      [
        { rule: 'index-not-concurrent', file: '0005_a.sql', line: 7 },
        { rule: 'column-type-rewrite', file: '0007_b.sql', line: 2 },
        { rule: 'fk-missing', object: 'executions.next_event_id' },
      ],
      expected,
    );
    expect(c.score).toEqual({ reported: 3, truePositives: 1, falsePositives: 2, missed: 1 });
    expect(mismatches(c)).toEqual([]);
    expect(falseShare(c.score)).toBeCloseTo(2 / 3);
    expect(precision(c.score)).toBeCloseTo(1 / 3);
    expect(recall(c.score)).toBe(0.5);
  });

  it('fails on a finding in neither list and on a listed finding no longer reported', () => {
    const c = compareFindings(
      [
        { rule: 'column-type-rewrite', file: '0007_b.sql', line: 2 },
        { rule: 'fk-missing', object: 'executions.next_event_id' },
        { rule: 'fk-missing', object: 'executions.run_id' },
      ],
      expected,
    );
    expect(mismatches(c)).toEqual([
      'new finding, not in the list (judge it and add it): fk-missing executions.run_id',
      'listed true finding no longer reported: index-not-concurrent 0005_a.sql:7',
    ]);
    // The vanished true finding is a miss; the unjudged one is neither true nor false.
    expect(c.score).toEqual({ reported: 3, truePositives: 0, falsePositives: 2, missed: 2 });
  });

  it('counts a missing finding that is now reported as true, with a note instead of a failure', () => {
    const c = compareFindings(
      [
        { rule: 'index-not-concurrent', file: '0005_a.sql', line: 7 },
        { rule: 'column-type-rewrite', file: '0007_b.sql', line: 2 },
        { rule: 'fk-missing', object: 'executions.next_event_id' },
        { rule: 'adding-required-field', file: '0005_a.sql', line: 5 },
      ],
      expected,
    );
    expect(mismatches(c)).toEqual([]);
    expect(notes(c)).toEqual(['missing finding now reported (move it to findings as true): adding-required-field 0005_a.sql:5']);
    expect(c.score).toEqual({ reported: 4, truePositives: 2, falsePositives: 2, missed: 0 });
    expect(recall(c.score)).toBe(1);
  });

  it('tells a lint finding from a doctor finding by the object', () => {
    const c = compareFindings([{ rule: 'fk-missing', file: '0005_a.sql', line: 7 }], { findings: [], missing: [] });
    expect(mismatches(c)).toEqual(['new finding, not in the list (judge it and add it): fk-missing 0005_a.sql:7']);
  });
});

describe('Function: formatScores', () => {
  it('prints a row per history and check, then the overall row per check', () => {
    const table = formatScores([
      { history: 'a', check: 'doctor', score: { reported: 4, truePositives: 1, falsePositives: 3, missed: 1 } },
      { history: 'b', check: 'doctor', score: { reported: 0, truePositives: 0, falsePositives: 0, missed: 0 } },
    ]).split('\n');
    expect(table[0]).toMatch(/^history\s+check\s+findings\s+true\s+false\s+missed\s+false\/all\s+precision\s+recall$/);
    expect(table[1]).toMatch(/^a\s+doctor\s+4\s+1\s+3\s+1\s+3\/4 75%\s+25%\s+50%$/);
    expect(table[2]).toMatch(/^b\s+doctor\s+0\s+0\s+0\s+0\s+0\/0 -\s+-\s+-$/);
    expect(table[3]).toMatch(/^overall\s+doctor\s+4\s+1\s+3\s+1\s+3\/4 75%\s+25%\s+50%$/);
  });
});
