/**
 * The memory benchmark in a small form: correctness only, never timing. A
 * file of its own: it runs migrate, lint and plan some twenty times as
 * processes, the longest of the benchmarks' smoke tests (84 s at a load
 * average of 18 on 2 cores: past the run's 120 s limit when busier).
 * Runs on the first server of the test run; `npm run bench` measures.
 */
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { PSQL } from '../../bench/apply';
import { benchMemory } from '../../bench/memory';
import { TIME } from '../../bench/lib/proc';
import { targets } from '../support/db';

const target = targets[0]!;

describe(`Benchmarks (smoke, ${target.name})`, () => {
  it('memory: migrate applies the one big file, lint and plan read it; each reports its peak memory', async () => {
    const r = await benchMemory({ adminUrl: target.adminUrl, bytes: 256 * 1024, runs: 2 });
    if (!existsSync(TIME)) {
      expect(r.note).toContain('not found');
      console.log(`[bench smoke] ${r.note}`);
      return;
    }
    expect(r).toMatchObject({ file_bytes: 256 * 1024 });
    const m = r as Exclude<typeof r, { note: string }>;
    expect(m.statements).toBeGreaterThan(2500);
    for (const mb of [m.migrate_rss_mb, m.lint_rss_mb, m.plan_rss_mb]) expect(mb).toBeGreaterThan(10);
    // Each of lint and plan ran twice; the figure is the higher peak.
    expect(m.samples.lint_rss_mb).toHaveLength(2);
    expect(m.plan_rss_mb).toBe(Math.max(...m.samples.plan_rss_mb));
    if (existsSync(PSQL)) expect(m.psql_rss_mb).toBeGreaterThan(0);
    // The same size as one INSERT of many rows: applied (the rows counted by the bench), read by lint and plan.
    expect(m.one_insert.rows).toBeGreaterThan(4000);
    for (const mb of [m.one_insert.migrate_rss_mb, m.one_insert.lint_rss_mb, m.one_insert.plan_rss_mb]) expect(mb).toBeGreaterThan(10);
    // And as one function's body: applied (its row counted), read by lint and plan to its last statement.
    for (const mb of [m.one_token.migrate_rss_mb, m.one_token.lint_rss_mb, m.one_token.plan_rss_mb]) expect(mb).toBeGreaterThan(10);
    // And as `SELECT 1;` lines, read by lint and plan (one row for the run, checked by the bench).
    expect(m.tiny_statements.statements).toBe(Math.floor((256 * 1024 - 3) / 'SELECT 1;\n'.length));
    for (const mb of [m.tiny_statements.lint_rss_mb, m.tiny_statements.plan_rss_mb]) expect(mb).toBeGreaterThan(10);
  }, 300_000);
});
