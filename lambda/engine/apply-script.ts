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
import { checkFailure, checkRunError, CHECK_COUNT_LIMIT, statementError } from './apply-errors';
import type { BlockerWatcher } from './blockers';
import type { MigrationError } from './errors';
import type { ScriptResult, Session, TransactionSettings } from './ports';
import { ScriptMessage, transactionStartSql } from './script';
import { bodyBatches, runsOutsideTransaction, type Migration } from './source';
import { insertAppliedTimedSql } from './state';

/** About this many characters of SQL per message. */
export const MESSAGE_CHARS = 64 * 1024;

export type ScriptSession = Session & Required<Pick<Session, 'script'>>;
type Row = Record<string, unknown>;

/** One attempt at the migration; returns its execution time. Throws with the file's line; the caller rolls back. */
export async function scriptAttempt(
  session: ScriptSession, m: Migration, s: { stateSchema: string; appliedBy: string }, settings: TransactionSettings, watcher: BlockerWatcher,
): Promise<number> {
  let message = new ScriptMessage().own(transactionStartSql(settings));
  // One batch ahead: the last one travels with the checks or with COMMIT, and a
  // large file is known unchanged (bodyBatches) before that message is sent.
  const batches = bodyBatches(m, MESSAGE_CHARS);
  for (let next = batches.next(); !next.done;) {
    for (const statement of next.value) message.statement(statement);
    next = batches.next();
    if (next.done) break;
    await send(session, m, message, watcher);
    message = new ScriptMessage();
  }
  if (m.checks.length) {
    m.checks.forEach((check, k) => message.check(check, k, CHECK_COUNT_LIMIT));
    const result = await send(session, m, message, watcher);
    for (const [index, part] of message.rowsOf) {
      const failed = part.kind === 'check' ? checkFailure(m, part.check, result.rows.get(index) ?? []) : undefined;
      if (failed) throw failed;
    }
    message = new ScriptMessage();
  }
  const insert = endTransaction(session, message, m, s, settings);
  const result = await send(session, m, message, watcher);
  return executionMs(result.rows.get(insert));
}

/** The file's session state ends with its checks (the driver's reset), then the state row and COMMIT; returns the index of the state row. */
function endTransaction(session: ScriptSession, message: ScriptMessage, m: Migration, s: { stateSchema: string; appliedBy: string }, settings: TransactionSettings): number {
  const reset = session.resetSql?.(settings);
  if (reset) message.own(reset);
  message.own(insertAppliedTimedSql(s.stateSchema, { version: m.version, name: m.name, checksum: m.checksum, appliedBy: s.appliedBy }), true);
  const insert = message.lastIndex;
  message.own('COMMIT');
  return insert;
}

function executionMs(rows: Row[] | undefined): number {
  return Number(rows?.[0]?.execution_ms ?? 0);
}

/** The most migrations one message holds. */
export const BATCH_MIGRATIONS = 100;

/**
 * The migrations from `pending[from]` on that can share a message: held in
 * memory, in a transaction, without checks, up to MESSAGE_CHARS of SQL and
 * BATCH_MIGRATIONS files. Fewer than two: none (the file goes alone).
 */
export function batchFrom(pending: readonly Migration[], from: number): Migration[] {
  const batch: Migration[] = [];
  let size = 0;
  for (let k = from; k < pending.length && batch.length < BATCH_MIGRATIONS; k++) {
    const m = pending[k]!;
    const held = Object.getOwnPropertyDescriptor(m, 'statements')?.get === undefined;
    if (!held || m.checks.length || runsOutsideTransaction(m)) break;
    size += m.statements.reduce((n, st) => n + st.text.length, 0);
    if (batch.length > 0 && size > MESSAGE_CHARS) break;
    batch.push(m);
  }
  return batch.length > 1 ? batch : [];
}

/** What a batch tells its caller as the server works through it. */
export interface BatchHooks {
  /** The server starts on `m` (its notices are its). */
  running(m: Migration): void;
  /** `m` committed, in `executionMs`. */
  committed(m: Migration, executionMs: number): void;
}

/**
 * Several small migrations in one message, each in a transaction of its own
 * — BEGIN … state row … COMMIT, one after the other — so the server runs them
 * back to back, without waiting for the client between them. The server
 * stops at the first error: the migrations before it are committed (each
 * reported as its COMMIT completes, while the rest still runs), the failing
 * one is left open to roll back, the ones after it never start. Only for
 * files held in memory, without checks, in a transaction.
 */
export async function scriptBatch(
  session: ScriptSession, batch: Migration[], s: { stateSchema: string; appliedBy: string },
  settingsOf: (m: Migration) => TransactionSettings, watcher: BlockerWatcher, hooks: BatchHooks,
): Promise<void> {
  const message = new ScriptMessage();
  const ends = new Map<number, { m: Migration; insert: number; next?: Migration }>();
  batch.forEach((m, k) => {
    message.of(m).own(transactionStartSql(settingsOf(m)));
    for (const statement of m.statements) message.statement(statement);
    const insert = endTransaction(session, message, m, s, settingsOf(m));
    ends.set(message.lastIndex, { m, insert, next: batch[k + 1] });
  });
  const rows = new Map<number, Row[] | undefined>();
  hooks.running(batch[0]!);
  await send(session, batch[0]!, message, watcher, (index, r) => {
    if (r) rows.set(index, r);
    const end = ends.get(index);
    if (!end) return;
    hooks.committed(end.m, executionMs(rows.get(end.insert)));
    if (end.next) hooks.running(end.next);
  });
}

/** One message; a failure comes back as the error of the file's statement or check it belongs to. */
async function send(
  session: ScriptSession, m: Migration, message: ScriptMessage, watcher: BlockerWatcher, onComplete?: (index: number, rows: Row[] | undefined) => void,
): Promise<ScriptResult> {
  watcher.start();
  try {
    return await session.script(message.pieces, new Set(message.rowsOf.keys()), onComplete);
  } catch (e) {
    throw located(session, m, message, e);
  } finally {
    watcher.pause();
  }
}

function located(session: ScriptSession, first: Migration, message: ScriptMessage, e: unknown): MigrationError {
  const where = message.locate(e as { position?: string; statementIndex?: number });
  const m = where?.migration ?? first;
  const part = where?.part;
  if (part?.kind === 'statement') return statementError(m, part.statement, e, session.broken, where!.position ?? null);
  if (part?.kind === 'check') return checkRunError(m, part.check, e, session.broken, where!.position);
  // schemaguard's own statements (the state row, COMMIT), or a lost connection: the file, without a line.
  return statementError(m, null, e, session.broken, null);
}
