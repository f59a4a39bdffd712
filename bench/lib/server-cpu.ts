/**
 * The CPU a local PostgreSQL server spent: its postmaster's and its live
 * children's (the backends, the checkpointer, the WAL writer), read from
 * /proc. A backend that ended is counted in the postmaster's children's time
 * once it is waited for, so a reading after the work is done counts it.
 * Linux only; undefined where /proc or the data directory cannot be read
 * (a server of `--database-url` on another host).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { withClient } from './server';

/** utime + stime (+ cutime + cstime with `children`) of a process in clock ticks: /proc/PID/stat's fields 14–17. */
function ticksOf(pid: number, children: boolean): number {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return Number(f[11]) + Number(f[12]) + (children ? Number(f[13]) + Number(f[14]) : 0);
}

/** One process's own CPU so far, in ms (a backend's, by its pid); undefined once it ended or where /proc cannot read it. */
export function processCpuMs(pid: number): number | undefined {
  try {
    return ticksOf(pid, false) * 10;
  } catch {
    return undefined;
  }
}

/** The server's CPU so far, in ms (at 100 ticks a second). */
export function serverCpuMs(postmaster: number): number {
  let ticks = ticksOf(postmaster, true);
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const f = readFileSync(`/proc/${d}/stat`, 'utf8').split(') ')[1]!.split(' ');
      if (Number(f[1]) === postmaster) ticks += ticksOf(Number(d), false);
    } catch {
      // the process ended while being read
    }
  }
  return ticks * 10;
}

/** The postmaster's pid of the server at `url`, when it runs on this machine and its data directory is readable. */
export async function postmasterPid(url: string): Promise<number | undefined> {
  try {
    const dataDir = await withClient(url, async (c) => (await c.query<{ data_directory: string }>('SHOW data_directory')).rows[0]!.data_directory);
    const pid = Number(readFileSync(`${dataDir}/postmaster.pid`, 'utf8').split('\n')[0]);
    serverCpuMs(pid);
    return pid;
  } catch {
    return undefined;
  }
}
