import { describe, expect, it } from 'vitest';
import {
  ALARM_DESCRIPTION_MARGIN,
  ERROR_CATALOG,
  ERROR_LINE_TAG,
  LOCK_HOLDERS_SQL,
  MAX_ALARM_DESCRIPTION_LENGTH,
  ON_CALL_POINTER,
  OTHER_LEVEL_TAGS,
  alarmDescriptionFor,
  errorClass,
  filterPatternFor,
  insightsQueryFor,
  savedQueryNameFor,
  type ErrorClass,
} from '../../../lib/alarms/error-catalog';
import { matchesFilterPattern, parseFilterPattern } from '../../support/filter-pattern';
import { runInsightsQuery } from '../../support/insights-query';

const PREFIX = '2026-11-22 19:14:06 UTC:10.0.1.7(42652):app@shop:[7714]:';

describe('Module: error-catalog', () => {
  it('lists at least the ten incident classes with unique ids, SQLSTATEs and metric names', () => {
    expect(ERROR_CATALOG.map((c) => c.sqlstate).sort()).toEqual(['22P02', '23502', '23503', '23505', '23514', '25P02', '40P01', '42883', '42P10', '55P03']);
    for (const key of ['id', 'sqlstate', 'metricName'] as const) {
      expect(new Set(ERROR_CATALOG.map((c) => c[key])).size).toBe(ERROR_CATALOG.length);
    }
    for (const c of ERROR_CATALOG) {
      expect(c.id).toMatch(/^[a-z]+(-[a-z]+)*$/);
      expect(c.metricName).toMatch(/^[A-Z][A-Za-z]+$/);
      expect(['page', 'ticket']).toContain(c.severity);
    }
  });

  it('pages for the classes the schema fixes exist for', () => {
    expect(
      ERROR_CATALOG.filter((c) => c.severity === 'page')
        .map((c) => c.sqlstate)
        .sort(),
    ).toEqual(['23502', '25P02', '42883', '42P10']);
  });

  it.each(ERROR_CATALOG.map((c) => [c.id, c] as const))('%s: its example contains every fragment, none with a double quote', (_id, c) => {
    for (const f of c.fragments) {
      expect(c.example).toContain(f);
      expect(f).not.toContain('"');
    }
  });

  describe('Function: filterPatternFor', () => {
    it.each(ERROR_CATALOG.map((c) => [c.id, c] as const))('%s: a valid plain-text pattern for the ERROR line only', (_id, c) => {
      const pattern = filterPatternFor(c);
      expect(pattern.length).toBeLessThanOrEqual(1024);
      const parsed = parseFilterPattern(pattern);
      expect(parsed.all).toEqual([ERROR_LINE_TAG, ...c.fragments]);
      expect(parsed.none).toEqual(expect.arrayContaining([...OTHER_LEVEL_TAGS]));
      expect(matchesFilterPattern(pattern, `${PREFIX}ERROR:  ${c.example}`)).toBe(true);
      for (const level of ['STATEMENT', 'LOG', 'DETAIL', 'HINT', 'WARNING']) {
        expect(matchesFilterPattern(pattern, `${PREFIX}${level}:  SELECT '${ERROR_LINE_TAG}  ${c.example}'`)).toBe(false);
      }
    });

    it('refuses a fragment with a double quote, which CloudWatch cannot match inside a phrase', () => {
      const bad: ErrorClass = { ...errorClass('deadlock'), fragments: ['say "hi"'] };
      expect(() => filterPatternFor(bad)).toThrow(/contains a double quote/);
    });

    it('refuses a pattern over 1024 characters', () => {
      const long: ErrorClass = { ...errorClass('deadlock'), id: 'long', fragments: ['x'.repeat(1000)] };
      expect(() => filterPatternFor(long)).toThrow(/filter pattern for "long" is \d+ characters; CloudWatch allows 1024/);
    });
  });

  it("keeps every alarm description ALARM_DESCRIPTION_MARGIN (256) characters below CloudWatch's 1024, with the longest query folder; the lock timeout's, which carries its SQL whole, within 1024", () => {
    // Regression: the descriptions quoted their Logs Insights query and were at 1,006-1,021 characters: any runbook edit overflowed.
    const longestFolder = 'f'.repeat(100);
    expect(ALARM_DESCRIPTION_MARGIN).toBe(256);
    for (const c of ERROR_CATALOG) {
      const room = c.id === 'lock-timeout' ? 0 : ALARM_DESCRIPTION_MARGIN;
      expect(alarmDescriptionFor(c, longestFolder).length, c.id).toBeLessThanOrEqual(MAX_ALARM_DESCRIPTION_LENGTH - room);
    }
    expect(errorClass('lock-timeout').runbook.fix).toContain(LOCK_HOLDERS_SQL);
  });

  it('regression: no placeholder in <angle brackets>, which Slack and Chatbot take for markup and drop (SELECT pg_terminate_backend(<pid>))', () => {
    for (const c of ERROR_CATALOG) expect(alarmDescriptionFor(c), c.id).not.toMatch(/<[a-z][^>]*>/i);
  });

  it('every description ends with where the rest is: the on-call guide', () => {
    for (const c of ERROR_CATALOG) expect(alarmDescriptionFor(c).endsWith(`\nOver: OK after 15 minutes without one. ${ON_CALL_POINTER}`), c.id).toBe(true);
  });

  it("names the class's saved query in its description, in the given folder", () => {
    const c = errorClass('lock-timeout');
    expect(alarmDescriptionFor(c)).toContain('\nFind: the saved Logs Insights query "schemaguard/Lock timeout by database, holder".\n');
    expect(alarmDescriptionFor(c, 'shop/db')).toContain(`"${savedQueryNameFor(c, 'shop/db')}"`);
    expect(savedQueryNameFor(c, 'shop/db')).toBe('shop/db/Lock timeout by database, holder');
  });

  it("regression: the not-null and ON CONFLICT runbooks point to schemaguard guard, which prints the lost default's or index's SQL (no error-class runbook named it)", () => {
    for (const id of ['not-null-violation', 'on-conflict-without-constraint'])
      expect(errorClass(id).runbook.fix, id).toMatch(/schemaguard guard, as the guard role, prints a lost (default|index)'s SQL\.$/);
  });

  it('names the known ids for an unknown one', () => {
    expect(() => errorClass('nope')).toThrow(/unknown error class "nope"; known: not-null-violation, /);
  });
});

// Review: the upsert and deadlock queries, on lines shaped as RDS writes them (the int test runs them on real servers' logs).
describe('The saved queries on edge-shaped lines', () => {
  const at = '2026-11-27 03:00:31 UTC:10.0.1.7(36482):app@shop:[29030]:';
  const query = (id: string) => insightsQueryFor(ERROR_CATALOG.find((c) => c.id === id)!);

  it('ON CONFLICT: a quoted name is one name, a comment or a WITH may come first; "version conflict" and a PREPARE are not upserts', () => {
    const rows = runInsightsQuery(query('on-conflict-without-constraint'), [
      `${at}STATEMENT:  INSERT INTO "Mixed Case" (a) VALUES (1) ON CONFLICT (a) DO NOTHING`,
      `${at}STATEMENT:  insert into public."My T" (a) values (1) on conflict do nothing`,
      `${at}STATEMENT:  /* checkout */ INSERT INTO orders (a) VALUES (1) ON CONFLICT (a) DO NOTHING`,
      `${at}STATEMENT:  WITH s AS (SELECT 1) INSERT INTO stock SELECT 1 ON CONFLICT DO NOTHING`,
      `${at}STATEMENT:  INSERT INTO events (kind) VALUES ('version conflict')`,
      `${at}STATEMENT:  PREPARE p AS INSERT INTO queue VALUES (1) ON CONFLICT DO NOTHING`,
    ]);
    expect(rows.map((r) => r.relation).sort()).toEqual(['"Mixed Case"', 'orders', 'public."My T"', 'stock']);
    // The query's regexes have no "/" of their own (it would end the regex in the query text).
    expect(query('on-conflict-without-constraint')).not.toMatch(/\/\*|\*\//);
  });

  it("deadlock: a tuple lock's DETAIL (no CONTEXT line) gives the table by number", () => {
    expect(
      runInsightsQuery(query('deadlock'), [
        `${at}DETAIL:  Process 1 waits for ExclusiveLock on tuple (0,1) of relation 16391 of database 5; blocked by process 2.`,
      ]),
    ).toEqual([{ relation: '16391', failures: 1 }]);
  });
});
