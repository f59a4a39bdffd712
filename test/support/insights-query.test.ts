import { describe, expect, it } from 'vitest';
import { runInsightsQuery } from './insights-query';

const events = [
  'x:[1]:ERROR:  relation "a" failed',
  'x:[2]:ERROR:  relation "b" failed',
  'x:[3]:LOG:  relation "a" fine',
  'x:[4]:ERROR:  relation "a" failed again',
];

describe('Function: runInsightsQuery', () => {
  it('filters with like / not like, parses named groups, counts by a field and sorts', () => {
    const rows = runInsightsQuery(
      'fields @message | filter @message like /ERROR:/ and @message not like /again/ | parse @message /relation "(?<rel>[^"]+)"/ | stats count(*) as n by rel | sort n desc',
      events,
    );
    expect(rows).toEqual([
      { rel: 'a', n: 1 },
      { rel: 'b', n: 1 },
    ]);
  });

  it('evaluates = , in, or, parentheses and ispresent, then display, sort by @timestamp and limit', () => {
    const rows = runInsightsQuery(
      'parse @message /\\[(?<pid>\\d+)\\]:(?<level>[A-Z]+):/ | filter (level = "LOG" or pid in ["4"]) and ispresent(pid) | display pid, level | sort @timestamp desc | limit 1',
      events,
    );
    expect(rows).toEqual([{ pid: '4', level: 'ERROR' }]);
  });

  it('keeps a | inside a regex', () => {
    expect(runInsightsQuery('filter @message like /LOG|again/', events)).toHaveLength(2);
  });

  it.each([
    ['dedup @message', /unsupported command dedup/],
    ['filter @message like "x"', /like needs a \/regex\//],
    ['filter @message like /x', /unterminated regex/],
  ])('throws on %s', (q, msg) => {
    expect(() => runInsightsQuery(q, events)).toThrow(msg);
  });
});
