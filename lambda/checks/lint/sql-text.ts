/**
 * SQL text for fixes: identifiers quoted where PostgreSQL needs it, and
 * pieces of the statement as the user wrote them (a constraint clause, a
 * column definition), cut with PostgreSQL's own scanner so strings,
 * comments and parentheses are respected.
 */
import { scanTokens, type ParsedStatement, type RangeVar, type ScanToken } from '../parse';

const NEEDS_QUOTES = new Set(['RESERVED_KEYWORD', 'TYPE_FUNC_NAME_KEYWORD']);

/** An identifier as SQL: bare when PostgreSQL reads it back unchanged, else double-quoted. */
export function ident(name: string): string {
  if (/^[a-z_][a-z0-9_$]*$/.test(name)) {
    const tokens = scanTokens(name);
    if (tokens.length === 1 && !NEEDS_QUOTES.has(tokens[0]!.keywordName)) return name;
  }
  return `"${name.replace(/"/g, '""')}"`;
}

/** A table as the statement named it (schema only when it was given). */
export function tableName(r: Pick<RangeVar, 'schema' | 'name'>): string {
  return r.schema ? `${ident(r.schema)}.${ident(r.name)}` : ident(r.name);
}

/** A name for a new object, as PostgreSQL would shorten it: at most 63 bytes. */
export function objectName(...parts: string[]): string {
  const name = parts.join('_');
  return Buffer.byteLength(name) <= 63 ? name : Buffer.from(name).subarray(0, 63).toString('utf8').replace(/\uFFFD+$/, '');
}

const tokenCache = new WeakMap<ParsedStatement, ScanToken[]>();

export function tokensOf(s: ParsedStatement): ScanToken[] {
  let t = tokenCache.get(s);
  if (!t) {
    t = scanTokens(s.text).filter((k) => k.tokenName !== 'SQL_COMMENT' && k.tokenName !== 'C_COMMENT');
    tokenCache.set(s, t);
  }
  return t;
}

/** The statement's text between two byte offsets of the file. */
export function sliceOf(s: ParsedStatement, from: number, to: number): string {
  return Buffer.from(s.text).subarray(from - s.byteOffset, to - s.byteOffset).toString('utf8').trim();
}

export interface ClauseOptions {
  /** Byte offset (in the file) where a later clause starts: the clause ends before it. */
  stop?: number;
  /** Leave out the clause's first tokens (e.g. `CONSTRAINT name`). @default 0 */
  skip?: number;
  /** Words (lower-case) that end the clause outside parentheses, e.g. `using`. */
  stopWords?: readonly string[];
}

/**
 * The clause that starts at byte `from` of the file: up to the first comma
 * outside parentheses, the end of the statement, a stop word or `stop`,
 * whichever comes first.
 */
export function clauseAt(s: ParsedStatement, from: number, o: ClauseOptions = {}): string {
  const rel = from - s.byteOffset;
  let depth = 0;
  let end = Buffer.byteLength(s.text);
  let start = rel;
  let seen = 0;
  for (const t of tokensOf(s)) {
    if (t.start < rel) continue;
    if (seen++ === (o.skip ?? 0)) start = t.start;
    if (o.stop !== undefined && t.start >= o.stop - s.byteOffset) { end = t.start; break; }
    if (t.text === '(' || t.text === '[') depth++;
    if (t.text === ')' || t.text === ']') depth--;
    const ends = (depth === 0 && (t.text === ',' || o.stopWords?.includes(t.text.toLowerCase()))) || depth < 0 || t.text === ';';
    if (ends) { end = t.start; break; }
  }
  return sliceOf(s, s.byteOffset + Math.min(start, end), s.byteOffset + end);
}

/** A column's type as the statement wrote it (`varchar(40)`, `"MyType"`), for a fix to reuse. */
export function typeAsWritten(s: ParsedStatement, typeName: unknown): string {
  const at = (typeName as { location?: number } | undefined)?.location;
  if (at === undefined) return '';
  return clauseAt(s, at, { stopWords: TYPE_ENDS });
}

/** What can follow a type in a column definition or ALTER … TYPE. */
const TYPE_ENDS = ['using', 'collate', 'constraint', 'not', 'null', 'default', 'primary', 'unique', 'references', 'check', 'generated', 'compression', 'storage'];

/** Byte offset (in the file) of the first token after `from` whose text is `word` (case-insensitive). */
export function tokenAfter(s: ParsedStatement, from: number, word: string): ScanToken | undefined {
  const rel = from - s.byteOffset;
  const t = tokensOf(s).find((k) => k.start >= rel && k.text.toLowerCase() === word.toLowerCase());
  return t ? { ...t, start: t.start + s.byteOffset, end: t.end + s.byteOffset } : undefined;
}

/** The statement with `insert` put right after the token that ends at byte `after` of the file. */
export function insertInto(s: ParsedStatement, after: number, insert: string): string {
  const b = Buffer.from(s.text);
  const at = after - s.byteOffset;
  return `${b.subarray(0, at).toString('utf8')} ${insert}${b.subarray(at).toString('utf8')}`;
}

/** The statement with the bytes `from`–`to` of the file replaced by `text`. */
export function replaceIn(s: ParsedStatement, from: number, to: number, text: string): string {
  const b = Buffer.from(s.text);
  return `${b.subarray(0, from - s.byteOffset).toString('utf8')}${text}${b.subarray(to - s.byteOffset).toString('utf8')}`;
}
