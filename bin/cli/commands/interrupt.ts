/**
 * Ctrl-C (or SIGTERM, SIGHUP) during `migrate` against a server of its own
 * (--database-url): one line on what state the database is in, then the
 * signal ends the process as before (exit 130 for SIGINT in a shell). A
 * migration's transaction is rolled back when the connection closes, its
 * statement ended (the driver sets client_connection_check_interval,
 * PostgreSQL 14+) — unless the server, which holds the file's script whole
 * with its COMMIT, gets there first: the line says so. The
 * embedded server's own clean-up handles the signal there (embedded-clients.ts).
 */
import type { RunEvent } from '../../../lambda/engine/runner';
import { runsOutsideTransaction, type Migration } from '../../../lambda/engine/files/source';
import { stderrLines } from '../run-cli';
import { andList, plural, verb } from '../../../lambda/engine/errors/words';

const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

/** What a run has done so far, from its events. */
export class RunProgress {
  /** Files sent to the server (or started) and not yet answered, oldest (the one the server runs) first. */
  private readonly inFlight: Migration[] = [];
  /** After a lock timeout: until when the run waits before the file's next attempt (nothing of it runs meanwhile). */
  private backoffUntil = 0;
  /** The files this run applied, in order (the interrupted line counts them; a failed run's JSON names them). */
  readonly appliedFiles: string[] = [];
  /** Pending when the run began (its plan), once known. */
  private pending?: number;
  /** The file the server runs (the oldest in flight), since when, and after how many seconds of it the next "still applying" line is due. */
  private head?: { migration: Migration; since: number; dueS: number };

  constructor(private readonly now: () => number = Date.now) {}

  onEvent(e: RunEvent): void {
    this.track(e);
    const first = this.inFlight[0];
    // A retry's attempt starts once its wait is over.
    if (first !== this.head?.migration || e.type === 'retry')
      this.head = first && { migration: first, since: this.now() + (e.type === 'retry' ? e.delayMs : 0), dueS: STILL_FIRST_S };
  }

  /**
   * A line when the file the server runs has taken STILL_FIRST_S seconds, then
   * every STILL_EVERY_S more (a sign of life on a long file, which says
   * nothing else until it ends); undefined otherwise, and while a lock
   * timeout's retry waits.
   */
  stillRunningLine(): string | undefined {
    const head = this.head;
    const now = this.now();
    if (!head || now < this.backoffUntil) return undefined;
    const s = Math.floor((now - head.since) / 1000);
    if (s < head.dueS) return undefined;
    head.dueS = s + STILL_EVERY_S;
    const outside = runsOutsideTransaction(head.migration) ? ' (outside a transaction: each statement commits as it ends)' : '';
    return `  still applying ${head.migration.file}: ${duration(s)} so far${outside}`;
  }

  private track(e: RunEvent): void {
    if (e.type === 'plan') this.pending = e.pending;
    if (e.type === 'migration-sent' || e.type === 'migration-start' || e.type === 'migration-applied') this.backoffUntil = 0;
    if ((e.type === 'migration-sent' || e.type === 'migration-start') && !this.inFlight.includes(e.migration)) this.inFlight.push(e.migration);
    if (e.type === 'migration-applied') {
      this.appliedFiles.push(e.migration.file);
      const k = this.inFlight.indexOf(e.migration);
      if (k >= 0) this.inFlight.splice(k, 1);
    }
    // A lock timeout answered every file in flight (those behind the one that timed out did not run): it alone goes again, then the others are sent again.
    if (e.type === 'retry') {
      this.inFlight.splice(0, this.inFlight.length, e.migration);
      this.backoffUntil = this.now() + e.delayMs;
    }
  }

  /**
   * The line said after a migration failed: where the run stopped, what of
   * that file is left (a transactional file: nothing; a no-transaction file:
   * its finished statements, as the error's fix says), what this run applied
   * before it, and what is still pending.
   */
  failedLine(m: Migration | undefined, file: string, lost = false, committedLines: readonly number[] = []): string {
    const n = this.appliedFiles.length;
    const outside = m !== undefined && runsOutsideTransaction(m);
    const left = lost
      ? outside
        ? lostOutsideTransaction(committedLines)
        : 'the connection was lost, so whether its COMMIT was reached is not known (schemaguard status tells)'
      : outside
        ? outsideTransaction(committedLines)
        : 'rolled back, nothing of it applied';
    const pending = this.pending === undefined ? '' : `, ${this.pending - n} still pending (${file} included)`;
    return `migrate stopped at ${file}: ${left}; ${plural(n, 'migration')} applied before it by this run ${verb(n, 'stay')} applied${pending}`;
  }

  /** The line said when the run is interrupted. */
  interruptedLine(signal: string): string {
    const n = this.appliedFiles.length;
    const done = `${plural(n, 'migration')} applied by this run ${verb(n, 'stay')} applied`;
    const [m, ...behind] = this.inFlight;
    if (!m) return `migrate interrupted (${signal}) between migrations, none sent and unanswered: ${done}; run schemaguard migrate again to continue`;
    if (this.now() < this.backoffUntil) {
      // The retry's wait: the attempt that timed out was answered, and the next is not sent yet.
      const state = runsOutsideTransaction(m)
        ? 'it runs outside a transaction, so its statements that finished before the lock timeout stay: schemaguard status and schemaguard doctor (INVALID indexes) show what is left'
        : 'the attempt that timed out was rolled back, so none of it is applied';
      return `migrate interrupted (${signal}) while ${m.file} waited to retry after a lock timeout: ${state}; ${done}; run schemaguard migrate again to continue`;
    }
    // A file whose script the server already holds whole (its COMMIT included) may still commit: status tells.
    if (behind.length) {
      // Only small transactional files are written ahead (apply-pipeline.ts), each behind a guard on the one before it.
      return (
        `migrate interrupted (${signal}) during ${m.file}, with ${andList(behind.map((b) => b.file))} sent behind it: each is applied whole or not at all, ` +
        'and only if the one before it is; their transactions are rolled back as the connection closes, unless the server had already reached a COMMIT ' +
        `(schemaguard status shows which); ${done}; run schemaguard migrate again to continue`
      );
    }
    const state = runsOutsideTransaction(m)
      ? `it runs outside a transaction, so its statements that finished stay: schemaguard status and schemaguard doctor (INVALID indexes) show what is left`
      : 'its transaction is rolled back as the connection closes, unless the server had already reached its COMMIT (schemaguard status shows which): it is applied whole or not at all';
    return `migrate interrupted (${signal}) during ${m.file}: ${state}; ${done}; run schemaguard migrate again to continue`;
  }
}

/** Seconds of one file before the first "still applying" line, and between the next ones. */
export const STILL_FIRST_S = 10;
export const STILL_EVERY_S = 30;

/** `45 s`, `2 min 5 s`. */
function duration(s: number): string {
  return s < 60 ? `${s} s` : `${Math.floor(s / 60)} min${s % 60 ? ` ${s % 60} s` : ''}`;
}

/** A failed no-transaction file: what of it committed (the error's fix names the lines only when a statement failed after them). */
function outsideTransaction(committedLines: readonly number[]): string {
  // An earlier run's statements may stay (a rerun that failed at its first line): "by this run".
  if (!committedLines.length)
    return 'not recorded, and nothing of it applied by this run (it runs outside a transaction, and no statement of it committed before the one that failed)';
  return `not recorded, though ${committedPart(committedLines)} (it runs outside a transaction): the next run starts again from its first line`;
}

/** What of a no-transaction file committed: `line 4 committed and stays applied`, `3 of its statements (from line 4) committed and stay applied`. */
function committedPart(lines: readonly number[]): string {
  const which = lines.length === 1 ? `line ${lines[0]}` : `${lines.length} of its statements (from line ${lines[0]})`;
  return `${which} committed and ${verb(lines.length, 'stay')} applied`;
}

/** A no-transaction file cut off by a lost connection: it has no COMMIT; what finished stays, the statement cut off may or may not have. */
function lostOutsideTransaction(committedLines: readonly number[]): string {
  const kept = committedLines.length ? `${committedPart(committedLines)}, ` : '';
  return `the connection was lost; it runs outside a transaction, so ${kept}whether the statement cut off finished is not known, and the file is not recorded: the next run starts again from its first line`;
}

/**
 * Until the returned function is called, a signal writes `line()` to stderr,
 * then ends the process by the same signal (unless another listener remains
 * to end it).
 */
export function sayWhenInterrupted(line: (signal: string) => string): () => void {
  const handlers = SIGNALS.map((signal) => {
    const handler = () => {
      remove();
      stderrLines.flush();
      process.stderr.write(`${line(signal)}\n`);
      if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
    };
    process.on(signal, handler);
    return [signal, handler] as const;
  });
  const remove = () => {
    for (const [signal, handler] of handlers) process.off(signal, handler);
  };
  return remove;
}
