/** Runs the real `schemaguard` executable (bin/schemaguard.cjs → dist bundle built by the global setup). */
import { execFileSync, spawn } from 'node:child_process';
import { closeSync, constants, mkdtempSync, openSync, rmSync } from 'node:fs';
import { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const CLI = join(ROOT, 'bin', 'schemaguard.cjs');

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

export interface CliRunOptions {
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  timeoutMs?: number;
  /**
   * A slow reader, as `schemaguard … | jq` on a busy machine: stdout and
   * stderr are real pipes (a shell's, 64 KiB buffers; not the larger socket
   * pairs that `spawn` makes), and reading starts only when the process has
   * exited or this many milliseconds have passed, whichever comes first. So a
   * process that exits without waiting for its output to drain loses all but
   * the first 64 KiB, every time.
   */
  slowReaderMs?: number;
}

export function runCli(args: string[], options: CliRunOptions = {}): Promise<CliRun> {
  return runNode([CLI, ...args], options);
}

/**
 * The CLI in this process: `main(argv, io)`, what bin/schemaguard.cjs runs,
 * with the same environment and working directory as runCli's process, minus
 * a Node.js start-up and the SQL parser's load for every run. For the tests of
 * what a command says and does; the executable itself (the bundle, the exit
 * code of the process, output drained before it exits) keeps tests through
 * runCli.
 */
export async function runCliInProcess(args: string[], options: Pick<CliRunOptions, 'env' | 'cwd'> = {}): Promise<CliRun> {
  const { main } = await import('../../bin/cli/main');
  const env = { ...process.env, ...options.env };
  if (options.env && 'DATABASE_URL' in options.env && options.env.DATABASE_URL === undefined) delete env.DATABASE_URL;
  const text = { stdout: '', stderr: '' };
  const line = (name: keyof typeof text) => (t: string) => {
    text[name] += t.endsWith('\n') ? t : `${t}\n`;
  };
  // The project file is looked for from the working directory, as the process's would be (one run at a time: a file's tests run in turn).
  const before = process.cwd();
  process.chdir(options.cwd ?? ROOT);
  try {
    const code = await main(args, { out: line('stdout'), err: line('stderr'), env });
    return { code, ...text };
  } finally {
    process.chdir(before);
  }
}

/** Runs `node …argv` as runCli runs the CLI. */
export function runNode(argv: string[], options: CliRunOptions = {}): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const env = { ...process.env, ...options.env };
    if (options.env && 'DATABASE_URL' in options.env && options.env.DATABASE_URL === undefined) delete env.DATABASE_URL;
    const pipes = options.slowReaderMs ? shellPipes() : undefined;
    const child = spawn(process.execPath, argv, {
      cwd: options.cwd ?? ROOT,
      env,
      stdio: ['ignore', pipes?.stdout.writeFd ?? 'pipe', pipes?.stderr.writeFd ?? 'pipe'],
    });
    pipes?.closeWriteEnds();
    const text = { stdout: '', stderr: '' };
    let open = 2;
    const read = (name: 'stdout' | 'stderr', stream: NodeJS.ReadableStream) => {
      stream.on('data', (d) => {
        text[name] += d;
      });
      stream.on('close', () => {
        if (--open === 0) finish();
      });
    };
    let reading = false;
    const startReading = () => {
      if (reading || !pipes) return;
      reading = true;
      read('stdout', pipes.stdout.reader());
      read('stderr', pipes.stderr.reader());
    };
    if (!pipes) {
      read('stdout', child.stdout!);
      read('stderr', child.stderr!);
    }
    const hold = setTimeout(startReading, options.slowReaderMs ?? 0);
    let code: number | undefined;
    const finish = () => {
      if (code === undefined || open > 0) return;
      clearTimeout(timer);
      pipes?.remove();
      resolve({ code, ...text });
    };
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${argv.join(' ')} timed out\n${text.stderr}`));
    }, options.timeoutMs ?? 60_000);
    child.on('error', reject);
    child.on('exit', (c) => {
      code = c ?? -1;
      clearTimeout(hold);
      startReading();
      finish();
    });
  });
}

interface ShellPipe {
  writeFd: number;
  /** Starts reading; until then nothing is read and the pipe fills. */
  reader(): Socket;
}

/** Two named pipes (FIFOs), read here and written by the child. */
function shellPipes(): { stdout: ShellPipe; stderr: ShellPipe; closeWriteEnds(): void; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'schemaguard-pipes-'));
  const make = (name: string): ShellPipe => {
    const path = join(dir, name);
    execFileSync('mkfifo', [path]);
    // The read end opens without waiting for a writer; the write end then opens at once.
    const readFd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
    const writeFd = openSync(path, constants.O_WRONLY);
    return { writeFd, reader: () => new Socket({ fd: readFd, readable: true, writable: false }) };
  };
  const stdout = make('stdout');
  const stderr = make('stderr');
  return {
    stdout,
    stderr,
    closeWriteEnds: () => {
      closeSync(stdout.writeFd);
      closeSync(stderr.writeFd);
    },
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}
