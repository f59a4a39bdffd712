/**
 * The hand-written pages stay readable: no prose paragraph of the guides, the
 * reference app's pages or README.md runs past PARAGRAPH_MAX_CHARS characters
 * or PARAGRAPH_MAX_LINES lines; a longer one becomes a list, a table, an
 * example or sub-sections. `npx tsx scripts/docs/paragraphs.ts` lists them.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PACKAGE_ROOT } from '../../lib/paths';
import { handWrittenPages, PARAGRAPH_MAX_CHARS, PARAGRAPH_MAX_LINES, paragraphs, tooLong } from '../../scripts/docs/paragraphs';

describe('Function: paragraphs', () => {
  it('measures consecutive prose lines, joined by one space', () => {
    const found = paragraphs('# Title\n\nOne line\nand another.\n\nA second paragraph.\n');
    expect(found.map((p) => [p.line, p.lines, p.text])).toEqual([
      [3, 2, 'One line and another.'],
      [6, 1, 'A second paragraph.'],
    ]);
    expect(found[0]!.chars).toBe('One line and another.'.length);
  });

  it('leaves out front matter, headings, tables, fenced code and HTML comments', () => {
    const page = ['---', 'title: T', '---', '## A heading', '| a | b |', '|---|---|', '```sh', 'not prose', '```', '<!-- #region x -->', 'Prose.'].join('\n');
    expect(paragraphs(page).map((p) => p.text)).toEqual(['Prose.']);
  });

  it('counts each list item apart, with its indented continuation lines', () => {
    const found = paragraphs('- first item\n  goes on\n- second\n1. numbered\n');
    expect(found.map((p) => [p.lines, p.text])).toEqual([
      [2, 'first item goes on'],
      [1, 'second'],
      [1, 'numbered'],
    ]);
  });

  it('takes a paragraph over either bound as too long', () => {
    const long = `${'word '.repeat(Math.ceil(PARAGRAPH_MAX_CHARS / 5) + 1)}\n`;
    const tall = 'a\n'.repeat(PARAGRAPH_MAX_LINES + 1);
    expect(paragraphs(long).map(tooLong)).toEqual([true]);
    expect(paragraphs(tall).map(tooLong)).toEqual([true]);
    expect(paragraphs('short\n').map(tooLong)).toEqual([false]);
  });
});

describe('The hand-written pages', () => {
  it('are the guides, the reference app and README.md', () => {
    const pages = handWrittenPages();
    expect(pages).toContain('docs/guide/online-changes.md');
    expect(pages).toContain('docs/app/online-fixes.md');
    expect(pages).toContain('README.md');
  });

  it.each(handWrittenPages())(`%s: no paragraph over ${PARAGRAPH_MAX_CHARS} characters or ${PARAGRAPH_MAX_LINES} lines`, (page) => {
    const over = paragraphs(readFileSync(join(PACKAGE_ROOT, page), 'utf8'))
      .filter(tooLong)
      .map((p) => `${page}:${p.line}: ${p.lines} lines, ${p.chars} characters: ${p.text.slice(0, 80)}…`);
    expect(over, 'split each into a list, a table, an example or sub-sections').toEqual([]);
  });
});
