/** The site's sidebar is read from the files: a page added to a folder needs no config edit. */
import { describe, expect, it } from 'vitest';
import { folderGroup, folderLinks, groupedLinks, pageInfo } from '../../docs/.vitepress/sidebar';
import { tempDir } from '../support/files';

describe('Function: pageInfo', () => {
  it("takes the front matter's title and order, else the first H1, else the file name", () => {
    expect(pageInfo('---\ntitle: "The runner lock"\norder: 5\n---\n# Lock\n', 'lock.md')).toEqual({ title: 'The runner lock', order: 5 });
    expect(pageInfo('Intro\n\n# Adopting an `existing` database {#adopting}\n\n## Later\n', 'a.md')).toEqual({
      title: 'Adopting an existing database',
      order: Number.POSITIVE_INFINITY,
    });
    expect(pageInfo('no heading here\n', 'notes.md')).toEqual({ title: 'notes', order: Number.POSITIVE_INFINITY });
    expect(pageInfo('---\ntitle: Lint\norder: 8\ngroup: Checks and CI\n---\n', 'lint.md')).toEqual({ title: 'Lint', order: 8, group: 'Checks and CI' });
  });
});

describe('Function: folderLinks', () => {
  it('lists every page of the folder, index first, then by order, then by title; parts and hidden files are not pages', () => {
    const docs = tempDir({
      'guide/index.md': '# Guide\n',
      'guide/zeta.md': '---\norder: 1\n---\n# Zeta first\n',
      'guide/roles.md': '# Roles\n',
      'guide/iam.md': '# IAM policies\n',
      'guide/_part.md': '# A part\n',
      'guide/.draft.md': '# Draft\n',
      'guide/notes.txt': 'not a page',
    });
    expect(folderLinks(docs, 'guide')).toEqual([
      { text: 'Guide', link: '/guide/' },
      { text: 'Zeta first', link: '/guide/zeta' },
      { text: 'IAM policies', link: '/guide/iam' },
      { text: 'Roles', link: '/guide/roles' },
    ]);
  });

  it("a group links its folder's index and lists the other pages; a folder that is not there is empty", () => {
    const docs = tempDir({ 'reference/cli/index.md': '# CLI\n', 'reference/cli/migrate.md': '# schemaguard migrate\n' });
    expect(folderGroup(docs, 'reference/cli', 'CLI', true)).toEqual({
      text: 'CLI',
      link: '/reference/cli/',
      collapsed: true,
      items: [{ text: 'schemaguard migrate', link: '/reference/cli/migrate' }],
    });
    expect(folderLinks(docs, 'guide')).toEqual([]);
  });
});

describe('Function: groupedLinks', () => {
  it("groups pages by their front matter in the order given; a page of no group or of an unknown one goes last, under the others' heading", () => {
    const docs = tempDir({
      'guide/start.md': '---\ngroup: Start\norder: 1\n---\n# Getting started\n',
      'guide/lock.md': '---\ngroup: Migrations\n---\n# The runner lock\n',
      'guide/roles.md': '# Roles\n',
      'guide/odd.md': '---\ngroup: Elsewhere\n---\n# Odd\n',
    });
    expect(groupedLinks(docs, 'guide', ['Start', 'Checks', 'Migrations'], 'More guides')).toEqual([
      { text: 'Start', items: [{ text: 'Getting started', link: '/guide/start' }] },
      { text: 'Migrations', items: [{ text: 'The runner lock', link: '/guide/lock' }] },
      {
        text: 'More guides',
        items: [
          { text: 'Odd', link: '/guide/odd' },
          { text: 'Roles', link: '/guide/roles' },
        ],
      },
    ]);
  });
});
