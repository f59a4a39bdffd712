/**
 * Function volatility, for the one question lint asks of it: does a new
 * column's DEFAULT make PostgreSQL rewrite the table? PostgreSQL (11+)
 * evaluates a non-volatile default once and stores the value in the catalog;
 * a default that calls a VOLATILE function is evaluated per row, which
 * rewrites the table under ACCESS EXCLUSIVE.
 *
 * Where the volatility of a called function comes from, first match wins:
 * 1. a CREATE FUNCTION (or ALTER FUNCTION … IMMUTABLE/STABLE/VOLATILE) in the
 *    migrations, read into the model;
 * 2. the database's own `pg_proc.provolatile` (`lint --database-url`);
 * 3. the built-in table below: functions commonly seen in defaults, each
 *    checked against `pg_proc` and against a real `ADD COLUMN` (file node
 *    before and after) on PostgreSQL 18 and 15 by
 *    volatility.int.test.ts;
 * 4. otherwise unknown: reported as "may rewrite" (lint cannot tell, so it
 *    does not pass it).
 *
 * Overloads are matched by schema, name and number of arguments (defaults
 * and VARIADIC included); when several match, the most volatile counts.
 * Operators and casts inside a default are not looked at.
 */
import { findAll, names, type Node } from '../parser/parse';

export type Volatility = 'immutable' | 'stable' | 'volatile';

/** One function as lint knows it: from a migration, the database or the built-in table. */
export interface FunctionSignature {
  schema: string;
  name: string;
  nargs: number;
  /** Trailing arguments with a default. */
  ndefaults: number;
  /** The last argument is VARIADIC. */
  variadic: boolean;
  volatility: Volatility;
}

/** A function called in an expression. */
export interface FunctionCall {
  schema?: string;
  name: string;
  nargs: number;
}

export interface CallVerdict {
  call: FunctionCall;
  /** `unknown`: no migration, database or built-in entry knows it. */
  volatility: Volatility | 'unknown';
}

/** A built-in or well-known extension function, with a column definition that uses it as a default. */
export interface BuiltinFunction extends FunctionSignature {
  /** `ADD COLUMN x <example>`: run on a real server to see whether it rewrites. */
  example: string;
  /** Installed by this extension (into any schema), not in pg_catalog. */
  extension?: string;
  /** First PostgreSQL major version that has it. */
  since?: number;
}

const core = (name: string, nargs: number, volatility: Volatility, example: string, more: Partial<BuiltinFunction> = {}): BuiltinFunction => ({
  schema: 'pg_catalog',
  name,
  nargs,
  ndefaults: 0,
  variadic: false,
  volatility,
  example,
  ...more,
});
const ext = (extension: string, name: string, nargs: number, volatility: Volatility, example: string): BuiltinFunction => ({
  schema: 'public',
  name,
  nargs,
  ndefaults: 0,
  variadic: false,
  volatility,
  example,
  extension,
});

export const BUILTIN_FUNCTIONS: readonly BuiltinFunction[] = [
  core('now', 0, 'stable', 'timestamptz DEFAULT now()'),
  core('statement_timestamp', 0, 'stable', 'timestamptz DEFAULT statement_timestamp()'),
  core('transaction_timestamp', 0, 'stable', 'timestamptz DEFAULT transaction_timestamp()'),
  core('timezone', 2, 'stable', "timestamp DEFAULT timezone('utc', now())"),
  core('date_trunc', 2, 'stable', "timestamptz DEFAULT date_trunc('day', now())"),
  core('date_part', 2, 'stable', "double precision DEFAULT date_part('year', now())"),
  core('extract', 2, 'stable', 'numeric DEFAULT EXTRACT(epoch FROM now())'),
  core('to_char', 2, 'stable', "text DEFAULT to_char(now(), 'YYYY')"),
  core('current_setting', 1, 'stable', "text DEFAULT current_setting('application_name')"),
  core('current_database', 0, 'stable', 'text DEFAULT current_database()'),
  core('txid_current', 0, 'stable', 'bigint DEFAULT txid_current()'),
  core('pg_current_xact_id', 0, 'stable', 'xid8 DEFAULT pg_current_xact_id()'),
  core('lower', 1, 'immutable', "text DEFAULT lower('A')"),
  core('upper', 1, 'immutable', "text DEFAULT upper('a')"),
  core('md5', 1, 'immutable', "text DEFAULT md5('a')"),
  core('btrim', 1, 'immutable', "text DEFAULT trim(' a ')"),
  core('replace', 3, 'immutable', "text DEFAULT replace('ab', 'b', 'c')"),
  core('make_interval', 7, 'immutable', 'interval DEFAULT make_interval(days => 30)', { ndefaults: 7 }),
  core('jsonb_build_object', 1, 'stable', "jsonb DEFAULT jsonb_build_object('a', 1)", { variadic: true }),
  core('json_build_object', 1, 'stable', "json DEFAULT json_build_object('a', 1)", { variadic: true }),
  core('jsonb_build_array', 1, 'stable', 'jsonb DEFAULT jsonb_build_array(1, 2)', { variadic: true }),
  core('to_jsonb', 1, 'stable', "jsonb DEFAULT to_jsonb('a'::text)"),
  core('array_fill', 2, 'immutable', 'int[] DEFAULT array_fill(0, ARRAY[3])'),
  core('clock_timestamp', 0, 'volatile', 'timestamptz DEFAULT clock_timestamp()'),
  core('timeofday', 0, 'volatile', 'text DEFAULT timeofday()'),
  core('random', 0, 'volatile', 'double precision DEFAULT random()'),
  core('gen_random_uuid', 0, 'volatile', 'uuid DEFAULT gen_random_uuid()'),
  core('nextval', 1, 'volatile', "bigint DEFAULT nextval('lint_seq')"),
  core('uuidv4', 0, 'volatile', 'uuid DEFAULT uuidv4()', { since: 18 }),
  core('uuidv7', 0, 'volatile', 'uuid DEFAULT uuidv7()', { since: 18 }),
  ext('uuid-ossp', 'uuid_generate_v1', 0, 'volatile', 'uuid DEFAULT uuid_generate_v1()'),
  ext('uuid-ossp', 'uuid_generate_v1mc', 0, 'volatile', 'uuid DEFAULT uuid_generate_v1mc()'),
  ext('uuid-ossp', 'uuid_generate_v4', 0, 'volatile', 'uuid DEFAULT uuid_generate_v4()'),
  ext('uuid-ossp', 'uuid_nil', 0, 'immutable', 'uuid DEFAULT uuid_nil()'),
  ext('pgcrypto', 'gen_random_bytes', 1, 'volatile', 'bytea DEFAULT gen_random_bytes(16)'),
];

const RANK: Record<Volatility, number> = { immutable: 0, stable: 1, volatile: 2 };

/** The most volatile of several: the one that decides a rewrite. */
export function mostVolatile(vs: readonly Volatility[]): Volatility | undefined {
  return vs.reduce<Volatility | undefined>((a, v) => (a === undefined || RANK[v] > RANK[a] ? v : a), undefined);
}

/** Whether `sig` accepts a call with `nargs` arguments. */
export function acceptsArity(sig: FunctionSignature, nargs: number): boolean {
  if (sig.variadic && nargs >= sig.nargs - 1) return true;
  return nargs <= sig.nargs && nargs >= sig.nargs - sig.ndefaults;
}

/** The function calls anywhere in an expression, in order. */
export function functionCalls(expr: unknown): FunctionCall[] {
  return findAll(expr, 'FuncCall').map((f: Node) => {
    const parts = names(f.funcname);
    const name = parts[parts.length - 1] ?? '';
    return { schema: parts.length > 1 ? parts[parts.length - 2] : undefined, name, nargs: Array.isArray(f.args) ? f.args.length : 0 };
  });
}

/** Where lint looks a call up. */
export interface FunctionSources {
  /** Functions created by the migrations read so far. */
  migrations: readonly FunctionSignature[];
  /** The database's functions (`lint --database-url`). @default - none: the built-in table decides */
  database?: readonly FunctionSignature[];
  /** Schemas an unqualified name is looked up in (after pg_catalog). */
  searchPath: readonly string[];
}

function matches(sig: FunctionSignature, call: FunctionCall, searchPath: readonly string[]): boolean {
  if (sig.name !== call.name || !acceptsArity(sig, call.nargs)) return false;
  if (call.schema) return sig.schema === call.schema;
  return sig.schema === 'pg_catalog' || searchPath.includes(sig.schema);
}

function builtinMatches(b: BuiltinFunction, call: FunctionCall): boolean {
  if (b.name !== call.name || !acceptsArity(b, call.nargs)) return false;
  return b.extension ? true : call.schema === undefined || call.schema === 'pg_catalog';
}

/** The volatility of one call, from the first source that knows the function. */
export function callVolatility(call: FunctionCall, sources: FunctionSources): CallVerdict {
  for (const list of [sources.migrations, sources.database ?? []]) {
    const v = mostVolatile(list.filter((f) => matches(f, call, sources.searchPath)).map((f) => f.volatility));
    if (v) return { call, volatility: v };
  }
  const v = mostVolatile(BUILTIN_FUNCTIONS.filter((b) => builtinMatches(b, call)).map((b) => b.volatility));
  return { call, volatility: v ?? 'unknown' };
}

export function callText(c: FunctionCall): string {
  return `${c.schema ? `${c.schema}.` : ''}${c.name}(${c.nargs ? '…' : ''})`;
}
