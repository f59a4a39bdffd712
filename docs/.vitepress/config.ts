/**
 * The documentation site (VitePress): `npm run docs:dev` serves it,
 * `npm run docs:build` writes it to docs/.vitepress/dist. The sidebar is read
 * from the files (sidebar.ts), and the build fails on a link to a page that
 * does not exist (VitePress) or to an anchor that does not (link-check.ts).
 */
import { fileURLToPath } from 'node:url';
import { defineConfig, type MarkdownRenderer } from 'vitepress';
import { brokenLinks } from './link-check';
import { apiGroup, folderGroup, groupedLinks, type SidebarGroup } from './sidebar';

const DOCS = fileURLToPath(new URL('..', import.meta.url));

/**
 * `{{ … }}` in a page's text (a CloudFormation dynamic reference) is text:
 * VitePress compiles each page as a Vue template, which would evaluate it.
 */
function noInterpolation(md: MarkdownRenderer): void {
  for (const rule of ['text', 'code_inline'] as const) {
    const render = md.renderer.rules[rule]!;
    md.renderer.rules[rule] = (...args) => render(...args).replace(/\{\{/g, '&#123;&#123;').replace(/\}\}/g, '&#125;&#125;');
  }
}

/** The guides' groups, in sidebar order (a guide names its own in its front matter, `group:`). */
const GUIDE_GROUPS = ['Start', 'Migrations', 'Checks and CI', 'In production', 'On AWS', 'The project'];

function sidebar(): SidebarGroup[] {
  return [
    ...groupedLinks(DOCS, 'guide', GUIDE_GROUPS, 'More guides'),
    folderGroup(DOCS, 'app', 'The reference app', true),
    {
      text: 'Reference',
      items: [
        folderGroup(DOCS, 'reference/cli', 'CLI commands', true),
        folderGroup(DOCS, 'reference/lint', 'Lint rules', true),
        folderGroup(DOCS, 'reference/doctor', 'Doctor rules', true),
        folderGroup(DOCS, 'reference/alarms', 'Alarms and runbooks', true),
        folderGroup(DOCS, 'reference/more', 'More tables', true),
        apiGroup(DOCS),
      ],
    },
  ];
}

export default defineConfig({
  title: 'schemaguard',
  description: 'Deploy-time schema safety for PostgreSQL on AWS: ordered schema fixes, proofs, rollback and alarms.',
  // Parts are included into pages (`<!--@include: …-->`), not pages of their own.
  srcExclude: ['parts/**', '**/_*.md'],
  lastUpdated: false,
  markdown: {
    // The pages are text, generated ones and typedoc's included: `<name>` in prose is a placeholder, not an element.
    html: false,
    config: (md) => md.use(noInterpolation),
  },
  themeConfig: {
    nav: [
      { text: 'Guide', link: '/guide/getting-started' },
      { text: 'CLI', link: '/reference/cli/' },
      { text: 'Rules', link: '/reference/lint/' },
      { text: 'Alarms', link: '/reference/alarms/' },
      { text: 'API', link: '/api/README' },
    ],
    sidebar: sidebar(),
    search: { provider: 'local' },
    outline: [2, 3],
  },
  buildEnd(site) {
    const broken = brokenLinks(site.outDir, site.site.base);
    if (broken.length > 0) {
      throw new Error(`${broken.length} link(s) to a missing page or anchor:\n  ${broken.join('\n  ')}\nfix: point each at a heading that exists (its anchor is the heading's slug), or give the heading an explicit {#id}`);
    }
  },
});
