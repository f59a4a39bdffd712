/**
 * The places schemaguard's own messages and README send a reader in the
 * documentation exist: each pointer of DOCS_POINTERS names a guide page and
 * a heading it has, and every relative link of README.md and CONTRIBUTING.md
 * reaches a file (and, into a Markdown page, a heading).
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { headingAnchors, slugify } from '../../docs/.vitepress/anchors';
import { DOCS_POINTERS } from '../../lambda/engine/errors/docs-pointers';
import { PACKAGE_ROOT } from '../../lib/paths';

/** Why `target` (a path with an optional #anchor, from `from`'s folder) reaches nothing, or undefined when it reaches its page and heading. */
function unreachable(from: string, target: string): string | undefined {
  const [path = '', anchor] = target.split('#', 2) as [string, string | undefined];
  const file = path === '' ? from : join(dirname(from), decodeURIComponent(path));
  if (!existsSync(file)) return `no file ${relative(PACKAGE_ROOT, file)}`;
  if (anchor === undefined || !file.endsWith('.md')) return undefined;
  return headingAnchors(readFileSync(file, 'utf8')).has(anchor) ? undefined : `no heading #${anchor} in ${relative(PACKAGE_ROOT, file)}`;
}

describe('Constant: DOCS_POINTERS', () => {
  it.each(Object.entries(DOCS_POINTERS))('%s (%s) names a guide page and a heading it has', (_name, pointer) => {
    const m = /^docs (guide\/[a-z0-9-]+)(?:#([a-z0-9-]+))?$/.exec(pointer);
    expect(m, pointer).not.toBeNull();
    expect(unreachable(join(PACKAGE_ROOT, 'docs', 'x.md'), `${m![1]}.md${m![2] ? `#${m![2]}` : ''}`)).toBeUndefined();
  });
});

describe('README.md and CONTRIBUTING.md', () => {
  it.each(['README.md', 'CONTRIBUTING.md'])('%s: every relative link reaches a file, and its #anchor a heading', (name) => {
    const file = join(PACKAGE_ROOT, name);
    const links = [...readFileSync(file, 'utf8').matchAll(/\]\(([^)\s]+)\)/g)].map((m) => m[1]!).filter((l) => !/^[a-z]+:/i.test(l));
    expect(links.length).toBeGreaterThan(0);
    expect(links.map((l) => [l, unreachable(file, l)]).filter(([, why]) => why)).toEqual([]);
  });
});

describe('Function: slugify', () => {
  it("makes VitePress's anchors: lower case, punctuation and spaces to one dash, code marks gone", () => {
    expect(slugify('The role to grant')).toBe('the-role-to-grant');
    expect(slugify('Where to put DatabaseAlarms')).toBe('where-to-put-databasealarms');
    expect(slugify('What `DROP … CASCADE` would take'.replace(/`/g, ''))).toBe('what-drop-cascade-would-take');
    expect(headingAnchors('# A\n```sh\n# not a heading\n```\n## Plan: locks and table sizes\n### Custom {#own}\n')).toEqual(
      new Set(['a', 'plan-locks-and-table-sizes', 'own']),
    );
  });
});
