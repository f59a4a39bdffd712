/** The built site's internal links: a missing page or a missing anchor is reported, links that leave the site are not read. */
import { describe, expect, it } from 'vitest';
import { brokenLinks } from '../../docs/.vitepress/link-check';
import { tempDir } from '../support/files';

const html = (body: string) => `<!doctype html><html><body>${body}</body></html>`;

describe('Function: brokenLinks', () => {
  it('finds a link to a page that is not there and an anchor no element of its page has; the rest passes', () => {
    const site = tempDir(
      {
        'index.html': html(
          '<a href="/guide/lock.html#waiting">ok</a> <a href="/guide/lock.html#gone">renamed</a> <a href="/guide/nope.html">missing</a> <a href="https://example.com/x#y">away</a> <a href="mailto:a@b">mail</a>',
        ),
        'guide/lock.html': html(
          '<h2 id="waiting">Waiting</h2><a href="#waiting">self</a> <a href="./cli.html#flags">rel</a> <a href="../">home</a> <a href="#missing-here">bad</a>',
        ),
        'guide/cli.html': html('<h2 id="flags">Flags</h2><a href="lock#waiting">clean url</a>'),
      },
      'site',
    );
    expect(brokenLinks(site)).toEqual([
      'guide/lock.html: #missing-here (no #missing-here on guide/lock.html)',
      'index.html: /guide/lock.html#gone (no #gone on guide/lock.html)',
      'index.html: /guide/nope.html (no page guide/nope.html)',
    ]);
  });

  it('reads anchors as a browser does: percent-encoded in the link, entities in the id', () => {
    const site = tempDir({ 'a.html': html('<h2 id="what-&quot;plan&quot;-shows">x</h2><a href="#what-%22plan%22-shows">y</a>') }, 'site');
    expect(brokenLinks(site)).toEqual([]);
  });

  it("strips the site's base from absolute links", () => {
    const site = tempDir({ 'index.html': html('<a href="/schemaguard/b.html#x">b</a>'), 'b.html': html('<p id="x"></p>') }, 'site');
    expect(brokenLinks(site, '/schemaguard/')).toEqual([]);
  });
});
