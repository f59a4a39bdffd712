/**
 * `vitepress build docs`, as `npm run docs:build` runs it after generating
 * the reference: the site builds, with its search index, and the build's
 * own checks pass — VitePress refuses a link to a page that is not there,
 * and docs/.vitepress/link-check.ts a link to an anchor that is not.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { PACKAGE_ROOT } from '../../lib/paths';

const out = mkdtempSync(join(tmpdir(), 'schemaguard-site-'));
afterAll(() => rmSync(out, { recursive: true, force: true }));

/** About 45 s of CPU (measured alone: 42–50 s); on a loaded 2-core machine the wall time is several times that (4 min at load average 20). */
const BUILD_MS = 600_000;

describe('the docs site', () => {
  it(
    'builds with no dead link or anchor, and with its search index',
    () => {
      const vitepress = join(PACKAGE_ROOT, 'node_modules', 'vitepress', 'bin', 'vitepress.js');
      const started = performance.now();
      const r = spawnSync(process.execPath, [vitepress, 'build', 'docs', '--outDir', out], { cwd: PACKAGE_ROOT, encoding: 'utf8', timeout: BUILD_MS });
      console.log(`[schemaguard tests] vitepress build: ${((performance.now() - started) / 1000).toFixed(1)} s`);
      expect(r.status, `${r.stdout}\n${r.stderr}`).toBe(0);
      for (const page of [
        'index.html',
        'guide/getting-started.html',
        'reference/cli/migrate.html',
        'reference/lint/index-not-concurrent.html',
        'api/schemaguard/classes/SchemaMigrations.html',
      ]) {
        expect(existsSync(join(out, page)), page).toBe(true);
      }
      expect(readdirSync(join(out, 'assets', 'chunks')).some((f) => f.startsWith('@localSearchIndex'))).toBe(true);
    },
    BUILD_MS + 10_000,
  );
});
