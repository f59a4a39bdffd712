/**
 * docs/guide/versions.md: every test file its feature × version table names
 * exists and runs on every major (describe.each(allMajors), or the stacks'
 * test over supportedMajors()), and the range it states is SUPPORTED_MAJORS.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SUPPORTED_MAJORS, supportedMajors } from '../../lambda/engine/server/server-majors';
import { ROOT } from '../support/cli';

const page = readFileSync(join(ROOT, 'docs', 'guide', 'versions.md'), 'utf8');
const table = page.slice(page.indexOf('## Feature × version'), page.indexOf('## Syntax by version'));
const rows = table.split('\n').filter((l) => l.startsWith('| ') && !l.startsWith('| feature') && !l.startsWith('|---'));

describe('docs/guide/versions.md', () => {
  it('states the supported range', () => {
    expect(page).toContain(`PostgreSQL **${SUPPORTED_MAJORS.oldest} to ${SUPPORTED_MAJORS.newest}**`);
    expect(table).toContain(`| feature | ${supportedMajors().join(' | ')} | proven by |`);
  });

  it.each(rows.map((r) => [r.split(' | ')[0]!.slice(2), r] as const))('%s: a cell for each major, proven by test files that run on each', (_feature, row) => {
    const cells = row.replace(/\\\|/g, '').split(' | ');
    expect(cells).toHaveLength(supportedMajors().length + 2);
    const files = [...cells.at(-1)!.matchAll(/`(test\/[^`]+)`/g)].map((m) => m[1]!);
    expect(files.length).toBeGreaterThan(0);
    for (const f of files) {
      expect(existsSync(join(ROOT, f)), f).toBe(true);
      expect(/allMajors|supportedMajors\(\)/.test(readFileSync(join(ROOT, f), 'utf8')), `${f} runs on every major`).toBe(true);
    }
  });
});
