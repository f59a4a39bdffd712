/**
 * SQL text for fixes: identifiers quoted where PostgreSQL needs it, and
 * pieces of the statement as the user wrote them (a constraint clause, a
 * column definition), cut with PostgreSQL's own scanner so strings,
 * comments and parentheses are respected.
 */
import { quoteIdent } from '../../engine/state/identifiers';
import { sqlIdent } from '../../engine/sql/sql-quote';
import { rangeVar, scanTokens, type ParsedStatement, type RangeVar, type ScanToken } from '../parser/parse';
import { present } from '../../engine/errors/present';

const NEEDS_QUOTES = new Set(['RESERVED_KEYWORD', 'TYPE_FUNC_NAME_KEYWORD']);

/** An identifier as SQL: bare when PostgreSQL reads it back unchanged, else double-quoted. */
export function ident(name: string): string {
  if (/^[a-z_][a-z0-9_$]*$/.test(name)) {
    const tokens = scanTokens(name);
    if (tokens.length === 1 && !NEEDS_QUOTES.has(tokens[0].keywordName)) return name;
  }
  return sqlIdent(name);
}

/** A name as regclass and nextval() read it from a text: as `ident` writes it, but never in the U& form, which they do not read. */
export function regclassName(name: string): string {
  const written = ident(name);
  return written.startsWith('U&') ? quoteIdent(name) : written;
}

/** A table as the statement named it (schema only when it was given). */
export function tableName(r: Pick<RangeVar, 'schema' | 'name'>): string {
  return r.schema ? `${ident(r.schema)}.${ident(r.name)}` : ident(r.name);
}

/**
 * Whether an ALTER TABLE names its table with ONLY (its relation's `inh` is
 * not set): a fix's ADD CONSTRAINT of the same table says it too.
 */
export function onlyIn(s: ParsedStatement): boolean {
  return s.kind === 'AlterTableStmt' && (s.node.relation as { inh?: boolean } | undefined)?.inh !== true;
}

export { objectName } from '../names/object-names';

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
  return Buffer.from(s.text)
    .subarray(from - s.byteOffset, to - s.byteOffset)
    .toString('utf8')
    .trim();
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
    if (o.stop !== undefined && t.start >= o.stop - s.byteOffset) {
      end = t.start;
      break;
    }
    if (t.text === '(' || t.text === '[') depth++;
    if (t.text === ')' || t.text === ']') depth--;
    const ends = (depth === 0 && (t.text === ',' || o.stopWords?.includes(t.text.toLowerCase()))) || depth < 0 || t.text === ';';
    if (ends) {
      end = t.start;
      break;
    }
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
const TYPE_ENDS = [
  'using',
  'collate',
  'constraint',
  'not',
  'null',
  'default',
  'primary',
  'unique',
  'references',
  'check',
  'generated',
  'compression',
  'storage',
];

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

/** A change to a statement's text: the bytes `at`–`end` of the file replaced by `text`. */
export interface Edit {
  at: number;
  end: number;
  text: string;
}

/** The statement with `edits` (byte offsets of the file, not overlapping) made, from the end so that offsets hold, and its `;`. */
export function edited(s: ParsedStatement, edits: Edit[]): string {
  const sorted = [...edits].sort((x, y) => y.at - x.at);
  const text = sorted.reduce(
    (t, e) => Buffer.concat([t.subarray(0, e.at - s.byteOffset), Buffer.from(e.text), t.subarray(e.end - s.byteOffset)]),
    Buffer.from(s.text),
  );
  return `${text.toString('utf8')};`;
}

/**
 * The ALTER TABLE commands whose `ADD` comes right before one of `ats`
 * (constraints' locations, bytes of the file) taken out of the statement,
 * with the comma before each (after it, for those before every command
 * kept). Undefined when no command would be left.
 */
export function commandsRemoved(s: ParsedStatement, ats: number[]): Edit[] | undefined {
  const commands = commandSpans(s);
  const gone = commands.map((c) => ats.some((at) => at - s.byteOffset >= c.start && at - s.byteOffset < c.end));
  if (gone.every(Boolean)) return undefined;
  const firstKept = gone.indexOf(false);
  const edits = commands.flatMap((c, k) => {
    if (!gone[k]) return [];
    // Before the first command kept: up to the next command; after it: from the end of the one before.
    const at = k < firstKept ? (k === 0 ? addBefore(s, ats, c) : c.start) : commands[k - 1].end;
    const end = k < firstKept ? commands[k + 1].start : c.end;
    return [{ at: at + s.byteOffset, end: end + s.byteOffset, text: '' }];
  });
  return edits;
}

/**
 * Byte offset (of the file) of each ALTER TABLE command's first token, for
 * `commandsRemoved` when a command has no location of its own (`ALTER
 * COLUMN … SET NOT NULL`): the first command starts after the table's name.
 */
export function commandStarts(s: ParsedStatement): number[] {
  const spans = commandSpans(s);
  const tokens = tokensOf(s);
  const rel = rangeVar(s.node.relation)?.location;
  let k = rel === undefined ? -1 : tokens.findIndex((t) => t.start >= rel - s.byteOffset);
  // The name: identifiers joined by dots, then an inheritance `*`.
  if (k >= 0) for (k++; tokens[k]?.text === '.'; k += 2);
  if (k >= 0 && tokens[k]?.text === '*') k++;
  return spans.map((c, j) => s.byteOffset + (j === 0 && k >= 0 && tokens[k] ? tokens[k].start : c.start));
}

/** The byte range (in the statement) of each part between top-level commas: the first holds `ALTER TABLE name` before its command. */
function commandSpans(s: ParsedStatement): { start: number; end: number }[] {
  const spans: { start: number; end: number }[] = [];
  let depth = 0;
  let open: { start: number; end: number } | undefined;
  for (const t of tokensOf(s)) {
    if (t.text === ';') break;
    if (t.text === '(' || t.text === '[') depth++;
    if (t.text === ')' || t.text === ']') depth--;
    if (depth === 0 && t.text === ',') {
      open = undefined;
      continue;
    }
    if (!open) spans.push((open = { start: t.start, end: t.end }));
    open.end = t.end;
  }
  return spans;
}

/** Where the first command starts: its `ADD`, right before the location in it. */
function addBefore(s: ParsedStatement, ats: number[], c: { start: number; end: number }): number {
  const tokens = tokensOf(s);
  const at = present(ats.find((x) => x - s.byteOffset >= c.start && x - s.byteOffset < c.end)) - s.byteOffset;
  const k = tokens.findIndex((t) => t.start >= at);
  return tokens[k - 1]?.text.toLowerCase() === 'add' ? tokens[k - 1].start : tokens[k].start;
}
