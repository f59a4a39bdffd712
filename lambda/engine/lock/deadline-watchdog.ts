/**
 * The deadline's watchdog, for one migration under a deadline (the custom
 * resource's invocation).
 *
 * statement_timeout applies per statement, so several long statements (or a
 * retry after its backoff) can run past the deadline, where the invocation is
 * killed and its backend keeps holding the locks. So just after the cap the
 * watchdog cancels the migration's backend from the runner lock's other
 * connection (`pg_cancel_backend`: a role may cancel its own sessions). The
 * engine's part is `endsAt` (`ApplySettings`): nothing starts after it, since
 * the server drops a cancel that arrives between statements. Without a
 * session of its own (a pooler, the Data API) that part is all.
 */
import type { Queryable } from '../ports';

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
    this.timer = setTimeout(
      () => {
        this.cancelled = true;
        monitor.query('SELECT pg_cancel_backend($1)', [pid]).catch(() => undefined);
      },
      Math.max(0, this.endsAt - Date.now()) + CANCEL_AFTER_CAP_MS,
    );
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
