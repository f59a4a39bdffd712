/**
 * The run's initdb and its signals (bin/cli/embedded-initdb.ts): a SIGINT,
 * SIGTERM or SIGHUP to the run ends its initdb, also when the signal comes
 * before the run's 10 ms poll has found it. Linux (/proc), as the code.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../../support/cli';
import { tempDir } from '../../support/files';

/**
 * A run whose "initdb" (a Node process whose command line names the staging
 * directory, as initdb's does) is spawned, and the signal delivered to the
 * run's listeners in the same tick: before any poll. It prints the stand-in's
 * pid, then ends by the signal as the CLI does.
 */
const RUN = `
import { spawn } from 'node:child_process';
import { withRecordedInitdb } from ${JSON.stringify(join(ROOT, 'bin', 'cli', 'embedded-initdb.ts'))};
const [staging, record, signal] = process.argv.slice(1);
process.on(signal, () => process.exit(128 + 15));
await withRecordedInitdb(staging, record, async () => {
  const initdb = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)', '--', '--pgdata=' + staging], { stdio: 'ignore', detached: true });
  process.stdout.write(initdb.pid + '\\n');
  process.emit(signal, signal);
  await new Promise((r) => setTimeout(r, 30_000));
});
`;

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function gone(pid: number, timeoutMs: number): Promise<boolean> {
  const until = Date.now() + timeoutMs;
  while (alive(pid)) {
    if (Date.now() > until) return false;
    await new Promise((r) => setTimeout(r, 20));
  }
  return true;
}

describe.runIf(process.platform === 'linux')('Function: withRecordedInitdb', () => {
  // Regression: a signal within the first poll (10 ms) of initdb's spawn ended the run and left initdb writing data.init.
  // SIGINT and SIGHUP take the same listener (one loop registers all three).
  it.each(['SIGTERM'])('%s before the poll has found initdb: initdb is ended with the run', async (signal) => {
    const dir = tempDir({});
    const run = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', RUN, '--', join(dir, 'data.init'), join(dir, 'initdb'), signal], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    run.stdout.on('data', (d) => {
      out += d;
    });
    const code = await new Promise<number | null>((r) => run.on('exit', r));
    const initdb = Number(out.trim());
    expect(initdb).toBeGreaterThan(0);
    try {
      expect(code).toBe(143);
      expect(await gone(initdb, 5_000), `initdb stand-in ${initdb} still runs`).toBe(true);
    } finally {
      if (alive(initdb)) process.kill(initdb, 'SIGKILL');
    }
  });
});
