/**
 * Progress lines in fewer writes. `migrate` prints a line per migration, and
 * to a pipe or a terminal Node.js makes each write(2) synchronously: batched,
 * a 300-file run writes a dozen times, not 300, and so wakes the reader.
 *
 * The rule: a line after a quiet spell (nothing written for `intervalMs`) is
 * written at once, so a line that announces a long wait shows while it is
 * waited for; lines that follow within `intervalMs` are held and written
 * together when the interval is up (a timer, so a wait on the server or the
 * network lets them out). Nobody can tell 50 ms apart on a terminal.
 *
 * `flush` writes what is held now: before anything goes to the other stream
 * (so stdout and stderr keep their order on a shared terminal), before the
 * process exits, and when the process is interrupted (`flushOnExit`).
 */
export class LineBatcher {
  #held = '';
  #timer: NodeJS.Timeout | undefined;
  #lastWrite = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly write: (text: string) => void,
    private readonly intervalMs = 50,
    private readonly now: () => number = () => performance.now(),
    /** Held text past this many characters is written at once. */
    private readonly maxHeld = 64 * 1024,
  ) {}

  /** Write `text` (whole lines) now or with the next batch. */
  line(text: string): void {
    const now = this.now();
    if (this.#timer === undefined && now - this.#lastWrite >= this.intervalMs) {
      this.#lastWrite = now;
      this.write(text);
      return;
    }
    this.#held += text;
    if (this.#held.length >= this.maxHeld) {
      this.flush();
    } else if (this.#timer === undefined) {
      this.#timer = setTimeout(() => this.flush(), Math.max(0, this.intervalMs - (now - this.#lastWrite)));
      // The timer alone does not keep the process alive: its exit flushes (flushOnExit).
      this.#timer.unref();
    }
  }

  /** Write everything held, now. */
  flush(): void {
    if (this.#timer !== undefined) {
      clearTimeout(this.#timer);
      this.#timer = undefined;
    }
    if (this.#held === '') return;
    const text = this.#held;
    this.#held = '';
    this.#lastWrite = this.now();
    this.write(text);
  }
}

/**
 * Flush `batcher` when the process exits, and when SIGINT, SIGTERM or SIGHUP
 * arrives: the held lines are written (stderr writes are synchronous on Linux
 * for files, pipes and terminals), then the signal does what it would have
 * done — the process ends by it, unless something else (the embedded server's
 * clean-up) listens for it too and ends the process itself.
 */
export function flushOnExit(batcher: LineBatcher): void {
  process.on('exit', () => batcher.flush());
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(signal, () => {
      batcher.flush();
      if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
    });
  }
}
