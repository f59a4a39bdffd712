/**
 * Telling a stale postmaster.pid from a live postmaster's
 * (bin/cli/embedded-postmaster.ts): after a reboot, a stale file may name a
 * live, unrelated process; only a start before the boot proves it stale.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { startedBeforeBoot } from '../../../bin/cli/embedded-postmaster';
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
