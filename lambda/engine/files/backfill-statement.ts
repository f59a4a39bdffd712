/**
 * A backfill statement (`-- schemaguard:backfill` before it) taken apart into
 * what batching needs, from its tokens: the table it updates (as written),
 * its alias, its SET list, its FROM list and its WHERE condition. The
 * condition is what says a row is not done yet: each batch adds a key range
 * to it, and the final proof selects with it alone. Pure: bad input is an
 * InputError naming the file, the line and the way out.
 */
import { InputError } from '../errors/errors';
import { isComment, tokenize, type Token } from '../sql/lexer';
import type { SqlStatement } from '../sql/splitter';

export interface BackfillStatement {
  /** The table as the statement names it (`orders`, `app.orders`, `"Orders"`), with ONLY when written. */
  target: string;
  /** The table's name alone, for `to_regclass` (no ONLY, no alias). */
  table: string;
  /** The alias as written, when there is one. */
  alias?: string;
  /** What the target's columns are qualified with in the statement's own scope: the alias, else the table as written. */
  qualifier: string;
  /** The assignments after SET. */
  set: string;
  /** The FROM list, when there is one. */
  from?: string;
  /** The condition after WHERE: true for the rows not done yet. */
  where: string;
}

/** The way out named by every refusal: the form the directive takes. */
const FORM = 'write it as UPDATE <table> SET … WHERE <not yet done>, e.g. UPDATE orders SET region = lower(country) WHERE region IS NULL';

/** Reads `s`, the statement after `-- schemaguard:backfill` in `file`; throws an InputError when it is not one batching can run. */
export function readBackfillStatement(file: string, s: Pick<SqlStatement, 'text' | 'line'>): BackfillStatement {
  const tokens = tokenize(s.text).filter((t) => !isComment(t));
  const refuse = (why: string, fix = FORM) =>
    new InputError(`${file}:${s.line}: the backfill statement ${why}`, { file, line: s.line, value: s.text.slice(0, 80), fix });
  if (!isWord(tokens[0], 'update')) throw refuse(`is not an UPDATE (found ${(tokens[0]?.text ?? 'nothing').toUpperCase()})`);
  let k = 1;
  const only = isWord(tokens[k], 'only');
  if (only) k++;
  const name = readName(tokens, k);
  if (!name) throw refuse('names no table after UPDATE');
  k = name.next;
  if (tokens[k]?.text === '*') k++;
  let alias: string | undefined;
  if (isWord(tokens[k], 'as')) k++;
  if (tokens[k] && !isWord(tokens[k], 'set') && isName(tokens[k])) alias = tokens[k++].text;
  if (!isWord(tokens[k], 'set')) throw refuse('has no SET after its table');
  const clauses = topLevelClauses(tokens, k + 1);
  if (clauses.returning !== undefined) throw refuse('has RETURNING: a batch returns nothing', `${FORM} (without RETURNING)`);
  if (clauses.where === undefined)
    throw refuse(
      'has no WHERE: batching needs the condition that says a row is not done yet (the last batch proves no row is left by it)',
      `add the condition, e.g. … WHERE region IS NULL; a statement that may update every row again runs as a plain statement, without the directive`,
    );
  const text = (from: number, to: number) => s.text.slice(tokens[from].offset, tokens[to - 1].end);
  if (isWord(tokens[clauses.where + 1], 'current') && isWord(tokens[clauses.where + 2], 'of')) throw refuse('is WHERE CURRENT OF a cursor');
  const setEnd = clauses.from ?? clauses.where;
  if (setEnd === k + 1) throw refuse('has nothing after SET');
  if (clauses.where + 1 >= tokens.length) throw refuse('has nothing after WHERE');
  const table = name.text;
  return {
    target: `${only ? 'ONLY ' : ''}${table}`,
    table,
    ...(alias ? { alias } : {}),
    qualifier: alias ?? table,
    set: text(k + 1, setEnd),
    ...(clauses.from !== undefined ? { from: text(clauses.from + 1, clauses.where) } : {}),
    where: text(clauses.where + 1, tokens.length),
  };
}

/** The UPDATE of one batch: the statement's own, its condition and a key range (parameters in order: the lower bound, when there is one, then the upper), cast to the key's type. */
export function batchSql(b: BackfillStatement, key: string, keyType: string, range: { lower?: 'after' | 'from'; upper: boolean }): string {
  const k = `${b.qualifier}.${key}`;
  const upper = range.lower ? '$2' : '$1';
  const bounds = [
    ...(range.lower ? [`${k} ${range.lower === 'after' ? '>' : '>='} $1::${keyType}`] : []),
    ...(range.upper ? [`${k} <= ${upper}::${keyType}`] : []),
  ];
  return `UPDATE ${b.target}${b.alias ? ` AS ${b.alias}` : ''} SET ${b.set}${b.from ? ` FROM ${b.from}` : ''} WHERE (${b.where})${bounds.map((x) => ` AND ${x}`).join('')}`;
}

/**
 * Whether the statement's condition still finds a row, in any order: a scan
 * that stops at the first. Asked before `leftoverSql`, whose ORDER BY the
 * planner reads through the key's index, row by row, to the end when no row
 * is left (the quick backfill benchmark with no writers: 0.76x the floor
 * with that read, 0.87x this way).
 */
export function anyLeftoverSql(b: BackfillStatement): string {
  return `SELECT EXISTS (SELECT 1 FROM ${b.target}${b.alias ? ` AS ${b.alias}` : ''}${b.from ? `, ${b.from}` : ''} WHERE (${b.where})) AS left`;
}

/** The first key (as text) of a row the statement's condition still finds, ordered by the key: none when the backfill is done. */
export function leftoverSql(b: BackfillStatement, key: string): string {
  const k = `${b.qualifier}.${key}`;
  return `SELECT ${k}::text AS k FROM ${b.target}${b.alias ? ` AS ${b.alias}` : ''}${b.from ? `, ${b.from}` : ''} WHERE (${b.where}) ORDER BY ${k} LIMIT 1`;
}

function isWord(t: Token | undefined, word: string): boolean {
  return t?.kind === 'word' && t.text.toLowerCase() === word;
}

function isName(t: Token): boolean {
  return t.kind === 'word' || t.kind === 'quoted-identifier';
}

/** A possibly qualified name at `k` (`a`, `a.b`, `"A"."b"`), as written, and the index after it. */
function readName(tokens: readonly Token[], k: number): { text: string; next: number } | undefined {
  if (!tokens[k] || !isName(tokens[k])) return undefined;
  const parts = [tokens[k].text];
  let next = k + 1;
  while (tokens[next]?.text === '.' && tokens[next + 1] && isName(tokens[next + 1])) {
    parts.push(tokens[next + 1].text);
    next += 2;
  }
  return { text: parts.join('.'), next };
}

/** Where FROM, WHERE and RETURNING start outside parentheses (`IS DISTINCT FROM` is no FROM clause). */
function topLevelClauses(tokens: readonly Token[], start: number): { from?: number; where?: number; returning?: number } {
  const found: { from?: number; where?: number; returning?: number } = {};
  let depth = 0;
  for (let k = start; k < tokens.length; k++) {
    const t = tokens[k];
    if (t.text === '(' || t.text === '[') depth++;
    else if (t.text === ')' || t.text === ']') depth--;
    if (depth !== 0 || t.kind !== 'word') continue;
    const w = t.text.toLowerCase();
    if (w === 'from' && found.from === undefined && found.where === undefined && !isWord(tokens[k - 1], 'distinct')) found.from = k;
    else if (w === 'where' && found.where === undefined) found.where = k;
    else if (w === 'returning') found.returning = k;
  }
  return found;
}
