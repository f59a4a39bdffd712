/**
 * The lock on `.schemaguard/` across processes (bin/cli/embedded-lock.ts):
 * one holder at a time, also when several processes find a stale lock (its
 * holder killed) at the same moment and break it together.
 */
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { acquireLock } from '../../../bin/cli/embedded-lock';
import { ROOT } from '../../support/cli';
import { tempDir } from '../../support/files';

/** A pid no process has now: one that just exited. */
function deadPid(): number {
  return Number(execFileSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' }));
}

/** Each child waits for `startAt`, takes the lock, notes when it held it, holds it `holdMs`, lets go. */
const CHILD = `
import { appendFileSync } from 'node:fs';
import { acquireLock } from ${JSON.stringify(join(ROOT, 'bin', 'cli', 'embedded-lock.ts'))};
const [lockPath, logPath, startAt, holdMs] = process.argv.slice(2);
while (Date.now() < Number(startAt)) await new Promise((r) => setTimeout(r, 1));
const lock = await acquireLock(lockPath, { timeoutMs: 60_000 });
const entered = performance.timeOrigin + performance.now();
await new Promise((r) => setTimeout(r, Number(holdMs)));
const left = performance.timeOrigin + performance.now();
lock.release();
appendFileSync(logPath, JSON.stringify({ pid: process.pid, entered, left }) + '\\n');
`;

function runChild(script: string, args: string[]): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', script, ...args], { cwd: ROOT, stdio: ['ignore', 'ignore', 'inherit'] });
    child.on('error', reject);
    child.on('exit', (code) => resolve(code ?? -1));
  });
}

describe('Function: acquireLock', () => {
  it('breaks a lock whose holder is gone, and takes it', async () => {
    const lockPath = join(tempDir({}), 'lock');
    writeFileSync(lockPath, `${deadPid()} 1 stale\n`);
    const lock = await acquireLock(lockPath, { timeoutMs: 5_000 });
    expect(readFileSync(lockPath, 'utf8')).toMatch(new RegExp(`^${process.pid} `));
    lock.release();
    expect(existsSync(lockPath)).toBe(false);
    expect(existsSync(`${lockPath}.break`)).toBe(false);
  });

  it('waits while a live process holds it, naming its pid', async () => {
    const lockPath = join(tempDir({}), 'lock');
    const first = await acquireLock(lockPath);
    const waited: number[] = [];
    const second = acquireLock(lockPath, { onWait: (pid) => waited.push(pid) });
    await new Promise((r) => setTimeout(r, 200));
    first.release();
    (await second).release();
    expect(waited).toEqual([process.pid]);
  });

  it('removes a .break file its process left behind (killed while breaking), then breaks the stale lock', async () => {
    const lockPath = join(tempDir({}), 'lock');
    writeFileSync(lockPath, `${deadPid()} 1 stale\n`);
    writeFileSync(`${lockPath}.break`, `${deadPid()} 1\n`);
    (await acquireLock(lockPath, { timeoutMs: 5_000 })).release();
    expect(existsSync(`${lockPath}.break`)).toBe(false);
  });

  it('gives one holder at a time to 6 processes that find a stale lock together', async () => {
    const dir = tempDir({});
    const lockPath = join(dir, 'lock');
    const logPath = join(dir, 'held.jsonl');
    const script = join(dir, 'child.mts');
    writeFileSync(script, CHILD);
    writeFileSync(lockPath, `${deadPid()} 1 stale\n`);
    const startAt = Date.now() + 2_500;
    const codes = await Promise.all(Array.from({ length: 6 }, () => runChild(script, [lockPath, logPath, String(startAt), '40'])));
    expect(codes).toEqual([0, 0, 0, 0, 0, 0]);
    const held = readFileSync(logPath, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { pid: number; entered: number; left: number })
      .sort((a, b) => a.entered - b.entered);
    expect(held).toHaveLength(6);
    for (let k = 1; k < held.length; k++)
      expect(held[k]!.entered, `pid ${held[k]!.pid} took the lock while pid ${held[k - 1]!.pid} held it`).toBeGreaterThanOrEqual(held[k - 1]!.left);
    expect(existsSync(lockPath)).toBe(false);
  });
});
