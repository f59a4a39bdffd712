/**
 * What CloudFormation shows when the deploy fails. The Provider framework
 * puts the thrown error's message (plus "Logs: /aws/lambda/…" and the stack
 * trace) in the response's Reason, and the whole response must stay under
 * 4 KB — so the message is built from the engine's typed fields, redacted,
 * cut to a budget, and the stack is reduced to one line.
 */
import { MigrationError } from '../engine/errors';
import { permissionFix } from '../engine/permission-fix';
import type { Redactor } from '../engine/redact';
import { DEFAULT_STATE_SCHEMA } from '../engine/state';
import { ENV, FAILURE_MESSAGE_MAX_CHARS } from './constants';

export interface FailureContext {
  handlerLogGroup?: string;
  databaseLogGroup?: string;
  /** The state schema, named in a permission error's fix. @default 'schemaguard' */
  stateSchema?: string;
}

/** The role in a permission fix: the function knows it only once the secret is read. */
const SECRET_ROLE = '<the database secret\'s user>';

export class SchemaMigrationFailedError extends Error {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super(message, options);
    this.name = 'SchemaMigrationFailedError';
    // The Lambda runtime sends the stack as the error's trace and the framework
    // appends it to the Reason: one line keeps the response under 4 KB.
    this.stack = `${this.name}: ${message}`;
  }
}

export function cut(text: string, max: number): string {
  if (text.length <= max) return text;
  const marker = ` …[cut ${text.length - max + 20} chars]`;
  return `${text.slice(0, Math.max(0, max - marker.length))}${marker}`;
}

/** Build the failure error from whatever was thrown (engine error, SDK error, bug). */
export function toFailure(e: unknown, redactor: Redactor, ctx: FailureContext): SchemaMigrationFailedError {
  const parts: string[] = [];
  if (e instanceof MigrationError) {
    // Where first: a long PostgreSQL message must not push the location out of the budget.
    const where = [
      e.file ? `${e.name === 'ContractFailedError' ? 'contract' : 'migration'} ${e.file}` : undefined,
      e.line !== undefined ? `line ${e.line}` : undefined,
      e.sqlstate ? `SQLSTATE ${e.sqlstate}` : undefined,
    ].filter(Boolean).join(', ');
    if (where) parts.push(`[${where}]`);
    parts.push(`${e.name}: ${cut(e.message, 900)}`);
    if (e.detail) parts.push(`detail: ${cut(e.detail, 300)}`);
    if (e.hint) parts.push(`hint: ${cut(e.hint, 200)}`);
    const fix = e.fix ?? permissionFix(e, SECRET_ROLE, ctx.stateSchema ?? DEFAULT_STATE_SCHEMA, ENV.stateSchema);
    if (fix) parts.push(`fix: ${cut(fix, 450)}`);
  } else {
    const err = e instanceof Error ? e : new Error(String(e));
    parts.push(`${err.name}: ${err.message}`);
  }
  const logs = [
    ctx.handlerLogGroup ? `handler log group ${ctx.handlerLogGroup}` : undefined,
    ctx.databaseLogGroup ? `database log group ${ctx.databaseLogGroup}` : undefined,
  ].filter(Boolean);
  // The log groups go last but are never cut away: the body is cut first.
  const tail = logs.length ? ` | see ${logs.join('; ')}` : '';
  const body = redactor.redact(parts.join(' | ').replace(/\s+/g, ' '));
  return new SchemaMigrationFailedError(`${cut(body, FAILURE_MESSAGE_MAX_CHARS - tail.length)}${tail}`, { cause: e });
}
