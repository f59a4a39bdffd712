/**
 * Structured logs: one JSON object per line on stdout (CloudWatch Logs keeps
 * each line as one event, and Logs Insights parses the fields). Every value
 * goes through the Redactor first, so a password that reached a message by
 * accident is masked before it is written.
 */
import type { Redactor } from '../engine/errors/redact';
import type { MigrateResult, RunEvent } from '../engine/runner';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

export interface Logger {
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

export type LineWriter = (line: string) => void;

export const stdoutWriter: LineWriter = (line) => {
  process.stdout.write(`${line}\n`);
};

export function createLogger(redactor: Redactor, write: LineWriter, base: Record<string, unknown> = {}): Logger {
  const emit = (level: LogLevel, message: string, fields: Record<string, unknown> = {}): void => {
    const record = redactor.redactValue({ level, time: new Date().toISOString(), message, ...base, ...fields });
    let line: string;
    try {
      line = JSON.stringify(record, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v));
    } catch {
      line = JSON.stringify({ level, time: new Date().toISOString(), message: redactor.redact(message), note: 'fields could not be serialised' });
    }
    write(line);
  };
  return {
    info: (m, f) => emit('info', m, f),
    warn: (m, f) => emit('warn', m, f),
    error: (m, f) => emit('error', m, f),
  };
}

/** The engine's progress, one record per event. */
export function logRunEvent(log: Logger, e: RunEvent): void {
  switch (e.type) {
    case 'lock-wait':
      log.info('waiting for another runner', { holders: e.holders.map((h) => h.pid) });
      break;
    case 'lock-acquired':
      log.info('runner lock acquired', { waitedMs: e.waitedMs });
      break;
    case 'plan':
      log.info('plan', { pending: e.pending, applied: e.applied });
      break;
    case 'migration-start':
      log.info('migration started', { file: e.migration.file });
      break;
    case 'migration-applied':
      log.info('migration applied', { file: e.migration.file, executionMs: e.executionMs, attempts: e.attempts });
      break;
    case 'retry':
      log.warn('lock timeout; retrying', { file: e.migration.file, attempt: e.attempt, delayMs: e.delayMs, error: e.message });
      break;
    case 'note':
      log.info(e.message);
      break;
    case 'deadline':
      log.info('stopping before the invocation runs out of time; the next isComplete continues', { remaining: e.remaining.map((m) => m.file) });
      break;
    case 'backfill':
      log.info('backfill', { ...e.progress });
      break;
  }
}

/** One record per invocation's run, whatever it did. */
export function logRunFinished(log: Logger, result: MigrateResult, elapsedMs: number): void {
  log.info('run finished', {
    outcome: result.outcome,
    applied: result.applied.map((a) => a.file),
    remaining: result.remaining,
    currentVersion: result.currentVersion,
    appliedCount: result.appliedCount,
    elapsedMs,
  });
}
