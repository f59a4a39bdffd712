/**
 * What CloudFormation shows when the deploy fails. The Provider framework
 * puts the thrown error's message (plus "Logs: /aws/lambda/…" and the stack
 * trace) in the response's Reason, and the whole response body must stay
 * within 4096 bytes — bytes of UTF-8 JSON, not characters: a message in CJK
 * takes three bytes a character, an emoji four. So the message is built from
 * the engine's typed fields, redacted, cut to a budget in those bytes (what
 * the response's other fields leave), and the stack is reduced to one line.
 *
 * PostgreSQL's DETAIL (`Key (email)=(ann@example.com) already exists`,
 * `Failing row contains (…)`) and the value a data exception quotes
 * (`invalid input syntax for type uuid: "…"`) are row data: they go to the
 * function's log, which the team controls, and the Reason — seen by whoever
 * may describe the stack's events — names the log stream instead.
 */
import { InputProblemsError, MigrationError } from '../engine/errors/errors';
import { permissionFix } from '../engine/apply/permission-fix';
import type { Redactor } from '../engine/errors/redact';
import { DEFAULT_STATE_SCHEMA } from '../engine/state/state';
import { ENV, FAILURE_RESPONSE_MARGIN_BYTES, GUARD_ROLE_PHYSICAL_ID_PREFIX, PHYSICAL_ID_PREFIX, RESPONSE_LIMIT_BYTES } from './constants';
import { CREATE_FAILED_MARKER, type OnEventRequest } from './request';

export interface FailureContext {
  handlerLogGroup?: string;
  databaseLogGroup?: string;
  /** The function's log stream of this invocation, where a left-out detail is. @default - the handler's log group is named alone */
  logStream?: string;
  /** The state schema, named in a permission error's fix. @default 'schemaguard' */
  stateSchema?: string;
  /** The message's budget, in bytes of its JSON text (`reasonBudgetBytes`). @default - for a request with the longest ids CloudFormation sends */
  budgetBytes?: number;
}

/** The role in a permission fix: the function knows it only once the secret is read. */
const SECRET_ROLE = "<the database secret's user>";

/** Budgets of the parts, in bytes; the whole is cut again to the response's budget. */
const PART_BYTES = { message: 1400, detail: 500, hint: 350, fix: 700 } as const;

export class SchemaMigrationFailedError extends Error {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super(message, options);
    this.name = 'SchemaMigrationFailedError';
    // The Lambda runtime sends the stack as the error's trace and the framework
    // appends it to the Reason: one line keeps the response under 4 KB.
    this.stack = `${this.name}: ${message}`;
  }
}

/** Bytes `text` takes inside a JSON string: UTF-8, with JSON's escapes (a quote, a backslash, a control character). */
export function jsonBytes(text: string): number {
  return Buffer.byteLength(JSON.stringify(text)) - 2;
}

/**
 * `text` cut to at most `maxBytes` bytes of JSON text (`jsonBytes`), with a
 * marker saying how much went. Cut between code points: a surrogate pair
 * (an emoji) is kept whole or left out whole.
 */
export function cut(text: string, maxBytes: number): string {
  const total = jsonBytes(text);
  if (total <= maxBytes) return text;
  // The marker's own size, with room for the count's digits.
  const marker = (n: number) => ` …[cut ${n} bytes]`;
  const room = Math.max(0, maxBytes - jsonBytes(marker(total)));
  let used = 0;
  let end = 0;
  for (const ch of text) {
    const size = jsonBytes(ch);
    if (used + size > room) break;
    used += size;
    end += ch.length;
  }
  return `${text.slice(0, end)}${marker(total - used)}`;
}

/**
 * The failure message's budget for this request: the response limit less its
 * other fields (as the framework sends them: Status, StackId, RequestId, the
 * longest physical id it may answer, LogicalResourceId) and less the margin
 * for what the framework appends to the Reason.
 */
export function reasonBudgetBytes(event: Partial<OnEventRequest> | undefined): number {
  const str = (v: unknown) => (typeof v === 'string' ? v : '');
  const logical = str(event?.LogicalResourceId);
  const physical = [
    str(event?.PhysicalResourceId),
    `${PHYSICAL_ID_PREFIX}-${logical}`,
    `${GUARD_ROLE_PHYSICAL_ID_PREFIX}-${'r'.repeat(63)}`,
    CREATE_FAILED_MARKER,
  ].reduce((a, b) => (jsonBytes(b) > jsonBytes(a) ? b : a));
  const envelope = Buffer.byteLength(
    JSON.stringify({
      Status: 'FAILED',
      Reason: '',
      StackId: str(event?.StackId),
      RequestId: str(event?.RequestId),
      PhysicalResourceId: physical,
      LogicalResourceId: logical,
    }),
  );
  return Math.max(1000, RESPONSE_LIMIT_BYTES - envelope - FAILURE_RESPONSE_MARGIN_BYTES);
}

/** For a request with the longest ids CloudFormation sends (a 128-character stack name, 255-character logical id). */
const DEFAULT_BUDGET_BYTES = reasonBudgetBytes({
  StackId: `arn:aws:cloudformation:ap-southeast-3:111111111111:stack/${'s'.repeat(128)}/00000000-0000-0000-0000-000000000000`,
  RequestId: '00000000-0000-0000-0000-000000000000',
  LogicalResourceId: 'L'.repeat(255),
});

/** Said with a failed contract: the deploy's migrations stay applied, and the way forward is a new one. */
export const CONTRACT_AFTER_MIGRATING =
  "note: any migration this deploy applied stays applied (CloudFormation's rollback does not undo it): fix forward with a new migration file, never by editing an applied one";

/** The fix of an InputProblemsError in a reason, which has no room for each problem's own. */
export const PROBLEMS_FIX = 'run schemaguard lint (or plan) on the migrations directory: it names each problem with its fix; nothing was run';

/**
 * An InputProblemsError's problems without their fixes, as many whole as
 * fit in the message's and the fix's budgets (an input error has no detail
 * or hint), and how many did not.
 */
function problemList(e: InputProblemsError, clean: (text: string) => string): string {
  const budget = PART_BYTES.message + PART_BYTES.detail + PART_BYTES.hint;
  let text = `${e.total} problems in the migration files:`;
  for (const [k, p] of e.problems.entries()) {
    const item = ` (${k + 1}) ${cut(clean(p.message), PART_BYTES.message)}`;
    const rest = e.total - k - 1;
    const more = rest > 0 ? ` … and ${rest} more` : '';
    if (jsonBytes(text + item + more) > budget) return `${text} … and ${e.total - k} more`;
    text += item;
  }
  return e.total > e.problems.length ? `${text} … and ${e.total - e.problems.length} more` : text;
}

/** A data exception's message (class 22) without the value it quotes at its end: `invalid input syntax for type uuid: "…"`. */
function withoutValue(e: MigrationError): string {
  return e.sqlstate?.startsWith('22') ? e.message.replace(/: "[\s\S]*"$/, ': "…"') : e.message;
}

/** Where the detail left out of the Reason is. */
function inTheLog(ctx: FailureContext): string {
  const where = ctx.logStream ? `log stream ${ctx.logStream}` : 'log stream of this invocation';
  return `PostgreSQL's detail (row data) is not shown here: it is in the ${where}${ctx.handlerLogGroup ? ` of ${ctx.handlerLogGroup}` : ''}`;
}

/** Build the failure error from whatever was thrown (engine error, SDK error, bug). */
export function toFailure(e: unknown, redactor: Redactor, ctx: FailureContext): SchemaMigrationFailedError {
  // Redacted before it is cut: a cut must never leave part of a password behind.
  const clean = (text: string) => redactor.redact(text).replace(/\s+/g, ' ');
  const parts: string[] = [];
  if (e instanceof MigrationError) {
    // Where first: a long PostgreSQL message must not push the location out of the budget.
    const where = [
      e.file ? `${e.name === 'ContractFailedError' ? 'contract' : 'migration'} ${e.file}` : undefined,
      e.line !== undefined ? `line ${e.line}` : undefined,
      e.sqlstate ? `SQLSTATE ${e.sqlstate}` : undefined,
    ]
      .filter(Boolean)
      .join(', ');
    if (where) parts.push(`[${clean(where)}]`);
    parts.push(`${e.name}: ${e instanceof InputProblemsError ? problemList(e, clean) : cut(clean(withoutValue(e)), PART_BYTES.message)}`);
    if (e.detail || withoutValue(e) !== e.message) parts.push(`detail: ${cut(clean(inTheLog(ctx)), PART_BYTES.detail)}`);
    if (e.hint) parts.push(`hint: ${cut(clean(e.hint), PART_BYTES.hint)}`);
    const fix =
      e instanceof InputProblemsError ? PROBLEMS_FIX : (e.fix ?? permissionFix(e, SECRET_ROLE, ctx.stateSchema ?? DEFAULT_STATE_SCHEMA, ENV.stateSchema));
    if (fix) parts.push(`fix: ${cut(clean(fix), PART_BYTES.fix)}`);
    // The contracts run after migrating: what this deploy applied stays, and editing it would be a changed checksum next time.
    if (e.name === 'ContractFailedError') parts.push(CONTRACT_AFTER_MIGRATING);
  } else {
    const err = e instanceof Error ? e : new Error(String(e));
    parts.push(clean(`${err.name}: ${err.message}`));
  }
  const logs = [
    ctx.handlerLogGroup ? `handler log group ${ctx.handlerLogGroup}` : undefined,
    ctx.databaseLogGroup ? `database log group ${ctx.databaseLogGroup}` : undefined,
  ].filter(Boolean);
  // The log groups go last but are never cut away: the body is cut first.
  const tail = logs.length ? ` | see ${logs.join('; ')}` : '';
  const budget = ctx.budgetBytes ?? DEFAULT_BUDGET_BYTES;
  return new SchemaMigrationFailedError(`${cut(parts.join(' | '), budget - jsonBytes(tail))}${tail}`, { cause: e });
}
