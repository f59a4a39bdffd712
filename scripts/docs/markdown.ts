/** Markdown building blocks for the generated reference pages. */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { PACKAGE_ROOT } from '../../lib/paths';

/** A cell of a Markdown table: one line, its pipes escaped. */
export function cell(text: string): string {
  return text.replace(/\r?\n/g, ' ').replace(/\|/g, '\\|');
}

/** A Markdown table of `header` and `rows`, each cell escaped. */
export function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  return [`| ${header.map(cell).join(' | ')} |`, `|${header.map(() => '---').join('|')}|`, ...rows.map((r) => `| ${r.map(cell).join(' | ')} |`)].join('\n');
}

/** `text` as inline code, with a fence longer than any run of backticks in it. */
export function code(text: string): string {
  const longest = Math.max(0, ...[...text.matchAll(/`+/g)].map((m) => m[0].length));
  const fence = '`'.repeat(longest + 1);
  return longest > 0 ? `${fence} ${text} ${fence}` : `${fence}${text}${fence}`;
}

/** A fenced code block. */
export function block(language: string, text: string): string {
  return `\`\`\`${language}\n${text.replace(/\n+$/, '')}\n\`\`\``;
}

/** Text for prose: single backtick-quoted names stay code; nothing else is interpreted. */
export function prose(text: string): string {
  return text.replace(/\*/g, '\\*').replace(/_/g, (m, at: number, s: string) => (/\w/.test(s[at - 1] ?? '') && /\w/.test(s[at + 1] ?? '') ? m : '\\_'));
}

/**
 * A generated page: front matter (its title, the sidebar order, a class
 * for the site's stylesheet, where it comes from), the body, and the line that tells a contributor where to
 * change it.
 */
export function page(options: { title: string; order?: number; source: string; body: string[]; pageClass?: string }): string {
  const front = ['---', `title: ${JSON.stringify(options.title)}`];
  if (options.order !== undefined) front.push(`order: ${options.order}`);
  if (options.pageClass !== undefined) front.push(`pageClass: ${options.pageClass}`);
  front.push(`generated: ${JSON.stringify(`npm run docs:generate, from ${options.source}`)}`, '---');
  const footer = `*Generated from ${options.source} by \`npm run docs:generate\`: change the source, then run it, rather than editing this page.*`;
  return `${front.join('\n')}\n\n${[...options.body.filter((p) => p !== ''), footer].join('\n\n')}\n`;
}

/**
 * The hand-written part of a generated page (what a one-line registry entry
 * has no room for: edge cases, details), included when it exists:
 * docs/parts/<kind>/<name>.md. Its links are written as from the page that
 * includes it (docs/reference/<kind>/).
 */
export function partInclude(kind: string, name: string): string {
  return existsSync(join(PACKAGE_ROOT, 'docs', 'parts', kind, `${name}.md`)) ? `<!--@include: ../../parts/${kind}/${name}.md-->` : '';
}
