/**
 * Small migrations in flight together, where the session pipelines
 * (`Session.capabilities.pipelines`, the pg driver): the next file's message is written
 * while the server still runs the one before, so the server never waits for
 * the runner between files and the runner's work on a file (reading the
 * answer, the events, building the next message) overlaps the server's. Each
 * file is still its own transaction with its state row, the files run in
 * order, and the events come in the same order as one at a time.
 *
 * Which files: transactional, without checks (a check's rows decide between
 * COMMIT and ROLLBACK, so its file waits for them), held in memory and under
 * MESSAGE_CHARS (`pipelinable`). The others go one at a time (`apply.ts`).
 *
 * Stop at the first failure. The server runs the messages one after another
 * whatever happened to the one before, so each message written behind
 * another cannot run unless that one committed:
 * - an error in a file leaves its transaction aborted: the next message's
 *   BEGIN fails (25P02), and with it the rest of that message, and so on;
 * - an error at COMMIT (a deferred constraint) rolls back and leaves the
 *   session idle: the next message's first statement after BEGIN,
 *   `inFlightGuardSql`, fails because the mark the file before it set with
 *   its state row was rolled back with it;
 * - the runner lock lost meanwhile (its connection closed): the same
 *   statement checks on the server that the lock is still granted, so no
 *   file starts without it, as `assertHeld` before each file does one at a time.
 * The runner then waits for the answers of the files behind the failed one
 * (all failed, nothing of them committed), rolls back, and reports the failed
 * file's error with its line, as one at a time. A lock timeout is retried
 * from the file that timed out.
 *
 * At most PIPELINE_FILES files and PIPELINE_CHARS of SQL are written ahead.
 * Not used under a deadline (the custom resource): a file written ahead
 * starts later than the check that let it start (runner.ts).
 */
import { executionMs, located, MESSAGE_CHARS, wholeFileMessage } from './apply-script';
import { effectiveSettings, rollbackAndReset, type ApplySettings } from './apply';
import { lockLostError, type Blocker, type MigrationError } from '../errors/errors';
import { retryLockTimeouts } from './lock-retry';
import { pipelines, type ScriptSession, type Session } from '../ports';
import type { ScriptMessage } from './script';
import { heldInMemory, runsOutsideTransaction, type Migration } from '../files/source';
import { inFlightGuardSql } from '../state/state';
import { DIVISION_BY_ZERO } from '../errors/sqlstate';

/** At most this many files written ahead of their answers… */
export const PIPELINE_FILES = 16;
/** …and this many characters of SQL. */
export const PIPELINE_CHARS = 256 * 1024;

/** A file that goes whole in one message with nothing to decide on the way. */
export function pipelinable(m: Migration): boolean {
  // A file read again at each access (over IN_MEMORY_BYTES) is never sent whole.
  // A backfill, or a file waiting for one, runs between its neighbours' answers (the runner reads the backfill's state).
  if (m.backfill || m.directives.afterBackfill) return false;
  return heldInMemory(m) && m.checks.length === 0 && !runsOutsideTransaction(m) && m.text.length <= MESSAGE_CHARS;
}

export function canPipeline(session: Session): session is ScriptSession {
  return pipelines(session);
}

export interface InFlightHooks {
  /** Before a file is written: throws to stop writing (the runner lock lost); thrown again once the files in flight are answered. */
  admit(m: Migration): Promise<void> | void;
  /** The file's message is written: the server runs it once the files before it are done. */
  sent(m: Migration): void;
  /** The file is the one the server runs now. */
  started(m: Migration): void;
  applied(m: Migration, executionMs: number, attempts: number): void;
  retry(m: Migration, attempt: number, delayMs: number, blockers: Blocker[], error: MigrationError): void;
  notice(m: Migration, message: string): void;
}

interface Written {
  m: Migration;
  chars: number;
  /** The server's execution time, or the file's error (with its line). */
  answer: Promise<number>;
  /**
   * The file's notices, kept until it is the one the server runs (`live`):
   * the answers of several small files come in one read, their notices
   * before any file's result is looked at, and each file's notes are said
   * with it, after the `applied` line of the file before it.
   */
  notes: string[];
  live: boolean;
}

/** A file written behind another whose guard stopped it: it did not run. */
class NotRun extends Error {}

/**
 * The guard's division by zero (`transactionStartSql`), in the message's first
 * part (BEGIN and the settings, before the file's statements): a 22012 there is
 * the guard's, never the file's, whose own statements are in later parts.
 */
function isGuard(message: ScriptMessage, e: unknown): boolean {
  const err = e as { code?: string; position?: string; statementIndex?: number };
  return err?.code === DIVISION_BY_ZERO && message.locate(err)?.part === message.first;
}

/** Sends one file's whole message behind the file before it (guarded by that file's state row); answered later, in turn. */
function sendFile(session: ScriptSession, m: Migration, s: ApplySettings, before: Migration | undefined, held: string, hooks: InFlightHooks): Written {
  const guard = before && inFlightGuardSql(before.version, held);
  const message = wholeFileMessage(session, m, s, effectiveSettings(m, s), guard);
  const w: Written = { m, chars: message.size, answer: Promise.resolve(0), notes: [], live: false };
  w.answer = session
    .script(message.pieces, new Set(message.rowsOf.keys()), (text) => (w.live ? hooks.notice(m, text) : w.notes.push(text)))
    .then(
      (r) => executionMs(message, r),
      (e: unknown) => {
        throw guard && isGuard(message, e) ? new NotRun() : located(session, m, message, e);
      },
    );
  // Answered in turn; a file behind a failed one fails too, and is not reported.
  w.answer.catch(() => undefined);
  return w;
}

/**
 * Applies `files` (all `pipelinable`) in order, writing each file after the
 * first with a guard (`inFlightGuardSql`) on the file before it and on
 * `held`, the runner lock's condition. Throws the first failure.
 */
export async function applyInFlight(session: ScriptSession, files: Migration[], s: ApplySettings, held: string, hooks: InFlightHooks): Promise<void> {
  const written: Written[] = [];
  let next = 0;
  let applied = 0;
  let stopped = false;
  let announced = 0;
  const chars = () => written.reduce((n, w) => n + w.chars, 0);

  /** Why no more files are written (the runner lock lost): thrown once the files in flight are answered. */
  let refused: unknown;
  const write = async (): Promise<void> => {
    while (!stopped && next < files.length && written.length < PIPELINE_FILES && (written.length === 0 || chars() < PIPELINE_CHARS)) {
      const m = files[next];
      try {
        await hooks.admit(m);
      } catch (e) {
        refused = e;
        stopped = true;
        return;
      }
      written.push(sendFile(session, m, s, written.at(-1)?.m, held, hooks));
      hooks.sent(m);
      next++;
    }
  };

  await write();
  while (written.length) {
    const head = written[0];
    if (announced === applied) {
      hooks.started(head.m);
      announced++;
    }
    const { value: ms, attempts } = await retryLockTimeouts({
      session,
      m: head.m,
      lockTimeoutMs: effectiveSettings(head.m, s).lockTimeoutMs,
      policy: { ...s, onRetry: (n, delayMs, blockers, error) => hooks.retry(head.m, n, delayMs, blockers, error) },
      attempt: async (watcher, n) => {
        if (n > 1) {
          // Written again from the file that timed out.
          next = applied;
          await write();
        }
        const w = written[0];
        if (!w) return undefined;
        goLive(w, hooks);
        watcher.start();
        return await w.answer;
      },
      undo: async () => {
        await Promise.allSettled(written.map((w) => w.answer));
        written.length = 0;
        await rollbackAndReset(session);
      },
      // The head's own guard failed, the file before it being recorded: the runner lock is gone.
      errorOf: (e, err) => (e instanceof NotRun ? lockLostError() : err),
    });
    // Nothing written again: the runner lock was refused before the retry.
    if (ms === undefined) break;
    written.shift();
    applied++;
    hooks.applied(head.m, ms, attempts);
    await write();
  }
  if (refused !== undefined) throw refused;
}

/** The file the server runs: its notices kept so far are said, and the next ones as they come. */
function goLive(w: Written, hooks: InFlightHooks): void {
  w.live = true;
  for (const text of w.notes.splice(0)) hooks.notice(w.m, text);
}
