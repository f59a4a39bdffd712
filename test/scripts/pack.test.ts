/**
 * `npm run tarball` (scripts/pack.mjs) packs from a staging folder: on a
 * small package of its own, the tarball has the files npm would pack and the
 * manifest without scripts, and the working tree is only read, also when the
 * pack is interrupted (SIGINT, or killed outright). And the repository's
 * package data: `repository` in the form the registry's page resolves the
 * README's relative links against, the same repository README.md and the
 * install guide name, and tarballs kept out of git.
 */
import { spawn, spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PACKAGE_ROOT } from '../../lib/paths';
import { packStaged } from '../../scripts/pack.mjs';
import { tempDir } from '../support/files';

const MANIFEST = {
  name: 'tiny',
  version: '1.0.0',
  files: ['lib/'],
  scripts: { prepare: 'node scripts/build.mjs', prepack: 'exit 1' },
};

/** A package of its own: a manifest with scripts (its prepack refuses, as the repository's does), a file it ships, one it does not. */
const tinyPackage = () =>
  tempDir(
    {
      'package.json': `${JSON.stringify(MANIFEST, null, 2)}\n`,
      'lib/index.js': 'module.exports = 1;\n',
      'README.md': '# tiny\n',
      'notes.txt': 'not shipped\n',
    },
    'pack',
  );

/** Every file under `dir` with its text: what "untouched" compares. */
function contents(dir: string): Record<string, string> {
  return Object.fromEntries(
    readdirSync(dir, { recursive: true, withFileTypes: true })
      .filter((e) => e.isFile())
      .map((e) => [join(e.parentPath, e.name).slice(dir.length + 1), readFileSync(join(e.parentPath, e.name), 'utf8')]),
  );
}

/** `packStaged(root)` in a process of its own, its temporary directory `tmp` (where the staging folder is made). */
function packProcess(root: string, tmp: string, destination: string) {
  const code = `import(${JSON.stringify(join(PACKAGE_ROOT, 'scripts', 'pack.mjs'))}).then((m) => { m.packStaged(${JSON.stringify(root)}, ['--pack-destination', ${JSON.stringify(destination)}]).then((c) => { process.exitCode = c; }); })`;
  return spawn(process.execPath, ['-e', code], { env: { ...process.env, TMPDIR: tmp }, stdio: 'ignore' });
}

/** Resolves once a staging folder exists under `tmp` (the pack is under way), polling. */
async function staging(tmp: string): Promise<void> {
  for (const until = Date.now() + 60_000; Date.now() < until; await new Promise((r) => setTimeout(r, 10))) {
    if (readdirSync(tmp).some((f) => f.startsWith('schemaguard-pack-'))) return;
  }
  throw new Error('no staging folder appeared within 60 s');
}

describe('Function: packStaged', () => {
  it('packs the files npm would pack with the manifest without scripts, and leaves the working tree as it was', async () => {
    const root = tinyPackage();
    const destination = tempDir({}, 'tarballs');
    const before = contents(root);

    const code = await packStaged(root, ['--pack-destination', destination]);

    expect(code).toBe(0);
    const tarball = join(destination, 'tiny-1.0.0.tgz');
    const listed = spawnSync('tar', ['-tzf', tarball], { encoding: 'utf8' }).stdout.trim().split('\n').sort();
    expect(listed).toEqual(['package/README.md', 'package/lib/index.js', 'package/package.json']);
    const manifest = JSON.parse(spawnSync('tar', ['-xzOf', tarball, 'package/package.json'], { encoding: 'utf8' }).stdout);
    expect(manifest).toEqual({ name: 'tiny', version: '1.0.0', files: ['lib/'] });
    expect(contents(root)).toEqual(before);
  });

  it.each(['SIGINT', 'SIGKILL'] as const)(
    'interrupted by %s while it packs, leaves the working tree as it was (and SIGINT its staging folder gone)',
    async (signal) => {
      const root = tinyPackage();
      const tmp = tempDir({}, 'pack-tmp');
      const before = contents(root);

      const child = packProcess(root, tmp, tempDir({}, 'tarballs'));
      const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
      await staging(tmp);
      child.kill(signal);
      const code = await exited;

      expect(contents(root)).toEqual(before);
      if (signal === 'SIGINT') {
        expect(code).toBe(130);
        expect(readdirSync(tmp)).toEqual([]);
      }
    },
  );
});

describe("The repository's package data", () => {
  const pkg = JSON.parse(readFileSync(join(PACKAGE_ROOT, 'package.json'), 'utf8')) as { repository: { type: string; url: string } };

  it("names its GitHub repository as npm documents it (the registry resolves the README's relative links against it), and README.md and the install guide name the same one", () => {
    expect(pkg.repository.type).toBe('git');
    const [, owner, name] = /^git\+https:\/\/github\.com\/([\w.-]+)\/([\w.-]+)\.git$/.exec(pkg.repository.url) ?? [];
    expect(owner, pkg.repository.url).toBeDefined();
    const named = ['README.md', 'docs/guide/install.md'].flatMap((f) =>
      [...readFileSync(join(PACKAGE_ROOT, f), 'utf8').matchAll(/github(?::|\.com\/)([^/\s`#]+)\/schemaguard/g)].map((m) => `${f}: ${m[1]}`),
    );
    expect(named.length).toBeGreaterThan(0);
    for (const n of named) expect(n.endsWith(`: ${owner}`), n).toBe(true);
    expect(name).toBe('schemaguard');
  });

  it('keeps packed tarballs out of git', () => {
    expect(readFileSync(join(PACKAGE_ROOT, '.gitignore'), 'utf8').split('\n')).toContain('*.tgz');
  });
});
