/** runAsProcess: how the CLI's process ends (a real child process). */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../../support/cli';

/** Runs `runAsProcess(<main>)` in a fresh Node.js; its output and exit code. */
function child(mainSource: string): Promise<{ stdout: string; stderr: string; code: number | null }> {
  const module = JSON.stringify(join(ROOT, 'bin', 'cli', 'run-cli.ts'));
  const source = `import { runAsProcess } from ${module};\nrunAsProcess(${mainSource});`;
  return new Promise((resolve, reject) => {
    const c = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', source], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    const text = { stdout: '', stderr: '' };
    c.stdout.on('data', (d) => {
      text.stdout += d;
    });
    c.stderr.on('data', (d) => {
      text.stderr += d;
    });
    c.on('error', reject);
    c.on('close', (code) => resolve({ ...text, code }));
  });
}

describe('Function: runAsProcess', () => {
  it('exits with the code main returns', async () => {
    const r = await child(`async () => { process.stdout.write('done\\n'); return 3; }`);

    expect(r).toMatchObject({ code: 3, stdout: 'done\n' });
  });

  // Regression: a command awaiting an event that never came (the embedded server's stop after a failed start) ended the process with 0.
  it('exits 1 with an internal error when main never settles and nothing is left to wait for', async () => {
    const r = await child(`() => { process.stderr.write('started\\n'); return new Promise(() => {}); }`);

    expect(r.code).toBe(1);
    expect(r.stderr).toBe('started\nschemaguard: internal error: the command stopped without finishing (it waited for something that never happened)\n');
  });

  it('does not cut a command that is still waiting for a timer', async () => {
    const r = await child(`() => new Promise((resolve) => setTimeout(() => resolve(0), 300))`);

    expect(r.code).toBe(0);
  });
});
