/** The run's temporary directory (test/support/global-setup.ts): what the tests and their processes write goes there. */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { App } from 'aws-cdk-lib';
import { describe, expect, it } from 'vitest';
import { removeStaleRuns, runTempParent } from './global-setup';

describe("the test run's temporary directory", () => {
  it("is this worker's TMPDIR, of the run, writable by all and sticky like /tmp", () => {
    expect(basename(tmpdir())).toMatch(/^schemaguard-test-run-/);
    expect(statSync(tmpdir()).mode & 0o7777).toBe(0o1777);
  });

  it('is where a process a test starts writes, and where an App without an outdir synthesises', () => {
    const child = execFileSync(process.execPath, ['-e', 'process.stdout.write(require("node:os").tmpdir())']).toString();
    expect(child).toBe(tmpdir());
    expect(dirname(new App().outdir)).toBe(tmpdir());
  });
});

describe("where the run's directory goes (runTempParent)", () => {
  const roomy = mkdtempSync(join(tmpdir(), 'shm-'));

  it('is SCHEMAGUARD_TEST_TMPDIR when set', () => {
    expect(runTempParent({ SCHEMAGUARD_TEST_TMPDIR: '/var/tmp' }, roomy, 0)).toBe('/var/tmp');
  });

  it('is the memory-backed directory when it is writable with the room asked for', () => {
    expect(runTempParent({}, roomy, 0)).toBe(roomy);
  });

  it("is the system's temporary directory when that directory lacks the room, or is missing", () => {
    expect(runTempParent({}, roomy, Number.MAX_SAFE_INTEGER)).toBe(tmpdir());
    expect(runTempParent({}, join(roomy, 'missing'), 0)).toBe(tmpdir());
  });

  it('removes the directories of runs started over a day ago, and nothing else', () => {
    const parent = mkdtempSync(join(tmpdir(), 'runs-'));
    const now = Date.now();
    const make = (name: string, ageMs: number) => {
      const dir = join(parent, name);
      mkdirSync(dir);
      writeFileSync(join(dir, 'f'), 'x');
      utimesSync(dir, (now - ageMs) / 1000, (now - ageMs) / 1000);
      return dir;
    };
    const killed = make('schemaguard-test-run-aaaaaa', 25 * 3600_000);
    const running = make('schemaguard-test-run-bbbbbb', 3600_000);
    const other = make('someone-else-cccccc', 48 * 3600_000);
    removeStaleRuns(parent, now);
    expect([existsSync(killed), existsSync(running), existsSync(other)]).toEqual([false, true, true]);
  });
});
