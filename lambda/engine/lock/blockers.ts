/**
 * Who blocks a migration: pg_blocking_pids() of its session, sampled from a
 * second connection while it waits, so that a lock-timeout error can name the
 * sessions (pid, user, application, state, the locks they hold that it waits
 * for); not their queries, which may carry their data.
 */
import type { Blocker } from '../errors/errors';
import { isTrue, type Queryable } from '../ports';
import { queryFileSql } from './applying-file';

/**
 * Samples pg_blocking_pids() for the migration's session from a second
 * connection while a statement runs, so a lock-timeout error can name who
 * blocked it. Costs nothing for statements faster than the first sample.
 */
export class BlockerWatcher {
  blockers: Blocker[] = [];
  private timer?: NodeJS.Timeout;
  private busy = false;
  private readonly interval: number;

  // The pid is read at each sample: a Data API session only has one while a transaction is open.
  constructor(
    private readonly monitor: Queryable | undefined,
    private readonly pid: () => number | undefined,
    lockTimeoutMs: number,
  ) {
    const base = lockTimeoutMs > 0 ? lockTimeoutMs / 3 : 1000;
    this.interval = Math.max(25, Math.min(1000, Math.floor(base)));
  }

  start(): void {
    if (!this.monitor || this.timer) return;
    this.timer = setInterval(() => void this.sample(), this.interval);
    this.timer.unref?.();
  }

  pause(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  private async sample(): Promise<void> {
    const pid = this.pid();
    if (this.busy || !this.monitor || pid === undefined) return;
    this.busy = true;
    try {
      const found = await sampleWait(this.monitor, pid);
      // A sample taken as the wait ended (the lock timeout) may name the blocker but not its locks: an earlier one does.
      if (found.blockers.length && (found.waiting || !this.blockers.length)) this.blockers = found.blockers;
    } catch {
      // Sampling is best effort; the migration's own error is what matters.
    } finally {
      this.busy = false;
    }
  }
}

/**
 * The sessions `pid` waits for. A wait on a `virtualxid` lock is a wait for
 * the blocker's transaction to end (CREATE INDEX CONCURRENTLY waits so for
 * every transaction older than it, on PostgreSQL 15 and 18 alike, whether
 * it writes the table or only holds a snapshot); when the blocker also holds
 * no lock on a table the waiter has locked, it is an open transaction
 * elsewhere, not a lock on the table (`olderTransaction`).
 */
export async function sampleBlockers(q: Queryable, pid: number): Promise<Blocker[]> {
  return (await sampleWait(q, pid)).blockers;
}

/**
 * The blockers, and whether `pid` still waited when the locks were read: all
 * from one read of pg_locks (each mention of the view reads the lock table
 * again), which pg_blocking_pids() read a moment before.
 */
async function sampleWait(q: Queryable, pid: number): Promise<{ blockers: Blocker[]; waiting: boolean }> {
  const r = await q.query<{
    pid: number;
    user: string;
    application: string;
    state: string;
    locks: string | null;
    file: string | null;
    xact_age_seconds: number | null;
    older: boolean | string | null;
    waiting: boolean | string;
  }>(
    `WITH l AS MATERIALIZED (SELECT locktype, database, relation, virtualxid, transactionid, pid, mode, granted FROM pg_locks)
     SELECT b.pid, b.usename AS user, b.application_name AS application, b.state, ${queryFileSql('b.query')} AS file,
            (SELECT string_agg(DISTINCT bl.mode || coalesce(' on ' || bl.relation::regclass::text, ''), ', ')
               FROM l bl JOIN l wl ON wl.pid = $1::int AND NOT wl.granted AND wl.locktype = bl.locktype
                AND wl.database IS NOT DISTINCT FROM bl.database AND wl.relation IS NOT DISTINCT FROM bl.relation
                AND wl.virtualxid IS NOT DISTINCT FROM bl.virtualxid AND wl.transactionid IS NOT DISTINCT FROM bl.transactionid
              WHERE bl.pid = b.pid AND bl.granted AND bl.relation IS NOT NULL) AS locks,
            floor(extract(epoch FROM now() - b.xact_start))::int AS xact_age_seconds,
            EXISTS (SELECT 1 FROM l w WHERE w.pid = $1::int AND NOT w.granted AND w.locktype = 'virtualxid')
              AND NOT EXISTS (SELECT 1 FROM l bl JOIN l wl ON wl.locktype = 'relation' AND wl.pid = $1::int
                                AND wl.database = bl.database AND wl.relation = bl.relation
                               WHERE bl.pid = b.pid AND bl.locktype = 'relation') AS older,
            EXISTS (SELECT 1 FROM l w WHERE w.pid = $1::int AND NOT w.granted) AS waiting
       FROM unnest(pg_blocking_pids($1::int)) AS p(pid) JOIN pg_stat_activity b ON b.pid = p.pid`,
    [pid],
  );
  const waiting = r.rows.some((x) => isTrue(x.waiting));
  return {
    waiting,
    blockers: r.rows.map((x) => ({
      pid: x.pid,
      user: x.user,
      application: x.application,
      state: x.state,
      ...(x.locks ? { locks: x.locks } : {}),
      ...(x.file ? { file: x.file } : {}),
      xactAgeSeconds: x.xact_age_seconds ?? undefined,
      ...(isTrue(x.older) ? { olderTransaction: true } : {}),
    })),
  };
}

/**
 * The blockers an error carries: a driver that cancels a statement waiting
 * for a lock itself (the Data API's bare calls) samples them then, where no
 * watcher could (such a call has no pid to watch).
 */
export function carriedBlockers(e: unknown): Blocker[] {
  for (let x: unknown = e, depth = 0; x && depth < 3; x = (x as { cause?: unknown }).cause, depth++) {
    const b = (x as { blockers?: unknown }).blockers;
    if (Array.isArray(b) && b.length) return b as Blocker[];
  }
  return [];
}
