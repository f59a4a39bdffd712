/**
 * Every link of the built site that stays on it must reach a page, and its
 * `#anchor` an element of that page. VitePress itself refuses a link to a
 * missing page; nothing checks anchors, and a renamed heading silently
 * breaks every link to it. Read from the built HTML, so generated pages,
 * included parts and the API reference are checked as a reader gets them.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, posix, relative } from 'node:path';

/** The built pages under `outDir`, by their path from the site's root (`guide/lock.html`). */
function pages(outDir: string): Map<string, string> {
  const found = new Map<string, string>();
  for (const e of readdirSync(outDir, { recursive: true, withFileTypes: true })) {
    if (!e.isFile() || !e.name.endsWith('.html')) continue;
    const file = join(e.parentPath, e.name);
    found.set(relative(outDir, file).split('\\').join('/'), readFileSync(file, 'utf8'));
  }
  return found;
}

/** The ids of a page's elements, decoded as a browser matches a fragment. */
function idsOf(html: string): Set<string> {
  const ids = new Set<string>();
  for (const m of html.matchAll(/\sid="([^"]*)"/g)) ids.add(decodeHtml(m[1]!));
  return ids;
}

function decodeHtml(text: string): string {
  return text.replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
}

/** The page a link reaches from `from` (a page path), or undefined for one that leaves the site. */
function target(from: string, href: string, base: string): { page: string; anchor?: string } | undefined {
  if (/^[a-z][a-z0-9+.-]*:/i.test(href) || href.startsWith('//')) return undefined;
  const [path = '', hash] = href.split('#', 2) as [string, string | undefined];
  let page: string;
  if (path === '') page = from;
  else if (path.startsWith('/')) page = path.slice(base.length);
  else page = posix.normalize(posix.join(posix.dirname(from), path)).replace(/^\.\/?/, '');
  page = decodeURIComponent(page);
  if (page === '' || page.endsWith('/')) page += 'index.html';
  else if (!/\.[a-z0-9]+$/i.test(page)) page += '.html';
  return { page, ...(hash ? { anchor: decodeURIComponent(hash) } : {}) };
}

/** Each broken link of the site built in `outDir`, as `page: href (why)`. */
export function brokenLinks(outDir: string, base = '/'): string[] {
  const site = pages(outDir);
  const ids = new Map<string, Set<string>>();
  const problems: string[] = [];
  for (const [from, html] of site) {
    for (const m of html.matchAll(/<a\s[^>]*?href="([^"]*)"/g)) {
      const href = decodeHtml(m[1]!);
      const to = target(from, href, base);
      if (!to || !to.page.endsWith('.html')) continue;
      const page = site.get(to.page);
      if (page === undefined) {
        problems.push(`${from}: ${href} (no page ${to.page})`);
        continue;
      }
      if (to.anchor === undefined) continue;
      if (!ids.has(to.page)) ids.set(to.page, idsOf(page));
      if (!ids.get(to.page)!.has(to.anchor)) problems.push(`${from}: ${href} (no #${to.anchor} on ${to.page})`);
    }
  }
  return [...new Set(problems)].sort();
}

