/**
 * Who uses the embedded server: one file per user in `.schemaguard/clients/`
 * holding its process identity (embedded-lock.ts). The last user stops the
 * server — only one a schemaguard started (`started-by`): a server started
 * otherwise (by hand, a test run) is reused and left running. Every change
 * happens under the directory's lock.
 */
import { readdirSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { acquireLock, acquireLockSync, isProcessAlive, processIdentity, readOrEmpty, type HeldLock } from './embedded-lock';
import { runningPostmaster, stopPostmaster, stopPostmasterSync } from './embedded-postmaster';

export interface ClientPaths {
  dataDir: string;
  lock: string;
  clients: string;
  /** The identity of the postmaster a schemaguard started. */
  startedBy: string;
}

const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
/** How long a signal's way out waits for the server it stops (a fast shutdown of a local server takes well under a second). */
const STOP_ON_SIGNAL_MS = 20_000;
let entries = 0;

/**
 * This process as a user of the server, registered while the caller holds the
 * lock (`heldLock`). A signal (Ctrl-C) releases on the way out, also in the
 * middle of a start: as the last user it stops the server and keeps the lock
 * until the server is down (bounded), so that a run waiting for the lock
 * never finds a server that is going away; a process killed outright leaves
 * an entry that counts no more once its process is gone.
 */
export class Client {
  /** The directory's lock while the caller holds it (the start). */
  heldLock: HeldLock | undefined;
  readonly #paths: ClientPaths;
  readonly #entry: string;
  #active = true;
  readonly #onSignal = (signal: NodeJS.Signals) => {
    this.#leaveNow();
    if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
  };
  readonly #onExit = () => this.#leaveNow();

  constructor(paths: ClientPaths, heldLock: HeldLock) {
    this.#paths = paths;
    this.heldLock = heldLock;
    this.#entry = join(paths.clients, `${process.pid}-${++entries}`);
    writeFileSync(this.#entry, processIdentity(process.pid));
    for (const s of SIGNALS) process.once(s, this.#onSignal);
    process.once('exit', this.#onExit);
  }

  /** Done with the server: unregister and, as its last user, stop it and wait until it is down. */
  async release(): Promise<void> {
    if (!this.#deactivate()) return;
    const lock = this.heldLock ? undefined : await acquireLock(this.#paths.lock);
    try {
      const last = this.#leave();
      if (last) await stopPostmaster(this.#paths.dataDir, last);
    } finally {
      lock?.release();
    }
  }

  #leaveNow(): void {
    if (!this.#deactivate()) return;
    // The process ends next: a lock taken for a start is let go here too, once the server is down.
    const lock = this.heldLock ?? acquireLockSync(this.#paths.lock, 2_000);
    try {
      // Without the lock (another process kept it for 2 s) only the entry goes: the next run stops the server.
      const last = this.#leave();
      if (last && lock && !stopPostmasterSync(this.#paths.dataDir, last, STOP_ON_SIGNAL_MS)) {
        process.stderr.write(`schemaguard: the embedded PostgreSQL (pid ${last}) is still stopping after ${STOP_ON_SIGNAL_MS / 1000} s; it stops on its own\n`);
      }
    } finally {
      lock?.release();
    }
  }

  #deactivate(): boolean {
    if (!this.#active) return false;
    this.#active = false;
    for (const s of SIGNALS) process.removeListener(s, this.#onSignal);
    process.removeListener('exit', this.#onExit);
    return true;
  }

  /** Remove the entry; when no other live process uses the server and a schemaguard started it, its pid (to stop). */
  #leave(): number | undefined {
    removeFile(this.#entry);
    if (liveClients(this.#paths.clients) > 0) return undefined;
    const startedBy = readOrEmpty(this.#paths.startedBy);
    const pid = Number(startedBy.split(' ')[0]);
    if (!isProcessAlive(startedBy)) return undefined;
    // A postmaster still starting has no postmaster.pid yet: only the process starting it (holding the lock) stops it then.
    const running = runningPostmaster(this.#paths.dataDir);
    return running?.pid === pid || (!running && this.heldLock) ? pid : undefined;
  }
}

/** How many registered processes still run; the entries of those that are gone are removed. */
function liveClients(dir: string): number {
  let live = 0;
  for (const name of readdirSync(dir)) {
    const entry = join(dir, name);
    if (isProcessAlive(readOrEmpty(entry))) live++;
    else removeFile(entry);
  }
  return live;
}

function removeFile(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // gone already
  }
}
