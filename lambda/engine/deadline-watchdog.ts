/**
 * The deadline's watchdog, for one migration under a deadline (the custom
 * resource's invocation).
 *
 * The deadline caps statement_timeout, but PostgreSQL applies that timeout to
 * each statement (of a message too, from PostgreSQL 13 on), so a file of
 * several long statements, or a lock-timeout retry that starts after its
 * backoff, can run past the cap though each statement stays under it — and
 * past the deadline, where the invocation is killed mid-transaction and its
 * backend goes on holding the locks. So just after the cap's end the watchdog cancels
 * the migration's backend from the runner lock's other connection
 * (`pg_cancel_backend`: a role may cancel its own sessions). The engine does
 * its part with `endsAt` (`ApplySettings`): no statement, message or retry starts
 * after it (a cancel that reaches the session between two statements is
 * dropped by the server), and each attempt's statement_timeout is capped by
 * the time left. Without a session of its own (a pooler, the Data API) there
 * is nothing to cancel, and that part is all.
 */
import type { Queryable } from './ports';

/** Past the cap's end before cancelling: a single statement still ends by its own statement_timeout, with that message. */
const CANCEL_AFTER_CAP_MS = 200;

export class DeadlineWatchdog {
  private timer?: NodeJS.Timeout;
  private cancelled = false;

  /** `endsAt`: epoch ms by which the migration's statements must end (the deadline less half the reserve). */
  constructor(readonly endsAt: number) {}

  /** Cancel the backend `pid` (when there is one and a connection to do it from) once the time is up. */
  start(monitor: Queryable | undefined, pid: number | undefined): this {
    if (!monitor || pid === undefined) return this;
    this.timer = setTimeout(() => {
      this.cancelled = true;
      monitor.query('SELECT pg_cancel_backend($1)', [pid]).catch(() => undefined);
    }, Math.max(0, this.endsAt - Date.now()) + CANCEL_AFTER_CAP_MS);
    this.timer.unref?.();
    return this;
  }

  /** The watchdog sent its cancel: a 57014 "user request" is its doing. */
  get fired(): boolean {
    return this.cancelled;
  }

  stop(): void {
    clearTimeout(this.timer);
  }
}
