/**
 * The site's sidebar, read from the files themselves: a page added under a
 * folder appears without a config edit. A page's title is its front matter's
 * `title:`, else its first `# ` heading, else its file name; pages sort by
 * front matter `order:` (a number, lowest first), then by title.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

export interface SidebarLink {
  text: string;
  link: string;
}

export interface SidebarGroup {
  text: string;
  link?: string;
  collapsed?: boolean;
  items: (SidebarLink | SidebarGroup)[];
}

interface PageInfo {
  title: string;
  /** @default Infinity - after the pages that give one */
  order: number;
  /** The sidebar group it belongs to (front matter `group:`). @default - none */
  group?: string;
}

/** The page's front matter as `key: value` lines (no nesting: the sidebar needs two scalars). */
function frontMatter(text: string): Record<string, string> {
  const m = /^---\r?\n([\s\S]*?)\r?\n---\r?\n/.exec(text);
  if (!m) return {};
  const fields: Record<string, string> = {};
  for (const line of m[1]!.split(/\r?\n/)) {
    const kv = /^([A-Za-z][\w-]*):\s*(.*?)\s*$/.exec(line);
    if (kv) fields[kv[1]!] = kv[2]!.replace(/^(['"])(.*)\1$/, '$2');
  }
  return fields;
}

/** Title and order of one page, from its text; `file` names it when it says neither. */
export function pageInfo(text: string, file: string): PageInfo {
  const fields = frontMatter(text);
  const body = text.replace(/^---\r?\n[\s\S]*?\r?\n---\r?\n/, '');
  const heading = /^#\s+(.+?)\s*(?:\{#[^}]*\})?\s*$/m.exec(body)?.[1];
  const order = Number(fields.order);
  return {
    title: fields.title ?? (heading ? heading.replace(/`/g, '') : file.replace(/\.md$/, '')),
    order: fields.order !== undefined && Number.isFinite(order) ? order : Number.POSITIVE_INFINITY,
    ...(fields.group ? { group: fields.group } : {}),
  };
}

/** The link of a page, as VitePress serves it: `dir/` for an index, `dir/name` otherwise. */
function linkOf(route: string, file: string): string {
  return file === 'index.md' ? `/${route}/` : `/${route}/${file.replace(/\.md$/, '')}`;
}

/** Every page directly in `docs/<route>`, ordered: the folder's `index.md` first, then by order, then by title. Names starting with `_` or `.` are not pages. */
function folderPages(docs: string, route: string, withIndex: boolean): (PageInfo & { file: string })[] {
  const dir = join(docs, route);
  if (!existsSync(dir)) return [];
  const pages = readdirSync(dir)
    .filter((f) => f.endsWith('.md') && !/^[_.]/.test(f) && statSync(join(dir, f)).isFile())
    .filter((f) => withIndex || f !== 'index.md')
    .map((f) => ({ file: f, ...pageInfo(readFileSync(join(dir, f), 'utf8'), f) }));
  return pages.sort((a, b) => Number(b.file === 'index.md') - Number(a.file === 'index.md') || a.order - b.order || a.title.localeCompare(b.title));
}

/** Every page directly in `docs/<route>`, ordered, as sidebar links; the folder's `index.md` first unless `withIndex` is false. */
export function folderLinks(docs: string, route: string, withIndex = true): SidebarLink[] {
  return folderPages(docs, route, withIndex).map((p) => ({ text: p.title, link: linkOf(route, p.file) }));
}

/**
 * The pages of `docs/<route>` in groups by their front matter's `group:`,
 * the groups in the order `groups` names them; a page of no group, or of a
 * group not named there (a page added without one), goes in a last group,
 * `others`.
 */
export function groupedLinks(docs: string, route: string, groups: readonly string[], others: string): SidebarGroup[] {
  const pages = folderPages(docs, route, true);
  const named = groups.map((text) => ({ text, items: pages.filter((p) => p.group === text) }));
  const rest = pages.filter((p) => !p.group || !groups.includes(p.group));
  return [...named, { text: others, items: rest }].filter((g) => g.items.length > 0)
    .map((g) => ({ text: g.text, items: g.items.map((p) => ({ text: p.title, link: linkOf(route, p.file) })) }));
}

/** A sidebar group of the pages in `docs/<route>`, its title from the folder's index page. */
export function folderGroup(docs: string, route: string, text: string, collapsed?: boolean): SidebarGroup {
  const items = folderLinks(docs, route, false);
  const index = existsSync(join(docs, route, 'index.md')) ? linkOf(route, 'index.md') : undefined;
  return { text, ...(index ? { link: index } : {}), ...(collapsed === undefined ? {} : { collapsed }), items };
}

/** typedoc's pages (docs/api): each entry point, with its classes, interfaces and functions as collapsed groups. */
export function apiGroup(docs: string): SidebarGroup {
  const api = join(docs, 'api');
  const modules: [string, string][] = [['schemaguard', 'api/schemaguard'], ['schemaguard/engine', 'api/schemaguard/engine']];
  return {
    text: 'API (from the types)',
    link: '/api/README',
    collapsed: true,
    items: modules.filter(([, route]) => existsSync(join(docs, route))).map(([name, route]) => ({
      text: name,
      link: `/${route}/README`,
      collapsed: true,
      items: ['classes', 'interfaces', 'functions', 'variables', 'type-aliases']
        .filter((kind) => existsSync(join(api, route.slice(4), kind)))
        .map((kind) => ({ text: kind.replace('-', ' '), collapsed: true, items: folderLinks(docs, `${route}/${kind}`) })),
    })),
  };
}
