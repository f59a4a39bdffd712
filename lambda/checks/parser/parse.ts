/**
 * The real PostgreSQL parser (libpg-query: PostgreSQL's own grammar compiled
 * to WebAssembly, no native binary), wrapped for the checks: statements with
 * their 1-based line and column, node locations turned into line:column, and
 * a few helpers to read the parse tree.
 *
 * The module is imported lazily (`loadParser`): it reads its `.wasm` file when
 * first imported, so commands that never parse SQL never load it. In an
 * esbuild bundle, keep `libpg-query` external (the CLI does) or copy
 * `libpg-query.wasm` next to the bundle.
 */
import { InputError } from '../../engine/errors/errors';
import { importModule } from '../../engine/runtime/import-module';
import { Redactor } from '../../engine/errors/redact';
import { utf16Offset } from '../../engine/apply/script';
import { sliceOf, statementLength, StatementScanner } from '../../engine/sql/splitter';
import { quotedAsWritten, thinLongTokens } from './long-tokens';
import { beforeCuts, thinValuesRows } from './values-rows';
import { present } from '../../engine/errors/present';

/** A parse-tree node: `{ NodeType: { …fields } }`. Typed loosely on purpose: the checks read a handful of fields. */
export type Node = Record<string, unknown>;

export interface ParsedStatement {
  /** The statement's node, e.g. `{ InsertStmt: {...} }`. */
  stmt: Node;
  /** The node type, e.g. `InsertStmt`. */
  kind: string;
  /** Its fields (the value of `stmt[kind]`). */
  node: Node;
  /** Text of the statement (from its first token, without the `;`). */
  text: string;
  /** 1-based line and column of the statement's first token in the parsed text. */
  line: number;
  column: number;
  /** Byte offset of the statement's first token (libpg-query locations are byte offsets into the whole text). */
  byteOffset: number;
}

/** One token of PostgreSQL's own scanner: byte offsets into the scanned text. */
export interface ScanToken {
  start: number;
  end: number;
  text: string;
  tokenName: string;
  keywordName: string;
}

interface LibPgQuery {
  loadModule(): Promise<void>;
  parseSync(sql: string): { stmts?: { stmt: Node; stmt_location?: number; stmt_len?: number }[] };
  fingerprintSync(sql: string): string;
  normalizeSync(sql: string): string;
  scanSync(sql: string): { tokens?: ScanToken[] };
  parsePlPgSQLSync(sql: string): unknown;
}

let parser: LibPgQuery | undefined;

/** Load the parser once (reads the WebAssembly module). */
export async function loadParser(): Promise<void> {
  if (parser) return;
  const mod = (await importModule('libpg-query', () => import('libpg-query'))) as unknown as LibPgQuery;
  await mod.loadModule();
  parser = mod;
}

function ready(): LibPgQuery {
  if (!parser) throw new Error('the SQL parser is not loaded: await loadParser() first');
  return parser;
}

/**
 * The SQL statements a PL/pgSQL body runs as written (not those it builds
 * for EXECUTE), in the body's order, whatever IF or loop they sit in;
 * empty when PL/pgSQL's parser refuses the body.
 */
export function plpgsqlStatements(body: string): string[] {
  let tag = 'sg_body';
  while (body.includes(`$${tag}$`)) tag += '_';
  let tree: unknown;
  try {
    tree = ready().parsePlPgSQLSync(`CREATE FUNCTION pg_temp.sg_body() RETURNS void LANGUAGE plpgsql AS $${tag}$${body}$${tag}$`);
  } catch {
    return [];
  }
  const found: string[] = [];
  const stack: unknown[] = [tree];
  while (stack.length) {
    const n = stack.pop();
    if (Array.isArray(n)) {
      for (let k = n.length - 1; k >= 0; k--) stack.push(n[k]);
      continue;
    }
    if (!n || typeof n !== 'object') continue;
    const sql = ((n as Node).PLpgSQL_stmt_execsql as Node | undefined)?.sqlstmt as Node | undefined;
    const query = (sql?.PLpgSQL_expr as Node | undefined)?.query;
    if (typeof query === 'string') {
      found.push(query);
      continue;
    }
    const values = Object.values(n as Node);
    for (let k = values.length - 1; k >= 0; k--) stack.push(values[k]);
  }
  return found;
}

/** The tokens of `text` as PostgreSQL's scanner reads them (comments included, as SQL_COMMENT / C_COMMENT). */
export function scanTokens(text: string): ScanToken[] {
  return ready().scanSync(text).tokens ?? [];
}

/** Maps byte offsets of a text to 1-based line and column (in characters). */
export class TextPositions {
  private readonly bytes: Buffer;
  /** Each line's first byte: 4 bytes a line, counted first (a file of 8 million `;` lines made a growing array of 100 MB). */
  private readonly lineStarts: Uint32Array;
  constructor(
    readonly text: string,
    private readonly firstLine = 1,
  ) {
    this.bytes = Buffer.from(text, 'utf8');
    let lines = 1;
    for (let k = this.bytes.indexOf(10); k >= 0; k = this.bytes.indexOf(10, k + 1)) lines++;
    this.lineStarts = new Uint32Array(lines);
    let n = 1;
    for (let k = this.bytes.indexOf(10); k >= 0; k = this.bytes.indexOf(10, k + 1)) this.lineStarts[n++] = k + 1;
  }
  /** Character index of a byte offset. */
  charIndex(byteOffset: number): number {
    return this.bytes.subarray(0, Math.max(0, byteOffset)).toString('utf8').length;
  }
  at(byteOffset: number): { line: number; column: number } {
    let lo = 0;
    let hi = this.lineStarts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.lineStarts[mid] <= byteOffset) lo = mid;
      else hi = mid - 1;
    }
    const column = this.bytes.subarray(this.lineStarts[lo], byteOffset).toString('utf8').length + 1;
    return { line: lo + this.firstLine, column };
  }
  /** The first byte at or after `byteOffset` that is not whitespace or a comment. */
  skipBlank(byteOffset: number): number {
    const b = this.bytes;
    let k = byteOffset;
    for (;;) {
      while (k < b.length && (b[k] === 32 || b[k] === 9 || b[k] === 10 || b[k] === 13 || b[k] === 12)) k++;
      if (b[k] === 45 && b[k + 1] === 45) {
        while (k < b.length && b[k] !== 10) k++;
        continue;
      }
      if (b[k] === 47 && b[k + 1] === 42) {
        let depth = 1;
        k += 2;
        while (k < b.length && depth > 0) {
          if (b[k] === 47 && b[k + 1] === 42) {
            depth++;
            k += 2;
          } else if (b[k] === 42 && b[k + 1] === 47) {
            depth--;
            k += 2;
          } else k++;
        }
        continue;
      }
      return k;
    }
  }
  slice(fromByte: number, toByte: number): string {
    return this.bytes.subarray(fromByte, toByte).toString('utf8');
  }
}

export interface ParseOptions {
  /** File name for error messages. */
  file?: string;
  /** Line number of the text's first line (text cut from a larger file). @default 1 */
  firstLine?: number;
}

/**
 * Parse SQL text into statements. A syntax error is an InputError naming the
 * file, line and column where PostgreSQL's parser stopped.
 */
export function parseSql(text: string, options: ParseOptions = {}): { statements: ParsedStatement[]; positions: TextPositions } {
  const positions = new TextPositions(text, options.firstLine ?? 1);
  return { statements: parseAt(text, 0, positions, options), positions };
}

/** About this much SQL text is given to the parser at a time by `parseSqlInChunks`. */
export const PARSE_CHUNK_CHARS = 16 * 1024;

/**
 * The same statements as `parseSql`, handed out a chunk at a time: the text
 * is cut where the splitter ends a statement (as psql cuts it) into pieces of
 * about PARSE_CHUNK_CHARS, and each piece goes to the parser alone. The trees
 * of a 16 MiB file of SQL would take gigabytes at once; one chunk's trees are
 * small, and a caller that keeps only what it needs of each statement stays
 * small too. Offsets, lines and columns are those of the whole text.
 */
export function parseSqlInChunks(
  text: string,
  options: ParseOptions = {},
): { chunks: Generator<ParsedStatement[], void, undefined>; positions: TextPositions } {
  const positions = new TextPositions(text, options.firstLine ?? 1);
  return { chunks: chunksOf(text, positions, options), positions };
}

function* chunksOf(text: string, positions: TextPositions, options: ParseOptions): Generator<ParsedStatement[], void, undefined> {
  const ready: Array<[number, number]> = [];
  let from: number | undefined;
  let to = 0;
  const scanner = new StatementScanner(
    {
      statement: (s) => {
        from ??= s.offset;
        to = s.offset + statementLength(s);
        if (to - from < PARSE_CHUNK_CHARS) return;
        ready.push([from, to]);
        from = undefined;
      },
    },
    { ...options, readText: sliceOf(text) },
  );
  // Characters and bytes of the text before the chunk being parsed, counted as the chunks go.
  const at = { chars: 0, bytes: 0 };
  const parse = function* (): Generator<ParsedStatement[], void, undefined> {
    for (const [start, end] of ready.splice(0)) {
      at.bytes += Buffer.byteLength(text.slice(at.chars, start));
      at.chars = start;
      yield parseAt(text.slice(start, end), at.bytes, positions, options);
    }
  };
  for (let k = 0; k < text.length; k += PARSE_CHUNK_CHARS) {
    scanner.push(text.slice(k, k + PARSE_CHUNK_CHARS));
    yield* parse();
  }
  scanner.end();
  if (from !== undefined) ready.push([from, to]);
  yield* parse();
}

/** Parse `sql`, which starts `byteBase` bytes into the text `positions` maps. */
function parseAt(sql: string, byteBase: number, positions: TextPositions, options: ParseOptions): ParsedStatement[] {
  // An empty query string is no statement to PostgreSQL (EmptyQueryResponse); the parser library refuses it.
  if (sql === '') return [];
  const thin = withoutPlainRows(sql);
  let tree;
  try {
    tree = ready().parseSync(thin.text);
  } catch (cause) {
    // The parser's cursor counts characters (code points), from 0; positions map bytes.
    const details = (cause as { sqlDetails?: { cursorPosition?: number } }).sqlDetails;
    const cursor = details?.cursorPosition;
    const byte = cursor !== undefined && cursor >= 0 ? thin.toOriginal(Buffer.byteLength(thin.text.slice(0, utf16Offset(thin.text, cursor + 1)))) : undefined;
    const at = byte !== undefined ? positions.at(byteBase + byte) : undefined;
    const where = options.file ? `${options.file}${at ? `:${at.line}:${at.column}` : ''}: ` : at ? `${at.line}:${at.column}: ` : '';
    // The parser repeats the word it stopped at: an unquoted password (CREATE ROLE app PASSWORD S3cret) is masked.
    // A token emptied before the parse (long-tokens.ts) is quoted as the user wrote it, not as `'~1'`.
    const said = byte === undefined || thin.text === sql ? (cause as Error).message : quotedAsWritten((cause as Error).message, sql, byte);
    const message = new Redactor().learn(sql, { words: true }).redact(said);
    throw new InputError(`${where}${message}`, {
      file: options.file,
      line: at?.line,
      column: at?.column,
      cause,
      fix: "correct the SQL: PostgreSQL's own parser rejects it",
    });
  }
  const statements: ParsedStatement[] = [];
  for (const raw of tree.stmts ?? []) {
    if (byteBase > 0 || thin.text !== sql) shiftLocations(raw.stmt, (location) => byteBase + thin.toOriginal(location));
    const from = raw.stmt_location ?? 0;
    const location = byteBase + thin.toOriginal(from);
    const start = positions.skipBlank(location);
    const end = raw.stmt_len ? byteBase + thin.toOriginal(from + raw.stmt_len) : byteBase + Buffer.byteLength(sql, 'utf8');
    const kind = Object.keys(raw.stmt)[0];
    const { line, column } = positions.at(start);
    statements.push({
      stmt: raw.stmt,
      kind,
      node: raw.stmt[kind] as Node,
      text: positions.slice(start, end).trim(),
      line,
      column,
      byteOffset: start,
    });
  }
  return statements;
}

/** `sql` to parse, and how a byte offset into it maps to one into `sql` as written. */
interface ParseText {
  text: string;
  toOriginal(byte: number): number;
}

const AS_WRITTEN = (sql: string): ParseText => ({ text: sql, toOriginal: (byte) => byte });

/**
 * `sql` with the rows of a large INSERT's VALUES lists of constants cut out
 * after their first row (`values-rows.ts`), when those rows parse: checked a
 * run of rows at a time, so no tree of them all is ever held. When one does
 * not, `sql` as it is, so the error is the parser's own, at its line and
 * column.
 */
function withoutPlainRows(sql: string): ParseText {
  const rows = plainRowsCut(sql);
  // Then the contents of long strings, bodies and comments (long-tokens.ts), in what is left.
  const long = thinLongTokens(rows.text);
  if (!long.cuts.length) return rows;
  return { text: long.text, toOriginal: (byte) => rows.toOriginal(beforeCuts(long.cuts, byte)) };
}

function plainRowsCut(sql: string): ParseText {
  const thin = thinValuesRows(sql);
  if (!thin.cuts.length) return AS_WRITTEN(sql);
  for (const [from, to] of thin.batches) {
    try {
      ready().parseSync(`VALUES ${sql.slice(from, to)}`);
    } catch {
      return AS_WRITTEN(sql);
    }
  }
  // A byte at or after a cut's place was that many bytes further on.
  return { text: thin.text, toOriginal: (byte) => beforeCuts(thin.cuts, byte) };
}

/**
 * Node locations are byte offsets into the text parsed; make them offsets into
 * the whole text (`to`; -1 stays: unknown). A stack of its own, as `findAll`.
 */
function shiftLocations(root: unknown, to: (location: number) => number): void {
  const stack: unknown[] = [root];
  while (stack.length > 0) {
    const n = stack.pop();
    if (Array.isArray(n)) {
      for (const x of n) stack.push(x);
      continue;
    }
    if (!n || typeof n !== 'object') continue;
    const node = n as Node;
    for (const k in node) {
      const v = node[k];
      if (k === 'location' && typeof v === 'number') {
        if (v >= 0) node[k] = to(v);
      } else if (v && typeof v === 'object') stack.push(v);
    }
  }
}

/**
 * The statement's fingerprint (libpg_query's): equal for texts that differ
 * only in constants, parameter numbers, whitespace, comments and case — the
 * same statement whether written with `$1` or as pg_stat_statements keeps it.
 */
export function fingerprint(sql: string): string {
  return ready().fingerprintSync(sql);
}

/**
 * `sql` with every constant a parameter, numbered after those it has
 * (libpg_query's normalisation, as pg_stat_statements writes a statement).
 */
export function constantsAsParameters(sql: string): string {
  return ready().normalizeSync(sql);
}

/** The first token of `sql`, lower-case, read by PostgreSQL's own scanner (works on text the parser refuses). */
export function firstToken(sql: string): string | undefined {
  try {
    return scanTokens(sql)[0]?.text.toLowerCase();
  } catch {
    return undefined;
  }
}

// ---- helpers to read the tree ----------------------------------------------

/** `{ Kind: fields }` → [Kind, fields]. */
export function unwrap(n: unknown): [string, Node] | undefined {
  if (!n || typeof n !== 'object') return undefined;
  const keys = Object.keys(n as object);
  if (keys.length !== 1) return undefined;
  const k = keys[0];
  return [k, (n as Node)[k] as Node];
}

/** The fields of a node of the given kind, or undefined. */
export function as(n: unknown, kind: string): Node | undefined {
  const u = unwrap(n);
  return u && u[0] === kind ? u[1] : undefined;
}

export function list(v: unknown): unknown[] {
  return Array.isArray(v) ? v : [];
}

/** `[{String:{sval:'a'}}, …]` → ['a', …]. */
/**
 * Whether a parenthesised option list (VACUUM's, REINDEX's) turns a boolean
 * option on, as PostgreSQL's defGetBoolean reads it: named alone, or with
 * true or on in any case (bare, quoted or a string: `'On'`) or 1; false,
 * off and 0 turn it off (`VACUUM (FULL false)` is a plain VACUUM). Any other
 * value (yes, no, '1') the server refuses ("… requires a Boolean value",
 * PostgreSQL 15 and 18): read here as on unless it says no.
 */
export function optionOn(options: unknown, name: string): boolean {
  const def = list(options)
    .map((o) => as(o, 'DefElem'))
    .find((d) => d?.defname === name);
  if (!def) return false;
  if (def.arg === undefined) return true;
  const int = as(def.arg, 'Integer');
  if (int) return Number(int.ival ?? 0) !== 0;
  const text = String(as(def.arg, 'String')?.sval ?? as(def.arg, 'Boolean')?.boolval ?? 'true').toLowerCase();
  return !['false', 'off', 'no', '0', 'f', 'n'].includes(text);
}

export function names(v: unknown): string[] {
  return list(v).map((x) => String((as(x, 'String')?.sval as string | undefined) ?? ''));
}

export interface RangeVar {
  schema?: string;
  name: string;
  location?: number;
}

export function rangeVar(v: unknown): RangeVar | undefined {
  const r = v as Node | undefined;
  if (!r || typeof r.relname !== 'string') return undefined;
  return { schema: typeof r.schemaname === 'string' ? r.schemaname : undefined, name: r.relname, location: r.location as number | undefined };
}

/** `schema.name` for messages and as a key (schema defaults to `public`). */
export function tableKey(r: RangeVar): string {
  return `${r.schema ?? 'public'}.${r.name}`;
}

/**
 * A type name as written, normalised: `pg_catalog.int4` → `integer`,
 * `varchar(20)` keeps its modifier, arrays get `[]`.
 */
export function typeNameText(v: unknown): string {
  const t = v as Node | undefined;
  if (!t) return '';
  const parts = names(t.names);
  let base = parts.length === 2 && parts[0] === 'pg_catalog' ? parts[1] : parts.join('.');
  base = TYPE_ALIASES[base] ?? base;
  const mods = list(t.typmods).map((m) => {
    const c = as(m, 'A_Const');
    return c ? String((c.ival as Node | undefined)?.ival ?? 0) : '?';
  });
  const arr = list(t.arrayBounds).length ? '[]'.repeat(list(t.arrayBounds).length) : '';
  return `${withModifiers(base, mods)}${arr}`;
}

/** `base(mods)` as format_type() writes it: `timestamp(3) with time zone`, `interval(3)` (the full-range field mask left out). */
function withModifiers(base: string, mods: string[]): string {
  if (base === 'interval' && mods.length === 2 && mods[0] === String(INTERVAL_FULL_RANGE)) mods = mods.slice(1);
  if (mods.length === 0) return base;
  const zone = /^(timestamp|time) (with(?:out)? time zone)$/.exec(base);
  return zone ? `${zone[1]}(${mods.join(',')}) ${zone[2]}` : `${base}(${mods.join(',')})`;
}

/** The typmod `interval(p)` carries for "all fields". */
const INTERVAL_FULL_RANGE = 0x7fff;

const TYPE_ALIASES: Record<string, string> = {
  int4: 'integer',
  int: 'integer',
  int8: 'bigint',
  int2: 'smallint',
  float8: 'double precision',
  float4: 'real',
  bool: 'boolean',
  varchar: 'character varying',
  bpchar: 'character',
  timestamptz: 'timestamp with time zone',
  timestamp: 'timestamp without time zone',
  timetz: 'time with time zone',
  time: 'time without time zone',
  decimal: 'numeric',
  varbit: 'bit varying',
  serial: 'integer',
  serial4: 'integer',
  bigserial: 'bigint',
  serial8: 'bigint',
  smallserial: 'smallint',
  serial2: 'smallint',
};

/** The type name's last part, lower-case (`pg_catalog.int4` → `int4`). */
export function typeBase(v: unknown): string {
  const parts = names((v as Node | undefined)?.names);
  return (parts[parts.length - 1] ?? '').toLowerCase();
}

/**
 * Every node of a kind anywhere below `root` (depth-first, document order).
 * With a stack of its own, not recursion: a statement PostgreSQL parses can
 * nest deeper than JavaScript's call stack (4,000 strings joined with `||`).
 */
export function findAll(root: unknown, kind: string): Node[] {
  const out: Node[] = [];
  // Each entry: a value to walk, and whether it is a node of the kind (taken when it is reached).
  const stack: [unknown, boolean][] = [[root, false]];
  while (stack.length > 0) {
    const [n, match] = present(stack.pop());
    if (match) out.push(n as Node);
    if (Array.isArray(n)) {
      for (let i = n.length - 1; i >= 0; i--) stack.push([n[i], false]);
    } else if (n && typeof n === 'object') {
      const entries = Object.entries(n as Node);
      for (let i = entries.length - 1; i >= 0; i--) {
        const [k, v] = entries[i];
        stack.push([v, k === kind && !!v && typeof v === 'object' && !Array.isArray(v)]);
      }
    }
  }
  return out;
}

/** Function names called anywhere below `root`, lower-case, without schema. */
export function calledFunctions(root: unknown): string[] {
  return findAll(root, 'FuncCall').map((f) => {
    const n = names(f.funcname);
    return (n[n.length - 1] ?? '').toLowerCase();
  });
}
