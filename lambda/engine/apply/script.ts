/**
 * A transactional migration as simple-query messages (`Session.script`): the
 * text the server receives, and what each statement in it is, so that an
 * error the server reports for the whole text can be put back on the file's
 * line.
 *
 * The file's statements go in as the splitter cut them, one after another,
 * each closed by a newline and `;` (the newline ends a `--` comment the
 * statement may end with). Between the file's statements the text holds
 * schemaguard's own (BEGIN, the timeouts, the checks, the session reset, the
 * state row, COMMIT), each a part of its own.
 *
 * PostgreSQL reports where an error is in two ways, both kept here: `position`
 * (1-based, in characters — Unicode code points — of the whole message) for
 * errors found while parsing or analysing a statement, and, for the others (a
 * unique violation, a lock timeout), how many statements completed before it
 * (`statementIndex`, from the driver).
 */
import type { TransactionSettings } from '../ports';
import type { Check } from '../files/source';
import { splitSql, type SqlStatement } from '../sql/splitter';
import { fileComment } from '../lock/applying-file';

/** What a stretch of the message is. */
export type ScriptPart = { kind: 'own'; sql: string } | { kind: 'statement'; statement: SqlStatement } | { kind: 'check'; check: Check; index: number };

interface Placed {
  part: ScriptPart;
  /** UTF-16 offset of the part's first character in the message. */
  start: number;
  /** Statements the part holds. */
  count: number;
  /** Index of the part's first statement in the message. */
  first: number;
}

/** Where an error happened: the part, and (with a `position`) the 1-based character in the part's text. */
export interface ScriptLocation {
  part: ScriptPart;
  /** 1-based, in UTF-16 units of the part's text, as `lineOfPosition` reads it. */
  position?: number;
}

/**
 * BEGIN and the transaction's timeouts (integers the engine computed, not
 * user text); with `guard` (an SQL condition), a division by zero (22012)
 * unless it holds, before anything of the file runs.
 */
export function transactionStartSql(s: TransactionSettings, guard?: string, file?: string): string {
  // One SELECT for both (each statement of a message costs the server a little, for every file).
  const calls = localTimeoutCalls(s);
  // SQL has no "stop unless": dividing by zero (22012) when the guard is false fails BEGIN's part of the message, so
  // nothing of the file runs and the rest of the message is skipped; the pipeline reads 22012 here as the guard (isGuard).
  if (guard) calls.push(`1 / (CASE WHEN ${guard} THEN 1 ELSE 0 END) AS guard`);
  return `${file ? fileComment(file) : ''}BEGIN; SELECT ${calls.join(', ')}`;
}

/** The transaction's timeouts as set_config calls for a SELECT (`set_config(…, true)` is SET LOCAL). */
export function localTimeoutCalls(s: TransactionSettings): string[] {
  return [`set_config('lock_timeout', '${int(s.lockTimeoutMs)}', true)`, `set_config('statement_timeout', '${int(s.statementTimeoutMs)}', true)`];
}

/** A check's rows (`checkSql`) as objects of PostgreSQL's text of each value (null for NULL). */
export function checkRowsAsText(rows: readonly Record<string, unknown>[]): Record<string, string | null>[] {
  return rows.map((r) => {
    const names = JSON.parse(String(r.schemaguard_columns ?? '[]')) as string[] | null;
    const values = recordFields(String(r.schemaguard_row ?? '()'));
    return Object.fromEntries((names ?? []).map((name, k) => [name, values[k] ?? null]));
  });
}

/** The fields of a record literal (`(1,"a b",,\x00ff)`): quoted ones unescaped, empty ones NULL. */
export function recordFields(text: string): (string | null)[] {
  const out: (string | null)[] = [];
  let i = 1;
  while (i < text.length) {
    if (text[i] === ',' || text[i] === ')') {
      out.push(null);
      i++;
      continue;
    }
    let value = '';
    if (text[i] === '"') {
      for (i++; i < text.length; i++) {
        const c = text[i];
        if (c === '\\' || (c === '"' && text[i + 1] === '"')) value += text[++i];
        else if (c === '"') break;
        else value += c;
      }
      i++;
    } else {
      while (i < text.length && text[i] !== ',' && text[i] !== ')') value += text[i++];
    }
    out.push(value);
    i++;
  }
  return out;
}

function int(ms: number): number {
  if (!Number.isFinite(ms) || ms < 0) return 0;
  return Math.min(Math.floor(ms), 2_147_483_647);
}

/**
 * Wraps a check so a check that returns millions of rows costs at most
 * `limit` + 1, each row as PostgreSQL prints it, the same through every
 * driver: its column names (a JSON array) and the row's text (a record
 * literal of each value's text output, as psql shows it: `2024-01-31`,
 * `2024-01-31 23:30:00`, `\x00ff`), read back by `checkRowsAsText`.
 */
export const CHECK_PREFIX =
  'SELECT (SELECT json_agg(k) FROM json_object_keys(row_to_json(schemaguard_check)) AS k)::text AS schemaguard_columns, schemaguard_check::text AS schemaguard_row FROM (\n';
export function checkSql(check: Check, limit: number): string {
  return `${CHECK_PREFIX}${check.statement.text}\n) AS schemaguard_check LIMIT ${limit + 1}`;
}

/** How many statements `transactionStartSql` returns: BEGIN and one SELECT, with a guard or without. */
export const TRANSACTION_START_STATEMENTS = 2;

/**
 * How many statements a piece of schemaguard's own SQL holds (remembered: the
 * same few texts recur for every file). The texts that change with every file
 * (the guard's version, the state row) come with their count instead: lexing
 * them for every file would cost more than parsing the files.
 */
const ownCounts = new Map<string, number>();
function statementsIn(sql: string): number {
  let n = ownCounts.get(sql);
  if (n === undefined) {
    n = splitSql(sql).length;
    if (ownCounts.size < 100) ownCounts.set(sql, n);
  }
  return n;
}

export class ScriptMessage {
  private readonly texts: (string | Uint8Array)[] = [];
  private readonly placed: Placed[] = [];
  private length = 0;
  private statements = 0;
  /** Indexes (in the message) of the statements whose rows the engine reads, and which part each is. */
  readonly rowsOf = new Map<number, ScriptPart>();

  /** schemaguard's own statements; `rows`: its (last) statement's rows are wanted; `count`: how many statements `sql` holds, when the caller knows. */
  own(sql: string, rows = false, count = statementsIn(sql)): this {
    if (rows) this.rowsOf.set(this.statements + count - 1, { kind: 'own', sql });
    return this.add({ kind: 'own', sql }, [sql], sql.length, count);
  }

  statement(statement: SqlStatement): this {
    const long = statement.textPieces;
    if (long) return this.add({ kind: 'statement', statement }, long.bytes, long.length, 1);
    return this.add({ kind: 'statement', statement }, [statement.text], statement.text.length, 1);
  }

  check(check: Check, index: number, limit: number): this {
    const part: ScriptPart = { kind: 'check', check, index };
    this.rowsOf.set(this.statements, part);
    const sql = checkSql(check, limit);
    return this.add(part, [sql], sql.length, 1);
  }

  /** The message's first part. */
  get first(): ScriptPart | undefined {
    return this.placed[0]?.part;
  }

  /** Characters so far (to keep a message to a bounded size). */
  get size(): number {
    return this.length;
  }

  /** The message's text, in the pieces it was built from (the session sends them as one): strings, and a long statement's UTF-8. */
  get pieces(): readonly (string | Uint8Array)[] {
    return this.texts;
  }

  get sql(): string {
    return this.texts.map((t) => decoded(t)()).join('');
  }

  /** The part an error of this message belongs to. */
  locate(error: { position?: string | number; statementIndex?: number }): ScriptLocation | undefined {
    const position = error.position === undefined ? undefined : Number(error.position);
    if (position !== undefined && Number.isInteger(position) && position >= 1) {
      const at = utf16OffsetInParts(this.texts.map(decoded), position);
      const p = this.last((x) => x.start <= at);
      if (p) return { part: p.part, position: at - p.start + 1 };
    }
    const index = error.statementIndex;
    if (index === undefined) return undefined;
    const p = this.last((x) => x.first <= index && x.count > 0);
    return p && { part: p.part };
  }

  /** `text`: the part's text in pieces (a long statement's as UTF-8, as the scanner kept it), `length` characters in all: sent as they are, never joined. */
  private add(part: ScriptPart, text: readonly (string | Uint8Array)[], length: number, count: number): this {
    this.placed.push({ part, start: this.length, count, first: this.statements });
    this.texts.push(...text, '\n;\n');
    this.length += length + 3;
    this.statements += count;
    return this;
  }

  private last(match: (p: Placed) => boolean): Placed | undefined {
    for (let k = this.placed.length - 1; k >= 0; k--) if (match(this.placed[k])) return this.placed[k];
    return undefined;
  }
}

/** The UTF-16 offset of the 1-based code-point `position` in `text` (PostgreSQL counts characters, JavaScript UTF-16 units). */
export function utf16Offset(text: string, position: number): number {
  return utf16OffsetInParts([() => text], position);
}

/**
 * utf16Offset in the text that `parts` make, each part read (a long
 * statement's UTF-8 decoded) only when reached: an error deep inside a
 * 16 MiB statement never decodes the message whole. No part ends inside a
 * character (the scanner cuts a long statement between characters).
 */
function utf16OffsetInParts(parts: readonly (() => string)[], position: number): number {
  let offset = 0;
  let n = 1;
  for (const part of parts) {
    const text = part();
    let k = 0;
    for (; n < position && k < text.length; n++) {
      const c = text.charCodeAt(k);
      k += c >= 0xd800 && c <= 0xdbff ? 2 : 1;
    }
    offset += k;
    if (n >= position) break;
  }
  return offset;
}

/** A piece of a message's text, read when called. */
function decoded(t: string | Uint8Array): () => string {
  return typeof t === 'string' ? () => t : () => Buffer.from(t.buffer, t.byteOffset, t.byteLength).toString('utf8');
}
