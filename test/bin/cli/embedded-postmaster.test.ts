/**
 * Telling a stale postmaster.pid from a live postmaster's
 * (bin/cli/embedded-postmaster.ts): after a reboot, a stale file may name a
 * live, unrelated process; only a start before the boot proves it stale.
 */
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isProcessAlive } from '../../../bin/cli/embedded-lock';
import { startedBeforeBoot, stopPostmasterSync } from '../../../bin/cli/embedded-postmaster';
import { tempDir } from '../../support/files';

const boot = Number(/^btime (\d+)$/m.exec(readFileSync('/proc/stat', 'utf8'))?.[1]);

/** A data directory whose postmaster.pid names this process, started at `startedAt` (epoch seconds). */
function pidFileStarted(startedAt: number): string {
  const dataDir = tempDir({}, 'data');
  writeFileSync(join(dataDir, 'postmaster.pid'), `${process.pid}\n${dataDir}\n${startedAt}\n5432\n/tmp\n127.0.0.1\n  0 0\nready   \n`);
  return dataDir;
}

describe('Function: startedBeforeBoot', () => {
  it('is true for a file whose postmaster started before this machine booted, whatever process has its pid now', () => {
    expect(boot, 'this test reads /proc/stat (Linux)').toBeGreaterThan(0);
    expect(startedBeforeBoot(pidFileStarted(boot - 60))).toBe(true);
  });

  it('is false for one started since the boot: a live pid may be its postmaster, seen from another pid namespace too', () => {
    expect(startedBeforeBoot(pidFileStarted(boot + 1))).toBe(false);
    expect(startedBeforeBoot(pidFileStarted(Math.floor(Date.now() / 1000)))).toBe(false);
  });

  it('is false when there is no file, or its start time is not a number', () => {
    expect(startedBeforeBoot(tempDir({}, 'data'))).toBe(false);
    const dataDir = tempDir({}, 'data');
    writeFileSync(join(dataDir, 'postmaster.pid'), `${process.pid}\n${dataDir}\nsoon\n`);
    expect(startedBeforeBoot(dataDir)).toBe(false);
  });
});

describe('Function: stopPostmasterSync', () => {
  /** A process that has set its SIGINT handler (a postmaster's is set some 30 ms before it writes postmaster.pid): `exits` on SIGINT, or lives on until its stdin closes. */
  async function startingPostmaster(onSigint: 'exits' | 'lives on') {
    const handler = onSigint === 'exits' ? 'process.exit(0)' : '{}';
    const child = spawn(process.execPath, ['-e', `process.on('SIGINT', () => ${handler}); process.stdin.resume(); process.stdout.write('set')`], {
      stdio: ['pipe', 'pipe', 'ignore'],
    });
    await new Promise((res) => child.stdout.once('data', res));
    return child;
  }

  // Regression: Ctrl-C between the postmaster's spawn and its postmaster.pid (PostgreSQL 18 then writes the file, opens its port and only then shuts down) found no file naming it, took it for gone, and let go of the folder's lock: the next run started a second postmaster, and one of them failed with "lock file "postmaster.pid" already exists".
  it('waits for a postmaster that has not written postmaster.pid yet to end, not for the file', async () => {
    const dataDir = tempDir({}, 'data');
    const child = await startingPostmaster('lives on');
    try {
      const stopped = stopPostmasterSync(dataDir, child.pid!, 300);

      expect(stopped).toBe(false);
      expect(isProcessAlive(String(child.pid))).toBe(true);
    } finally {
      child.kill('SIGKILL');
    }
  });

  it('is true once such a postmaster has ended', async () => {
    const dataDir = tempDir({}, 'data');
    const child = await startingPostmaster('exits');

    const stopped = stopPostmasterSync(dataDir, child.pid!, 20_000);

    expect(stopped).toBe(true);
    expect(isProcessAlive(String(child.pid))).toBe(false);
  });
});
