/**
 * The evaluator against the examples of the CloudWatch Logs documentation,
 * "Filter and pattern syntax" (Matching terms in log events; OR pattern matching):
 * https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/FilterAndPatternSyntax.html
 * (same text in github.com/awsdocs/amazon-cloudwatch-logs-user-guide, doc_source/FilterAndPatternSyntax.md).
 */
import { describe, expect, it } from 'vitest';
import { FilterPatternSyntaxError, matchesFilterPattern, parseFilterPattern } from './filter-pattern';

const matching = (pattern: string, events: string[]) => events.filter((e) => matchesFilterPattern(pattern, e));

describe('Function: matchesFilterPattern', () => {
  describe('documentation: matching terms in log events', () => {
    const events = [
      '[ERROR] A fatal exception has occurred',
      'Exiting with ERRORCODE: -1',
      '[ERROR] Caught IllegalArgumentException',
      '[ERROR] Unhandled Exception',
      '[WARN] Failed to process the request',
      '[ERROR] Unable to continue: Failed to process the request',
      '[INFO] all good',
    ];

    it('matches everything with the empty pattern ""', () => {
      expect(matching('""', events)).toEqual(events);
    });

    it('matches a single term as a case-sensitive substring (ERROR matches ERRORCODE)', () => {
      expect(matching('ERROR', events)).toEqual(events.slice(0, 4).concat(events[5]!));
      expect(matching('error', events)).toEqual([]);
    });

    it('excludes a term with a minus sign: "ERROR" - "Exiting"', () => {
      expect(matching('"ERROR" - "Exiting"', events)).not.toContain('Exiting with ERRORCODE: -1');
      expect(matching('"ERROR" - "Exiting"', events)).toContain('[ERROR] A fatal exception has occurred');
      expect(matching('ERROR -Exiting', events)).toEqual(matching('"ERROR" - "Exiting"', events));
    });

    it('requires every term: ERROR Exception', () => {
      expect(matching('ERROR Exception', events)).toEqual(['[ERROR] Caught IllegalArgumentException', '[ERROR] Unhandled Exception']);
    });

    it('requires every word of an unquoted sentence: Failed to process the request', () => {
      expect(matching('Failed to process the request', events)).toEqual([events[4], events[5]]);
    });
  });

  describe('documentation: OR pattern matching', () => {
    const events = ['ERROR WARN message', 'ERROR message', 'WARN message'];

    it('ERROR matches examples 1 and 2', () => {
      expect(matching('ERROR', events)).toEqual([events[0], events[1]]);
    });

    it('?ERROR ?WARN matches examples 1, 2 and 3', () => {
      expect(matching('?ERROR ?WARN', events)).toEqual(events);
    });

    it('ERROR WARN matches example 1 only', () => {
      expect(matching('ERROR WARN', events)).toEqual([events[0]]);
    });

    it('ERROR -WARN matches example 2 only', () => {
      expect(matching('ERROR -WARN', events)).toEqual([events[1]]);
    });
  });

  describe('documentation: unstructured log events (current page)', () => {
    const events = ['[ERROR 400] BAD REQUEST', '[ERROR 401] UNAUTHORIZED REQUEST', '[SUCCESS 200] AUTHORIZED REQUEST'];

    it('ERROR matches the error events', () => {
      expect(matching('ERROR', events)).toEqual([events[0], events[1]]);
    });

    it('a quoted phrase matches its exact text', () => {
      expect(matching('"UNAUTHORIZED REQUEST"', events)).toEqual([events[1]]);
      expect(matching('"AUTHORIZED REQUEST"', events)).toEqual([events[1], events[2]]);
      expect(matching('"REQUEST UNAUTHORIZED"', events)).toEqual([]);
    });
  });

  describe('phrases with non-alphanumeric characters', () => {
    const line = '2026-11-22 19:14:06 UTC:127.0.0.1(42652):app@shop:[7714]:ERROR:  deadlock detected';

    it('matches a phrase containing ] and : characters', () => {
      expect(matchesFilterPattern('"]:ERROR:" "deadlock detected"', line)).toBe(true);
      expect(matchesFilterPattern('"]:ERROR:" "deadlock detected" -"]:STATEMENT:"', line)).toBe(true);
      expect(matchesFilterPattern('"]:ERROR:" -"deadlock"', line)).toBe(false);
    });
  });
});

describe('Function: parseFilterPattern', () => {
  it('splits plain, ? and - terms', () => {
    expect(parseFilterPattern('"a b" c -"d:e" - f')).toEqual({ all: ['a b', 'c'], any: [], none: ['d:e', 'f'] });
    expect(parseFilterPattern('?x ?"y z"')).toEqual({ all: [], any: ['x', 'y z'], none: [] });
  });

  it.each([
    ['"abc', 'unterminated phrase'],
    ['"a"b"', 'double quote inside a phrase'],
    ['ERROR:', 'quote it'],
    ['%ERR%', 'regex'],
    ['{ $.a = 1 }', 'JSON'],
    ['?a b', 'mixing'],
    ['a -', 'has no term'],
  ])('throws on %s (%s)', (pattern, message) => {
    expect(() => parseFilterPattern(pattern)).toThrow(FilterPatternSyntaxError);
    expect(() => parseFilterPattern(pattern)).toThrow(message);
  });
});
