/**
 * Structured logs: one JSON object per line on stdout (CloudWatch Logs keeps
 * each line as one event, and Logs Insights parses the fields). Every value
 * goes through the Redactor first, so a password that reached a message by
 * accident is masked before it is written.
 */
import type { Redactor } from '../engine/redact';

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
