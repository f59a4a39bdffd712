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

export function mustSucceed<R extends ProcResult>(what: string, r: R): R {
  if (r.code !== 0) throw new Error(`${what} exited with ${r.code}: ${(r.stderr || r.stdout).slice(-2000)}`);
  return r;
}

/** `/usr/bin/time` (Debian package `time`): reports a process's peak resident memory. */
export const TIME = '/usr/bin/time';

export interface MeasuredProc extends ProcResult {
  /** Peak resident set size of the process, in MB (ru_maxrss). */
  rssMb: number;
}

/** Run a whole process under `/usr/bin/time` and return its result with its peak RSS. */
export async function measureProcess(cmd: string, args: string[], options: { env?: NodeJS.ProcessEnv; cwd?: string; timeoutMs?: number } = {}): Promise<MeasuredProc> {
  const marker = 'schemaguard-bench-rss-kb=';
  const r = await timeProcess(TIME, ['-f', `${marker}%M`, cmd, ...args], options);
  const at = r.stderr.lastIndexOf(marker);
  if (at < 0) throw new Error(`${TIME} reported no peak memory for ${cmd}: ${r.stderr.slice(-500)}`);
  const kb = Number(r.stderr.slice(at + marker.length).trim().split('\n')[0]);
  return { ...r, stderr: r.stderr.slice(0, at), rssMb: kb / 1024 };
}
