/**
 * Telling a live postmaster from a process that took the pid of one that is
 * gone (bin/cli/embedded-postmaster.ts): after a reboot or a container
 * restart, a stale postmaster.pid may name a live, unrelated process.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { isOtherProcess } from '../../../bin/cli/embedded-postmaster';
import { tempDir } from '../../support/files';

const started: ChildProcess[] = [];
afterEach(() => {
  for (const child of started.splice(0)) child.kill('SIGKILL');
});

/** A live process that is not a postmaster, working in `cwd`. */
function sleeper(cwd: string): number {
  const child = spawn('sleep', ['600'], { cwd, stdio: 'ignore' });
  started.push(child);
  return child.pid!;
}

describe('Function: isOtherProcess', () => {
  it('is true for a live process of the same user that does not work in the data directory', () => {
    const dataDir = tempDir({}, 'data');
    const pid = sleeper(tempDir({}, 'elsewhere'));

    expect(existsSync(`/proc/${pid}`), 'this test reads /proc (Linux)').toBe(true);
    expect(isOtherProcess(pid, dataDir)).toBe(true);
  });

  it('is false for a process working in the data directory, as a postmaster does', () => {
    const dataDir = tempDir({}, 'data');
    const pid = sleeper(dataDir);

    expect(existsSync(`/proc/${pid}`), 'this test reads /proc (Linux)').toBe(true);
    expect(isOtherProcess(pid, dataDir)).toBe(false);
  });
});
