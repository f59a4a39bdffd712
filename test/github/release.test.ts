/**
 * The release workflow: a version tag runs the tests, then packs, publishes
 * the packed tarball with provenance, and attaches it to the GitHub release;
 * its shell lines do what they say on this repository.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { ROOT } from '../support/cli';
import { tempDir } from '../support/files';

interface Step {
  name?: string;
  run?: string;
  uses?: string;
  with?: Record<string, unknown>;
  env?: Record<string, string>;
}
const workflow = parse(readFileSync(join(ROOT, '.github/workflows/release.yml'), 'utf8')) as {
  on: { push: { tags: string[] } };
  permissions: Record<string, string>;
  jobs: { release: { steps: Step[] } };
};
const steps = workflow.jobs.release.steps;
const at = (text: string) => steps.findIndex((s) => (s.run ?? s.uses ?? '').includes(text));
const version = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).version as string;

/** `script` run by bash as a step runs it, with GITHUB_REF_NAME the tag, in `cwd`. */
const bash = (script: string, cwd: string, tag: string) =>
  execFileSync('bash', ['-e', '-c', script], { cwd, encoding: 'utf8', env: { ...process.env, GITHUB_REF_NAME: tag } });

describe('GitHub workflow: .github/workflows/release.yml', () => {
  it('runs on a version tag, and may sign (provenance) and write the release', () => {
    expect(workflow.on.push.tags).toEqual(['v*']);
    expect(workflow.permissions).toEqual({ contents: 'write', 'id-token': 'write' });
  });

  it('tests, then packs, then publishes the packed tarball with provenance, then attaches it to the release', () => {
    expect(at('npm ci')).toBeGreaterThan(at('actions/setup-node'));
    expect(at('npm test')).toBeGreaterThan(at('npm ci'));
    expect(at('npm run tarball')).toBeGreaterThan(at('npm test'));
    const publish = steps[at('npm publish')]!;
    expect(at('npm publish')).toBeGreaterThan(at('npm run tarball'));
    expect(publish.run).toBe('npm publish "schemaguard-${GITHUB_REF_NAME#v}.tgz" --provenance --access public');
    expect(publish.env?.NODE_AUTH_TOKEN).toBe('${{ secrets.NPM_TOKEN }}');
    expect(steps.find((s) => s.uses?.startsWith('actions/setup-node'))!.with?.['registry-url']).toBe('https://registry.npmjs.org');
    expect(at('gh release create')).toBeGreaterThan(at('npm publish'));
  });

  it("names the tarball npm run tarball writes for the tag, and refuses a tag that is not the package's version", () => {
    expect(bash('echo "schemaguard-${GITHUB_REF_NAME#v}.tgz"', ROOT, `v${version}`).trim()).toBe(`schemaguard-${version}.tgz`);
    const check = steps.find((s) => s.name === "The tag is the package's version")!.run!;
    expect(() => bash(check, ROOT, `v${version}`)).not.toThrow();
    expect(() => bash(check, ROOT, 'v9.9.9')).toThrow();
  });

  it("takes the release notes from the version's section of CHANGELOG.md", () => {
    const dir = tempDir({ 'CHANGELOG.md': '# Changelog\n\n## 1.2.0 — 2026-01-01\n\n### Added\n- a thing\n\n## 1.1.0\n\n- older\n' });
    const script = steps[at('gh release create')]!.run!.split('\n')[0]!;
    bash(script, dir, 'v1.2.0');
    expect(readFileSync(join(dir, 'release-notes.md'), 'utf8')).toBe('\n### Added\n- a thing\n\n');
  });
});
