/**
 * `npm ci` accepts package-lock.json, as a fresh clone, this repository's
 * workflows and most users' CI run it. npm 11 refuses a lock file that lacks
 * an entry for any dependency a locked package declares, optional platform
 * packages of other machines included ("Missing: @dbmate/darwin-arm64@ from
 * lock file"); npm 10 let that pass. A lock resolved where a platform's
 * package was not found is written without it, and `npm install` does not
 * add it back.
 *
 * Two checks, neither reaching the network: the rule itself, on the lock's
 * JSON (every declared dependency of every locked package resolves to an
 * entry, as Node's module resolution walks up the node_modules folders),
 * whichever npm is installed; and this machine's npm, `npm ci --dry-run
 * --offline` on a copy of package.json and the lock, which also catches a
 * package.json changed without its lock.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PACKAGE_ROOT } from '../../lib/paths';

interface LockedPackage {
  version?: string;
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
  link?: boolean;
}
type Lock = { packages: Record<string, LockedPackage> };

/** `name@` for every dependency a locked package declares that no entry serves, as npm 11 names them. */
function missingFromLock(lock: Lock): string[] {
  const missing = new Set<string>();
  for (const [path, entry] of Object.entries(lock.packages)) {
    const declared = { ...entry.dependencies, ...entry.optionalDependencies, ...(path === '' ? entry.devDependencies : {}) };
    for (const name of Object.keys(declared)) if (resolve(lock, path, name) === undefined) missing.add(`${name}@`);
  }
  return [...missing].sort();
}

/** The entry `name` resolves to from the package at `path`: its own node_modules, then each one above it. */
function resolve(lock: Lock, path: string, name: string): string | undefined {
  for (let from = path; ; from = from.replace(/\/?node_modules\/(@[^/]+\/)?[^/]+$/, '')) {
    const candidate = `${from ? `${from}/` : ''}node_modules/${name}`;
    if (candidate in lock.packages) return candidate;
    if (from === '') return undefined;
  }
}

const readLock = (): Lock => JSON.parse(readFileSync(join(PACKAGE_ROOT, 'package-lock.json'), 'utf8'));

describe('File: package-lock.json', () => {
  it("locks every dependency every locked package declares, other platforms' optional packages included", () => {
    expect(missingFromLock(readLock())).toEqual([]);
  });

  it('the rule finds what npm 11 named: a platform package left out, whether it is hoisted or nested', () => {
    const lock = readLock();
    delete lock.packages['node_modules/@dbmate/darwin-arm64'];
    lock.packages['node_modules/a'] = { version: '1.0.0', optionalDependencies: { b: '1.0.0', dbmate: '^2' } };
    lock.packages['node_modules/a/node_modules/c'] = { version: '1.0.0', dependencies: { d: '1.0.0', b: '1.0.0' } };
    lock.packages['node_modules/a/node_modules/b'] = { version: '1.0.0' };

    expect(missingFromLock(lock)).toEqual(['@dbmate/darwin-arm64@', 'd@']);
  });

  it("npm ci accepts it (this machine's npm, dry run, offline)", () => {
    const dir = mkdtempSync(join(tmpdir(), 'schemaguard-lock-'));
    try {
      for (const f of ['package.json', 'package-lock.json']) copyFileSync(join(PACKAGE_ROOT, f), join(dir, f));
      const r = spawnSync('npm', ['ci', '--dry-run', '--ignore-scripts', '--offline', '--no-audit', '--no-fund'], {
        cwd: dir,
        encoding: 'utf8',
        timeout: 120_000,
      });
      const version = spawnSync('npm', ['--version'], { encoding: 'utf8' }).stdout.trim();

      expect(r.status, `npm ${version} ci:\n${r.stdout}\n${r.stderr}`).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
