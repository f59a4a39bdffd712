/** The run's temporary directory (test/support/global-setup.ts): what the tests and their processes write goes there. */
import { execFileSync } from 'node:child_process';
import { statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname } from 'node:path';
import { App } from 'aws-cdk-lib';
import { describe, expect, it } from 'vitest';

describe('the test run\'s temporary directory', () => {
  it('is this worker\'s TMPDIR, of the run, writable by all and sticky like /tmp', () => {
    expect(basename(tmpdir())).toMatch(/^schemaguard-test-run-/);
    expect(statSync(tmpdir()).mode & 0o7777).toBe(0o1777);
  });

  it('is where a process a test starts writes, and where an App without an outdir synthesises', () => {
    const child = execFileSync(process.execPath, ['-e', 'process.stdout.write(require("node:os").tmpdir())']).toString();
    expect(child).toBe(tmpdir());
    expect(dirname(new App().outdir)).toBe(tmpdir());
  });
});
