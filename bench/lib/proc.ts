/** Running a whole process and timing it, wall clock from spawn to exit. */
import { spawn } from 'node:child_process';

export interface ProcResult {
  code: number | null;
  ms: number;
  stdout: string;
  stderr: string;
}

export function timeProcess(cmd: string, args: string[], options: { env?: NodeJS.ProcessEnv; cwd?: string; timeoutMs?: number } = {}): Promise<ProcResult> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(cmd, args, { env: options.env ?? process.env, cwd: options.cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => { stdout += c.toString(); });
    child.stderr.on('data', (c: Buffer) => { stderr += c.toString(); });
    const timer = options.timeoutMs ? setTimeout(() => child.kill('SIGKILL'), options.timeoutMs) : undefined;
    child.on('error', reject);
    child.on('close', (code) => {
      if (timer) clearTimeout(timer);
      resolve({ code, ms: performance.now() - started, stdout, stderr });
    });
  });
}

export function mustSucceed(what: string, r: ProcResult): ProcResult {
  if (r.code !== 0) throw new Error(`${what} exited with ${r.code}: ${(r.stderr || r.stdout).slice(-2000)}`);
  return r;
}
