/** Code blocks of the Markdown files readers copy from (README.md, docs/), for the tests that compile and run them. */

export interface CodeBlock {
  /** Where it is: the file (relative to the repository) and the line of its opening fence. */
  source: string;
  line: number;
  code: string;
}

/** The fenced blocks of `languages` in a Markdown text (indented ones, in lists, too), each with the line it starts on. */
export function codeBlocks(text: string, source: string, languages: readonly string[]): CodeBlock[] {
  const blocks: CodeBlock[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const open = /^(\s*)(`{3,})\s*([\w-]+)\s*$/.exec(lines[i]!);
    if (!open) continue;
    const end = lines.findIndex((l, k) => k > i && l.trim() === open[2]);
    if (languages.includes(open[3]!))
      blocks.push({
        source,
        line: i + 1,
        code: lines
          .slice(i + 1, end)
          .map((l) => l.slice(open[1]!.length))
          .join('\n'),
      });
    i = end;
  }
  return blocks;
}

/** The text between `<!-- #region name -->` and `<!-- #endregion name -->` (what the docs site includes from README.md). */
export function region(text: string, name: string): string {
  const start = text.indexOf(`<!-- #region ${name} -->`);
  const end = text.indexOf(`<!-- #endregion ${name} -->`);
  if (start < 0 || end < start) throw new Error(`no region ${name}`);
  return text.slice(start, end);
}
