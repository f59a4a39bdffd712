/**
 * A transactional migration in as few round trips as its size allows
 * (`Session.script`): BEGIN and the timeouts, the file's statements, the
 * state row and COMMIT in one simple-query message — one round trip for a
 * file of any number of statements, where psql waits for each one.
 *
 * - A file with checks takes two: the body and the checks, whose rows come
 *   back and decide between the state row with COMMIT and a rollback. (As
 *   server-side assertions the checks would save that round trip but either
 *   run twice or lose the rows the failure shows.)
 * - A large file goes in messages of about MESSAGE_CHARS, all in the one
 *   transaction: the server holds every parsed statement of a message until
 *   it ends, so neither side holds the whole file.
 * - The server runs the statements in order and stops at the first error,
 *   skipping the rest (COMMIT included); the transaction is then rolled back
 *   by the caller, as for a statement sent alone. The error is put back on
 *   the file's statement and line (`ScriptMessage.locate`).
 * - The state row's execution time is measured by the server, from BEGIN to
 *   the row, and read back.
 * - The driver's session reset (`Session.resetSql`) goes in the last message,
 *   after the checks and before the state row: no round trip of its own.
 */
import { checkFailure, checkRunError, CHECK_COUNT_LIMIT, refuseOutOfTime, statementError } from './apply-errors';
import type { BlockerWatcher } from '../lock/blockers';
import type { MigrationError } from '../errors/errors';
import type { ScriptResult, ScriptSession, TransactionSettings } from '../ports';
import { ScriptMessage, TRANSACTION_START_STATEMENTS, transactionStartSql } from './script';
import { bodyBatches, type Migration } from '../files/source';
import { insertAppliedTimedSql } from '../state/state';
import { present } from '../errors/present';

/** About this many characters of SQL per message. */
export const MESSAGE_CHARS = 32 * 1024;

/** One attempt at the migration; returns its execution time. Throws with the file's line; the caller rolls back. */
export async function scriptAttempt(
  session: ScriptSession,
  m: Migration,
  s: { stateSchema: string; appliedBy: string; endsAt?: number; held?: string },
  settings: TransactionSettings,
  watcher: BlockerWatcher,
): Promise<number> {
  let message = new ScriptMessage().own(transactionStartSql(settings, undefined, m.file), false, TRANSACTION_START_STATEMENTS);
  /** Line of the first statement the message being built holds: under a deadline, no message starts once the time is up. */
  let line: number | undefined;
  // One batch ahead: the last one travels with the checks or with COMMIT, and a
  // large file is known unchanged (bodyBatches) before that message is sent.
  const batches = bodyBatches(m, MESSAGE_CHARS);
  for (let next = batches.next(); !next.done; ) {
    line ??= next.value[0]?.line;
    for (const statement of next.value) message.statement(statement);
    next = batches.next();
    if (next.done) break;
    refuseOutOfTime(m, line, s.endsAt);
    await send(session, m, message, watcher);
    message = new ScriptMessage();
    line = undefined;
  }
  if (m.checks.length) {
    for (const [k, check] of m.checks.entries()) message.check(check, k, CHECK_COUNT_LIMIT);
    refuseOutOfTime(m, line ?? m.checks[0].statement.line, s.endsAt);
    const result = await send(session, m, message, watcher);
    for (const [index, part] of message.rowsOf) {
      const failed = part.kind === 'check' ? checkFailure(m, part.check, result.rows.get(index) ?? []) : undefined;
      if (failed) throw failed;
    }
    message = new ScriptMessage();
  }
  finish(session, m, s, settings, message);
  return executionMs(message, await send(session, m, message, watcher));
}

/**
 * The whole of a file with no checks, held in memory and under
 * MESSAGE_CHARS, as one message. `guard`: a condition checked after BEGIN,
 * before anything of the file, that fails the message (22012) unless this
 * file may run (`apply-pipeline.ts`).
 */
export function wholeFileMessage(
  session: ScriptSession,
  m: Migration,
  s: { stateSchema: string; appliedBy: string; held?: string },
  settings: TransactionSettings,
  guard?: string,
): ScriptMessage {
  const message = new ScriptMessage().own(transactionStartSql(settings, guard, m.file), false, TRANSACTION_START_STATEMENTS);
  for (const statement of m.statements) message.statement(statement);
  return finish(session, m, s, settings, message, true);
}

/**
 * The file's session state ends with its checks (the driver's reset), then the
 * state row and COMMIT. `mark`: the state row also marks the file committed
 * for the guard of the file written behind it (`inFlightGuardSql`).
 */
function finish(
  session: ScriptSession,
  m: Migration,
  s: { stateSchema: string; appliedBy: string; held?: string },
  settings: TransactionSettings,
  message: ScriptMessage,
  mark = false,
): ScriptMessage {
  const reset = session.resetSql?.(settings);
  if (reset) message.own(reset);
  const row = { version: m.version, name: m.name, checksum: m.checksum, appliedBy: s.appliedBy };
  // One statement (an INSERT … RETURNING), its text new for every file.
  return message.own(insertAppliedTimedSql(s.stateSchema, row, mark, s.held), true, 1).own('COMMIT');
}

/** The execution time the state row recorded (measured by the server), from the answer to the message that wrote it. */
export function executionMs(message: ScriptMessage, result: ScriptResult): number {
  const [row] = [...message.rowsOf.keys()].flatMap((k) => result.rows.get(k) ?? []);
  return Number(row?.execution_ms ?? 0);
}

/** One message; a failure comes back as the error of the file's statement or check it belongs to. */
async function send(session: ScriptSession, m: Migration, message: ScriptMessage, watcher: BlockerWatcher): Promise<ScriptResult> {
  watcher.start();
  try {
    return await sendScript(session, m, message);
  } finally {
    watcher.pause();
  }
}

/** Writes the message; its answer, or the error put back on the file's statement or check. */
export async function sendScript(session: ScriptSession, m: Migration, message: ScriptMessage, onNotice?: (message: string) => void): Promise<ScriptResult> {
  try {
    return await session.script(message.pieces, new Set(message.rowsOf.keys()), onNotice);
  } catch (e) {
    throw located(session, m, message, e);
  }
}

export function located(session: ScriptSession, m: Migration, message: ScriptMessage, e: unknown): MigrationError {
  const where = message.locate(e as { position?: string; statementIndex?: number });
  const part = where?.part;
  if (part?.kind === 'statement') return statementError(m, part.statement, e, session.broken, present(where).position ?? null);
  if (part?.kind === 'check') return checkRunError(m, part.check, e, session.broken, present(where).position);
  // schemaguard's own statements (the state row, COMMIT), or a lost connection: the file, without a line.
  return statementError(m, null, e, session.broken, null);
}
