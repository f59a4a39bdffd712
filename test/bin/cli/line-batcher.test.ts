/**
 * stderr's progress lines in batches: a line after a quiet spell goes out at
 * once, the lines that follow it closely go out together when the interval
 * is up, nothing is lost or reordered, and held lines reach the reader when
 * the process exits or is interrupted (a real child process).
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { LineBatcher } from '../../../bin/cli/line-batcher';
import { ROOT } from '../../support/cli';

describe('LineBatcher', () => {
  let clock = 0;
  let writes: string[] = [];
  const batcher = (maxHeld?: number) =>
    new LineBatcher(
      (t) => {
        writes.push(t);
      },
      50,
      () => clock,
      maxHeld,
    );

  beforeEach(() => {
    vi.useFakeTimers();
    clock = 1000;
    writes = [];
  });
  afterEach(() => {
    vi.useRealTimers();
  });
  const advance = (ms: number) => {
    clock += ms;
    vi.advanceTimersByTime(ms);
  };

  it('writes a line after a quiet spell at once, and holds the ones that follow closely until the interval is up', () => {
    const b = batcher();

    b.line('a\n');
    advance(10);
    b.line('b\n');
    b.line('c\n');
    const beforeInterval = [...writes];
    advance(39);
    const justBefore = [...writes];
    advance(1);

    expect(beforeInterval).toEqual(['a\n']);
    expect(justBefore).toEqual(['a\n']);
    expect(writes).toEqual(['a\n', 'b\nc\n']);
  });

  it('writes at once again once nothing was written for the interval', () => {
    const b = batcher();

    b.line('a\n');
    advance(60);
    b.line('b\n');

    expect(writes).toEqual(['a\n', 'b\n']);
  });

  it('a steady stream of lines goes out in one write per interval, in order', () => {
    const b = batcher();

    for (let k = 0; k < 100; k++) {
      b.line(`${k}\n`);
      advance(2);
    }
    advance(50);

    expect(writes.join('')).toBe(Array.from({ length: 100 }, (_, k) => `${k}\n`).join(''));
    expect(writes.length).toBeLessThanOrEqual(6);
  });

  it('flush writes what is held now, and nothing when nothing is', () => {
    const b = batcher();

    b.line('a\n');
    b.line('b\n');
    b.flush();
    b.flush();
    advance(100);

    expect(writes).toEqual(['a\n', 'b\n']);
  });

  it('writes at once when more than maxHeld characters are held', () => {
    const b = batcher(10);

    b.line('first\n');
    b.line('12345\n');
    b.line('67890\n');

    expect(writes).toEqual(['first\n', '12345\n67890\n']);
  });
});

/** Runs `script` (TypeScript, with `LineBatcher` and `flushOnExit` in scope) in a fresh Node.js; its stderr and how it ended. */
function child(script: string): Promise<{ stderr: string; code: number | null; signal: NodeJS.Signals | null }> {
  const module = JSON.stringify(join(ROOT, 'bin', 'cli', 'line-batcher.ts'));
  const source = `import { LineBatcher, flushOnExit } from ${module};\n${script}`;
  return new Promise((resolve, reject) => {
    const c = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', source], { cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    c.stderr.on('data', (d) => {
      stderr += d;
    });
    c.on('error', reject);
    c.on('close', (code, signal) => resolve({ stderr, code, signal }));
  });
}

/** A batcher whose held lines would wait a minute: only a flush lets them out. */
const HOLDING = `const b = new LineBatcher((t) => process.stderr.write(t), 60_000);
flushOnExit(b);
b.line('first\\n'); b.line('held 1\\n'); b.line('held 2\\n');`;

describe('flushOnExit, in a child process', () => {
  it('SIGTERM: the held lines are written, then the process ends by the signal', async () => {
    const r = await child(`${HOLDING}\nsetInterval(() => {}, 1000); process.kill(process.pid, 'SIGTERM');`);

    expect(r.stderr).toBe('first\nheld 1\nheld 2\n');
    expect(r.signal).toBe('SIGTERM');
  }, 30_000);

  it("SIGINT with another listener (the embedded server's clean-up): the lines are written and that listener decides how the process ends", async () => {
    const r = await child(`${HOLDING}\nprocess.on('SIGINT', () => process.exit(130)); setInterval(() => {}, 1000); process.kill(process.pid, 'SIGINT');`);

    expect(r.stderr).toBe('first\nheld 1\nheld 2\n');
    expect(r.code).toBe(130);
    expect(r.signal).toBeNull();
  }, 30_000);

  it('process.exit and running out of work: the held lines are written', async () => {
    const exited = await child(`${HOLDING}\nprocess.exit(3);`);
    const ended = await child(HOLDING);

    expect(exited).toEqual({ stderr: 'first\nheld 1\nheld 2\n', code: 3, signal: null });
    expect(ended).toEqual({ stderr: 'first\nheld 1\nheld 2\n', code: 0, signal: null });
  }, 30_000);
});
