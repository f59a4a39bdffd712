/**
 * A lock on the embedded server's directory across processes, held while one
 * schemaguard initialises, starts or stops the server and counts its users:
 * two first runs at once both ran initdb, and a run could reuse a server that
 * another run was stopping. Node.js has no flock: the lock is a file created
 * with O_EXCL that names its holder (pid and the process's start time, so a
 * reused pid is not mistaken for the holder); a holder that is gone (killed,
 * crashed) leaves a stale file that the next process breaks.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync, statSync, unlinkSync, writeFileSync } from 'node:fs';

export interface HeldLock {
  release(): void;
}

export interface LockOptions {
  /** Give up after this long. @default 180_000 (an initdb and a start take seconds) */
  timeoutMs?: number;
  /** Called once when another process holds the lock, with its pid. */
  onWait?: (holderPid: number) => void;
}

/** Take the lock at `path`, waiting while another live process holds it. */
export async function acquireLock(path: string, options: LockOptions = {}): Promise<HeldLock> {
  const deadline = Date.now() + (options.timeoutMs ?? 180_000);
  let told = false;
  for (;;) {
    const result = tryAcquire(path);
    if ('lock' in result) return result.lock;
    if (Date.now() > deadline)
      throw new Error(
        `${path} is still held by pid ${result.holder} (a schemaguard that is starting or stopping the embedded PostgreSQL); if no such process runs, remove the file`,
      );
    if (!told && result.holder > 0) {
      told = true;
      options.onWait?.(result.holder);
    }
    await new Promise((r) => setTimeout(r, 20 + Math.random() * 40));
  }
}

/** The same, without giving the event loop a turn (for a signal handler): waits at most `timeoutMs`, undefined when the lock stays taken. */
export function acquireLockSync(path: string, timeoutMs: number): HeldLock | undefined {
  const deadline = Date.now() + timeoutMs;
  const pause = new Int32Array(new SharedArrayBuffer(4));
  for (;;) {
    const result = tryAcquire(path);
    if ('lock' in result) return result.lock;
    if (Date.now() > deadline) return undefined;
    Atomics.wait(pause, 0, 0, 20);
  }
}

/** The lock, or the live process that holds it (0: a stale lock was just broken, try again). */
function tryAcquire(path: string): { lock: HeldLock } | { holder: number } {
  const mine = `${processIdentity(process.pid)} ${randomBytes(6).toString('hex')}\n`;
  try {
    writeFileSync(path, mine, { flag: 'wx', mode: 0o600 });
    return { lock: { release: () => removeIfStill(path, mine) } };
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
  }
  const seen = readOrEmpty(path);
  if (seen === '' ? ageMs(path) <= 5_000 : isProcessAlive(seen)) return { holder: Number(seen.split(' ')[0]) };
  breakStale(path, seen);
  return { holder: 0 };
}

/**
 * Remove a stale lock — only the one seen, and one process at a time: the
 * breaker takes `<path>.break` (O_EXCL) first, so that no other process
 * removes a lock meanwhile, and removes the lock only while it is still the
 * one seen (not by renaming it aside and linking back another: a third
 * process could take the lock in between, two holders). A breaker that died
 * between its two steps leaves `.break`, removed once its process is gone.
 */
function breakStale(path: string, seen: string): void {
  const breaker = `${path}.break`;
  try {
    writeFileSync(breaker, `${processIdentity(process.pid)}\n`, { flag: 'wx', mode: 0o600 });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    const other = readOrEmpty(breaker);
    if (other === '' ? ageMs(breaker) > 5_000 : !isProcessAlive(other)) {
      try {
        unlinkSync(breaker);
      } catch {
        /* removed */
      }
    }
    return;
  }
  try {
    // An empty file may be a lock being written this instant (O_EXCL creates it, then writes): only an old one is stale.
    if (readOrEmpty(path) === seen && (seen !== '' || ageMs(path) > 5_000)) unlinkSync(path);
  } catch {
    // gone already
  } finally {
    try {
      unlinkSync(breaker);
    } catch {
      /* removed */
    }
  }
}

function removeIfStill(path: string, content: string): void {
  if (readOrEmpty(path) === content) {
    try {
      unlinkSync(path);
    } catch {
      /* removed */
    }
  }
}

/** `pid start-time`: the start time (Linux: /proc/<pid>/stat field 22) tells a reused pid from the process that wrote it. */
export function processIdentity(pid: number): string {
  const start = processStartTime(pid);
  return start ? `${pid} ${start}` : String(pid);
}

/** Whether the process named by a `processIdentity` string (more fields may follow) still runs. */
export function isProcessAlive(identity: string): boolean {
  const [pidText, start] = identity.trim().split(/\s+/);
  const pid = Number(pidText);
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  const fields = statFields(pid);
  // A zombie has ended: an orphan's (an initdb whose run was killed) stays one where nothing reaps it, as in a container without an init.
  if (fields?.[0] === 'Z') return false;
  const now = fields?.[19];
  return !start || !now || now === start;
}

function processStartTime(pid: number): string | undefined {
  return statFields(pid)?.[19];
}

/** /proc/<pid>/stat's fields after the command name: [0] the state, [19] the start time. */
function statFields(pid: number): string[] | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined;
  }
}

/** A small file's text; '' when it is not there (or cannot be read). */
export function readOrEmpty(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}

function ageMs(path: string): number {
  try {
    return Date.now() - statSync(path).mtimeMs;
  } catch {
    return 0;
  }
}
