/** Running a whole process and timing it, wall clock from spawn to exit. */
import { spawn } from 'node:child_process';

/**
 * The Node.js that runs the measured processes (schemaguard, node-pg-migrate,
 * the Lambda imports): this one, or BENCH_NODE (another Node.js binary, e.g.
 * a newer major to compare start-up: `BENCH_NODE=/path/to/node npm run bench`).
 */
export const NODE = process.env.BENCH_NODE || process.execPath;

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
    child.stdout.on('data', (c: Buffer) => {
      stdout += c.toString();
    });
    child.stderr.on('data', (c: Buffer) => {
      stderr += c.toString();
    });
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
export async function measureProcess(
  cmd: string,
  args: string[],
  options: { env?: NodeJS.ProcessEnv; cwd?: string; timeoutMs?: number } = {},
): Promise<MeasuredProc> {
  const marker = 'schemaguard-bench-rss-kb=';
  const r = await timeProcess(TIME, ['-f', `${marker}%M`, cmd, ...args], options);
  const at = r.stderr.lastIndexOf(marker);
  if (at < 0) throw new Error(`${TIME} reported no peak memory for ${cmd}: ${r.stderr.slice(-500)}`);
  const kb = Number(
    r.stderr
      .slice(at + marker.length)
      .trim()
      .split('\n')[0],
  );
  return { ...r, stderr: r.stderr.slice(0, at), rssMb: kb / 1024 };
}

/** Median wall time of a bare `node -e 0` with `env`: the part of every Node process's time that is not the program's. */
export async function nodeStartMs(env: NodeJS.ProcessEnv, runs = 7): Promise<number> {
  const samples: number[] = [];
  for (let k = 0; k < runs; k++) samples.push(mustSucceed('node -e 0', await timeProcess(NODE, ['-e', '0'], { env })).ms);
  samples.sort((a, b) => a - b);
  return Math.round(samples[Math.floor(samples.length / 2)]! * 10) / 10;
}

/**
 * The environment the measured processes get: this one without
 * NODE_EXTRA_CA_CERTS. Node 20 reads and parses that bundle when it starts,
 * before any program runs (a machine-wide CA bundle: 60–98 ms here); the
 * benchmarks measure the tools, and psql does not pay it either. The cost is
 * reported next to the results (`machine.node_extra_ca_certs_ms`).
 */
export function measuredEnv(): NodeJS.ProcessEnv {
  const { NODE_EXTRA_CA_CERTS: _bundle, ...env } = process.env;
  return env;
}
