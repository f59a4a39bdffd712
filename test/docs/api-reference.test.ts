/**
 * docs/api is generated from the TSDoc of the package's two entry points
 * (typedoc.json, `npm run docs:api`) and committed; this regenerates it into a
 * temporary folder and fails when the committed copy differs, so the
 * reference never lags the code.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { PACKAGE_ROOT } from '../../lib/paths';

const COMMITTED = join(PACKAGE_ROOT, 'docs', 'api');
const fresh = mkdtempSync(join(tmpdir(), 'schemaguard-docs-'));
afterAll(() => rmSync(fresh, { recursive: true, force: true }));

function files(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name).slice(dir.length + 1))
    .sort();
}

/**
 * typedoc over the whole source: 54 s alone on a slow day with a test run beside
 * it, past the suite's 60 s default, so the test has its own limit.
 */
const TYPEDOC_MS = 170_000;

describe('docs/api', () => {
  it(
    'is what `npm run docs:api` generates from the current sources (run it and commit docs/api when this fails)',
    () => {
      const typedoc = join(PACKAGE_ROOT, 'node_modules', 'typedoc', 'bin', 'typedoc');
      const r = spawnSync(process.execPath, [typedoc, '--out', fresh, '--logLevel', 'Warn'], { cwd: PACKAGE_ROOT, encoding: 'utf8', timeout: TYPEDOC_MS });
      expect(r.status, r.stdout + r.stderr).toBe(0);
      // Every type the API names is documented too (typedoc warns about the ones it would leave out).
      expect(`${r.stdout}${r.stderr}`).not.toMatch(/warning/i);
      expect(files(COMMITTED)).toEqual(files(fresh));
      const stale = files(fresh).filter((f) => readFileSync(join(fresh, f), 'utf8') !== readFileSync(join(COMMITTED, f), 'utf8'));
      expect(stale, 'stale pages: run npm run docs:api').toEqual([]);
    },
    TYPEDOC_MS + 10_000,
  );

  it('documents both entry points, under their import names', () => {
    const index = readFileSync(join(COMMITTED, 'README.md'), 'utf8');
    expect(index).toContain('[schemaguard](schemaguard/README.md)');
    expect(index).toContain('[schemaguard/engine](schemaguard/engine/README.md)');
    expect(files(COMMITTED)).toEqual(expect.arrayContaining(['schemaguard/classes/SchemaMigrations.md', 'schemaguard/engine/functions/migrate.md']));
  });
});
