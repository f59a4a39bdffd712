/**
 * The prose paragraphs of a hand-written Markdown page, measured: a reader
 * scans a table, a list or a short paragraph, and loses the thread in a
 * paragraph of twenty lines. `test/docs/paragraphs.test.ts` keeps the guides
 * under a bound; `npx tsx scripts/docs/paragraphs.ts [files…]` prints the
 * longest ones.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { PACKAGE_ROOT } from '../../lib/paths';

/** The most characters a prose paragraph of a hand-written page may hold. */
export const PARAGRAPH_MAX_CHARS = 700;
/**
 * The most source lines it may span: the aim is about 8, and a paragraph of
 * 600 characters wrapped around long code spans or links takes 10.
 */
export const PARAGRAPH_MAX_LINES = 10;

/** A block of consecutive prose lines, or one list item with its continuation lines. */
export interface Paragraph {
  /** 1-based line of its first line. */
  readonly line: number;
  readonly lines: number;
  /** Its characters, its lines joined by one space and trimmed. */
  readonly chars: number;
  readonly text: string;
}

/** Lines that are not prose: headings, tables, containers, HTML, and rules. */
const NOT_PROSE = /^\s*(#{1,6}\s|\||:::|<|---\s*$|\*\*\*\s*$)/;
/** A line that starts a list item (its continuation lines are indented). */
const LIST_ITEM = /^\s*([-*+]|\d+[.)])\s/;
const FENCE = /^\s*(```|~~~)/;

/** The prose paragraphs of `markdown`, front matter, code blocks, tables and headings left out. */
export function paragraphs(markdown: string): Paragraph[] {
  const lines = markdown.split(/\r?\n/);
  const found: Paragraph[] = [];
  let block: { line: number; text: string[] } | undefined;
  const close = (): void => {
    if (block) found.push(measured(block.line, block.text));
    block = undefined;
  };
  let fenced = false;
  for (let i = frontMatterEnd(lines); i < lines.length; i++) {
    const line = lines[i] ?? '';
    if (FENCE.test(line)) {
      close();
      fenced = !fenced;
    } else if (fenced || line.trim() === '' || NOT_PROSE.test(line)) close();
    else {
      const item = LIST_ITEM.exec(line);
      if (item) close();
      block ??= { line: i + 1, text: [] };
      block.text.push((item ? line.slice(item[0].length) : line).trim());
    }
  }
  close();
  return found;
}

/** The index of the first line after a leading `---` front matter block (0 when there is none). */
function frontMatterEnd(lines: readonly string[]): number {
  if (lines[0]?.trim() !== '---') return 0;
  const end = lines.indexOf('---', 1);
  return end < 0 ? 0 : end + 1;
}

function measured(line: number, text: readonly string[]): Paragraph {
  const joined = text.join(' ').trim();
  return { line, lines: text.length, chars: joined.length, text: joined };
}

/** Whether `p` is over either bound. */
export function tooLong(p: Paragraph): boolean {
  return p.chars > PARAGRAPH_MAX_CHARS || p.lines > PARAGRAPH_MAX_LINES;
}

/** The hand-written pages the bound holds for, relative to the package root. */
export function handWrittenPages(): string[] {
  const pages = (folder: string): string[] =>
    readdirSync(join(PACKAGE_ROOT, folder))
      .filter((f) => f.endsWith('.md'))
      .sort()
      .map((f) => `${folder}/${f}`);
  return [...pages('docs/guide'), ...pages('docs/app'), 'README.md'];
}

/** Each page's paragraphs over a bound, as `file:line: N lines, M characters`. */
function report(files: readonly string[]): string[] {
  return files.flatMap((file) =>
    paragraphs(readFileSync(join(PACKAGE_ROOT, file), 'utf8'))
      .filter(tooLong)
      .map((p) => `${relative(PACKAGE_ROOT, join(PACKAGE_ROOT, file))}:${p.line}: ${p.lines} lines, ${p.chars} characters`),
  );
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const files = process.argv.length > 2 ? process.argv.slice(2) : handWrittenPages();
  const all = files.flatMap((file) => paragraphs(readFileSync(join(PACKAGE_ROOT, file), 'utf8')));
  const over = report(files);
  for (const line of over) console.log(line);
  const longest = Math.max(0, ...all.map((p) => p.chars));
  console.log(
    `${files.length} pages, ${all.length} paragraphs, ${over.length} over ${PARAGRAPH_MAX_LINES} lines or ${PARAGRAPH_MAX_CHARS} characters, the longest ${longest} characters`,
  );
  console.log(`over ${PARAGRAPH_MAX_CHARS} characters: ${all.filter((p) => p.chars > PARAGRAPH_MAX_CHARS).length}`);
}
