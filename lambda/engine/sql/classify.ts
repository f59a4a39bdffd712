/**
 * What kind of statement a piece of SQL is, read from its words outside
 * strings and comments (see `lexer.ts`): the one answer to "may this run in a
 * transaction block?" for the migration loader, the runner and the drivers.
 *
 * A function or DO body is a string to it, except a DO body that COMMITs or
 * ROLLBACKs (a batched backfill): like CALL, it can end transactions only
 * outside a transaction block (2D000), so it is read into. Any other word in
 * a body is left to PostgreSQL to refuse when the block runs.
 */
import { dollarTag, isComment, lexSql, type Token } from './lexer';
import { textIncludes } from './splitter';
import { present } from '../errors/present';

export type StatementKind =
  /** BEGIN, COMMIT, ROLLBACK, END, ABORT, SAVEPOINT, RELEASE, START TRANSACTION, PREPARE TRANSACTION, COMMIT/ROLLBACK PREPARED. */
  | 'transaction-control'
  /**
   * CONCURRENTLY anywhere in the statement (CREATE/DROP INDEX, REINDEX, DETACH
   * PARTITION …): cannot run in a transaction block. REFRESH MATERIALIZED VIEW
   * CONCURRENTLY is the exception: it can, and is not this kind.
   */
  | 'concurrently'
  /**
   * VACUUM, CREATE/DROP DATABASE, CREATE/DROP TABLESPACE, ALTER SYSTEM, CLUSTER
   * without a table, REINDEX SCHEMA/DATABASE/SYSTEM, DISCARD ALL, ALTER
   * DATABASE … SET TABLESPACE, CREATE SUBSCRIPTION that creates its slot, and
   * ALTER SUBSCRIPTION … REFRESH PUBLICATION, or SET/ADD/DROP PUBLICATION with
   * its default refresh. What PostgreSQL refuses by the catalog, not the words
   * (DROP SUBSCRIPTION of one with a slot, CLUSTER or REINDEX of a partitioned
   * table), is not this kind: the server refuses it (25001) when it runs.
   */
  | 'no-transaction-block'
  /** CALL: the procedure may COMMIT, which it can only do when not called inside a transaction block. */
  | 'call'
  /** DO whose body has COMMIT or ROLLBACK (outside the body's strings and comments): like CALL, it ends transactions only when not run inside a transaction block. */
  | 'do-commits'
  /** SELECT, WITH, VALUES, TABLE: returns rows and can be wrapped as a subquery. */
  | 'query'
  /** SHOW, EXPLAIN, and a cursor's DECLARE, FETCH, MOVE, CLOSE (DECLARE takes only a query): returns rows or none, cannot be a subquery. */
  | 'read'
  | 'other';

export interface StatementClass {
  kind: StatementKind;
  /** The words that decided the kind, upper-cased for messages: `BEGIN`, `START TRANSACTION`, `CONCURRENTLY`, `CREATE DATABASE`, `SELECT`. */
  keyword: string;
  /** Line of the deciding word (the CONCURRENTLY for kind `concurrently`, else the statement's first line). */
  line: number;
}

/** The words of a statement, as the splitter reports them (`SqlStatement` fits). */
export interface StatementWords {
  /** Lower-cased words outside strings and comments, in order. */
  words: readonly string[];
  /** Line of each word. */
  wordLines: readonly number[];
  /** Line of the statement's first token. */
  line: number;
  /** The statement text; read only for a DO block's body. Without it a DO block is kind `other`. */
  text?: string;
}

const TRANSACTION_CONTROL_FIRST = new Set(['begin', 'commit', 'rollback', 'end', 'abort', 'savepoint', 'release']);
const TRANSACTION_CONTROL_TWO = new Set(['start transaction', 'prepare transaction', 'commit prepared', 'rollback prepared']);
/** Statements PostgreSQL refuses inside a transaction block ("… cannot run inside a transaction block", SQLSTATE 25001). */
const NO_TRANSACTION_BLOCK = ['vacuum', 'create database', 'drop database', 'create tablespace', 'drop tablespace', 'alter system'];
/** The same, by first word (every statement is classified: this is on the path of every file read). */
const NO_TRANSACTION_BLOCK_BY_FIRST = new Map<string, string[]>();
for (const words of NO_TRANSACTION_BLOCK) {
  const first = words.split(' ')[0];
  NO_TRANSACTION_BLOCK_BY_FIRST.set(first, [...(NO_TRANSACTION_BLOCK_BY_FIRST.get(first) ?? []), words]);
}
const REINDEX_OBJECTS = new Set(['index', 'table', 'schema', 'database', 'system']);
const MANY_TABLES = new Set(['schema', 'database', 'system']);
const QUERY = new Set(['select', 'with', 'values', 'table']);
/** Words a DO block's body may end its transaction with: looked for before the body is read whole. */
export const TRANSACTION_WORDS = /commit|rollback/i;
const READ = new Set(['show', 'explain', 'declare', 'fetch', 'move', 'close']);

export function classifyStatement(s: StatementWords): StatementClass {
  const first = s.words[0] ?? '';
  const two = leadingWords(s.words, 2);
  const at = (kind: StatementKind, keyword: string, line = s.line): StatementClass => ({ kind, keyword: keyword.toUpperCase(), line });
  if (TRANSACTION_CONTROL_FIRST.has(first) || TRANSACTION_CONTROL_TWO.has(two)) {
    return at('transaction-control', two === 'start transaction' ? two : first);
  }
  const concurrently = s.words.indexOf('concurrently');
  if (concurrently >= 0 && leadingWords(s.words, 3) !== 'refresh materialized view' && !concurrentlyOff(s, first)) {
    return at('concurrently', 'concurrently', s.wordLines[concurrently] ?? s.line);
  }
  const refused = NO_TRANSACTION_BLOCK_BY_FIRST.get(first)?.find((words) => words === first || words === two);
  if (refused) return at('no-transaction-block', refused);
  const byForm = refusedByForm(s, two);
  if (byForm) return at('no-transaction-block', byForm);
  // CLUSTER [VERBOSE] without a table re-clusters every table, one transaction each.
  if (first === 'cluster' && s.words.slice(1).every((w) => w === 'verbose')) return at('no-transaction-block', first);
  // REINDEX SCHEMA / DATABASE / SYSTEM rebuild table after table, one transaction each (options in parentheses come first).
  if (first === 'reindex' && MANY_TABLES.has(s.words.slice(1).find((w) => REINDEX_OBJECTS.has(w)) ?? '')) return at('no-transaction-block', first);
  if (first === 'call') return at('call', first);
  // The words first, a part at a time: a long block's text is decoded whole only when it may hold one.
  if (first === 'do' && textIncludes(s, TRANSACTION_WORDS) && doBodyEndsTransactions(present(s.text))) return at('do-commits', first);
  if (QUERY.has(first)) return at('query', first);
  if (READ.has(first)) return at('read', first);
  return at('other', first);
}

/**
 * The statements PostgreSQL refuses in a transaction block in some forms only
 * (PreventInTransactionBlock's callers, PostgreSQL 15 to 18): the words of its
 * message when this form is one, else undefined.
 */
function refusedByForm(s: StatementWords, two: string): string | undefined {
  const words = s.words;
  if (two === 'discard all') return two;
  if (two === 'alter database' && followedBy(words, 'set', 'tablespace', 2)) return 'alter database set tablespace';
  // create_slot is true unless set false, or unless connect = false (whose default is no slot).
  if (two === 'create subscription') {
    const slot = optionValue(s, 'create_slot', 'with');
    return slot === true || (slot === 'absent' && [true, 'absent'].includes(optionValue(s, 'connect', 'with'))) ? 'create subscription' : undefined;
  }
  if (two !== 'alter subscription') return undefined;
  if (followedBy(words, 'refresh', 'publication', 2)) return 'alter subscription refresh publication';
  const change = ['set', 'add', 'drop'].find((w) => followedBy(words, w, 'publication', 2));
  return change && [true, 'absent'].includes(optionValue(s, 'refresh', 'with')) ? `alter subscription ${change} publication` : undefined;
}

/**
 * REINDEX (CONCURRENTLY false) / (CONCURRENTLY 'off') / (CONCURRENTLY 0): a
 * plain REINDEX, which runs in a transaction block; and a value the server
 * refuses ('yes'), left to it.
 */
function concurrentlyOff(s: StatementWords, first: string): boolean {
  if (first !== 'reindex') return false;
  const value = optionValue(s, 'concurrently', 'parens');
  return value === false || value === 'unknown';
}

/** Whether `first` is followed by `second` somewhere from word `from` on. */
function followedBy(words: readonly string[], first: string, second: string, from: number): boolean {
  for (let k = from; k < words.length - 1; k++) if (words[k] === first && words[k + 1] === second) return true;
  return false;
}

/**
 * A boolean option of `WITH (…)` (`with`) or of the option list in
 * parentheses after the statement's first word (`parens`: REINDEX's), as
 * PostgreSQL's defGetBoolean reads it: true when named alone; true or false
 * for true/false/on/off in any case and quoting, and the bare numbers 1 and
 * 0; 'absent' when not named; 'unknown' for any other value, left to the
 * server to refuse ("… requires a Boolean value"). Without the statement's
 * text, from its words alone (a string value is no word: 'unknown').
 */
function optionValue(s: StatementWords, name: string, list: 'with' | 'parens'): boolean | 'absent' | 'unknown' {
  if (s.text === undefined) return optionValueInWords(s.words, name, list);
  const tokens: Token[] = [];
  for (const token of lexSql(s.text)) if (!isComment(token)) tokens.push(token);
  const open =
    list === 'parens'
      ? tokens[1]?.text === '('
        ? 1
        : -1
      : tokens.findIndex((t, k) => k >= 2 && t.kind === 'word' && t.text.toLowerCase() === 'with' && tokens[k + 1]?.text === '(') + 1;
  if (open < 1) return 'absent';
  let depth = 0;
  for (let k = open; k < tokens.length; k++) {
    const t = tokens[k];
    if (t.text === '(') depth++;
    if (t.text === ')' && --depth === 0) break;
    const starts = depth === 1 && (tokens[k - 1]?.text === '(' || tokens[k - 1]?.text === ',');
    if (!starts || optionName(t) !== name) continue;
    const next = tokens[k + 1]?.text === '=' ? tokens[k + 2] : tokens[k + 1];
    return next === undefined || next.text === ',' || next.text === ')' ? true : booleanSpelling(next);
  }
  return 'absent';
}

/** An option's name as PostgreSQL folds it: a word in lower case, a quoted identifier as written. */
function optionName(t: Token): string | undefined {
  if (t.kind === 'word') return t.text.toLowerCase();
  return t.kind === 'quoted-identifier' ? t.text.slice(1, -1).replaceAll('""', '"') : undefined;
}

const BOOLEAN_SPELLINGS: Record<string, boolean> = { true: true, on: true, false: false, off: false };

/** The value a token gives a boolean option (defGetBoolean: the words in any case, the numbers 1 and 0), or 'unknown'. */
function booleanSpelling(t: Token): boolean | 'unknown' {
  if (t.kind === 'number') return t.text === '1' ? true : t.text === '0' ? false : 'unknown';
  const text = t.kind === 'word' ? t.text : t.kind === 'quoted-identifier' ? t.text.slice(1, -1) : literalContent(t);
  return text === undefined ? 'unknown' : (BOOLEAN_SPELLINGS[text.toLowerCase()] ?? 'unknown');
}

/** optionValue from the words alone: a value that is a word (true, on, false, off); 'unknown' for a string or number, which is no word. */
function optionValueInWords(words: readonly string[], name: string, list: 'with' | 'parens'): boolean | 'absent' | 'unknown' {
  const start = list === 'with' ? words.indexOf('with', 2) : 0;
  const at = start < 0 ? -1 : words.indexOf(name, start + 1);
  if (at < 0) return 'absent';
  const value = words[at + 1];
  return value === undefined ? 'unknown' : (BOOLEAN_SPELLINGS[value] ?? (list === 'parens' ? true : 'unknown'));
}

/** Classify SQL text that has not been through the splitter (what a driver is handed); never throws. */
export function classifySql(sql: string): StatementClass {
  const words: string[] = [];
  const wordLines: number[] = [];
  for (const token of lexSql(sql)) {
    if (token.kind !== 'word') continue;
    words.push(token.text.toLowerCase());
    wordLines.push(token.line);
  }
  return classifyStatement({ words, wordLines, line: wordLines[0] ?? 1, text: sql });
}

/** True for the kinds PostgreSQL refuses inside a transaction block. */
export function refusesTransactionBlock(kind: StatementKind): boolean {
  return kind === 'concurrently' || kind === 'no-transaction-block';
}

/**
 * True for the kinds that may end transactions themselves (CALL, a DO block
 * that commits): PostgreSQL lets them COMMIT only when they are not run inside
 * a transaction block, so a driver sends them as a bare statement.
 */
export function mayEndTransactions(kind: StatementKind): boolean {
  return kind === 'call' || kind === 'do-commits';
}

/**
 * True when a DO statement's body (its string or dollar-quoted argument) has
 * a COMMIT or ROLLBACK statement: the word where a PL/pgSQL statement begins
 * (the body's start, after `;`, BEGIN, THEN, ELSE or LOOP), outside the
 * body's strings and comments. `ON COMMIT DROP` and a column named commit
 * are not one.
 */
function doBodyEndsTransactions(sql: string): boolean {
  for (const token of lexSql(sql)) {
    const body = literalContent(token);
    if (body === undefined) continue;
    let previous: string | undefined;
    for (const inner of lexSql(body)) {
      if (isComment(inner)) continue;
      const text = inner.text.toLowerCase();
      if (inner.kind === 'word' && (text === 'commit' || text === 'rollback') && (previous === undefined || STATEMENT_START.has(previous))) return true;
      previous = inner.kind === 'word' || inner.kind === 'symbol' ? text : '';
    }
  }
  return false;
}

/** What comes before a PL/pgSQL statement. */
const STATEMENT_START = new Set([';', 'begin', 'then', 'else', 'loop']);

/** What a string or dollar-quoted token holds (`BEGIN … END` of `$$BEGIN … END$$`), or undefined for any other token. */
function literalContent(token: Token): string | undefined {
  if (token.unterminated) return undefined;
  if (token.kind === 'dollar-string') {
    const tag = dollarTag(token);
    return token.text.slice(tag.length, -tag.length);
  }
  if (token.kind !== 'string') return undefined;
  const open = token.text.indexOf("'");
  return token.text.slice(open + 1, -1).replaceAll("''", "'");
}

/** The first `count` words joined by a space, for comparing with a phrase ("create index"). */
export function leadingWords(words: readonly string[], count: number): string {
  return words.slice(0, count).join(' ');
}

/**
 * The name of the index a `CREATE [UNIQUE] INDEX CONCURRENTLY [IF NOT EXISTS] name`
 * statement creates, as written (`i`, `"My Index"`), and the table it is ON, as
 * written (`t`, `app.t`, `"My Table"`); undefined for any other statement and
 * for an unnamed index. PostgreSQL takes no schema in an index's name: the
 * index is made in its table's schema.
 */
export function concurrentIndexTarget(sql: string): { index: string; table: string } | undefined {
  const target = indexTarget(sql);
  return target?.concurrently ? { index: target.index, table: target.table } : undefined;
}

/**
 * `concurrentIndexTarget`'s reading of any `CREATE [UNIQUE] INDEX
 * [CONCURRENTLY] [IF NOT EXISTS] name ON table`, saying which of the optional
 * words it has.
 */
export function indexTarget(sql: string): { index: string; table: string; concurrently: boolean; ifNotExists: boolean } | undefined {
  const tokens = leadingTokens(sql, 16);
  let k = 0;
  const take = (word: string): boolean => {
    const t = tokens[k];
    if (t?.kind !== 'word' || t.text.toLowerCase() !== word) return false;
    k++;
    return true;
  };
  if (!take('create')) return undefined;
  take('unique');
  if (!take('index')) return undefined;
  const concurrently = take('concurrently');
  const ifNotExists = take('if');
  if (ifNotExists && !(take('not') && take('exists'))) return undefined;
  const index = nameAt(tokens[k++]);
  if (!index || !take('on')) return undefined;
  take('only');
  const first = nameAt(tokens[k]);
  const second = tokens[k + 1]?.text === '.' ? nameAt(tokens[k + 2]) : undefined;
  if (!first) return undefined;
  return { index, table: second ? `${first}.${second}` : first, concurrently, ifNotExists };
}

/** A name part as written: a bare word (not the ON of an unnamed index) or a quoted identifier. */
function nameAt(t: Token | undefined): string | undefined {
  if (!t || t.unterminated) return undefined;
  if (t.kind === 'quoted-identifier') return t.text;
  return t.kind === 'word' && t.text.toLowerCase() !== 'on' ? t.text : undefined;
}

/** The first `count` tokens of `sql` that are not comments. */
function leadingTokens(sql: string, count: number): Token[] {
  const out: Token[] = [];
  for (const token of lexSql(sql)) {
    if (isComment(token)) continue;
    out.push(token);
    if (out.length === count) break;
  }
  return out;
}
