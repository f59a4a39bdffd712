/**
 * Translation between the engine's node-postgres conventions and the RDS Data
 * API's wire shapes: `$1…` positional parameters → `:p1…` named SqlParameters
 * with type hints; typed result Fields → JS values the way node-postgres
 * returns them (int8/numeric as strings, timestamptz as Date, json parsed);
 * the service's error messages → PostgreSQL error fields with the SQLSTATE.
 *
 * Pure functions, no I/O: tested on values in test/lambda/driver/data-api/data-api-codec.test.ts.
 */
import type { ColumnMetadata, Field, SqlParameter, TypeHint } from '@aws-sdk/client-rds-data';
import type { Blocker } from '../../engine/errors/errors';
import { lexSql } from '../../engine/sql/lexer';
import { present } from '../../engine/errors/present';

/** A parameter with an explicit Data API type hint (`typed('…', 'UUID')`). */
export class TypedParameter {
  constructor(
    readonly value: unknown,
    readonly typeHint: TypeHint,
  ) {}
}

export function typed(value: unknown, typeHint: TypeHint): TypedParameter {
  return new TypedParameter(value, typeHint);
}

/**
 * Rewrite `$n` placeholders to `:pn`, leaving string literals ('…', E'…'),
 * quoted identifiers, comments and dollar-quoted bodies alone (the SQL lexer
 * decides what is a placeholder). Returns the highest placeholder number seen.
 */
export function toNamedPlaceholders(sql: string): { sql: string; count: number } {
  let out = '';
  let copied = 0;
  let count = 0;
  for (const token of lexSql(sql)) {
    if (token.kind !== 'parameter') continue;
    const k = Number(token.text.slice(1));
    count = Math.max(count, k);
    out += `${sql.slice(copied, token.offset)}:p${k}`;
    copied = token.end;
  }
  return { sql: out + sql.slice(copied), count };
}

/** Format a Date as the Data API's TIMESTAMP text (UTC): `YYYY-MM-DD HH:MM:SS.mmm`. */
export function timestampText(d: Date): string {
  return d.toISOString().replace('T', ' ').replace('Z', '');
}

/** One engine parameter → a SqlParameter named `p<k>`. */
export function toSqlParameter(k: number, value: unknown): SqlParameter {
  const name = `p${k}`;
  if (value instanceof TypedParameter) {
    if (value.value === null || value.value === undefined) return { name, value: { isNull: true } };
    const text =
      value.value instanceof Date
        ? value.typeHint === 'DATE'
          ? value.value.toISOString().slice(0, 10)
          : timestampText(value.value)
        : typeof value.value === 'object'
          ? JSON.stringify(value.value)
          : String(value.value);
    return { name, value: { stringValue: text }, typeHint: value.typeHint };
  }
  if (value === null || value === undefined) return { name, value: { isNull: true } };
  if (typeof value === 'boolean') return { name, value: { booleanValue: value } };
  if (typeof value === 'number') {
    if (Number.isSafeInteger(value)) return { name, value: { longValue: value } };
    if (!Number.isFinite(value)) return { name, value: { stringValue: String(value) } };
    return { name, value: { doubleValue: value } };
  }
  // A bigint does not fit a JS number (longValue): send its digits as DECIMAL.
  if (typeof value === 'bigint') return { name, value: { stringValue: value.toString() }, typeHint: 'DECIMAL' };
  if (typeof value === 'string') return { name, value: { stringValue: value } };
  if (value instanceof Date) return { name, value: { stringValue: timestampText(value) }, typeHint: 'TIMESTAMP' };
  if (value instanceof Uint8Array) return { name, value: { blobValue: value } };
  // The service refuses arrayValue parameters: an array goes as PostgreSQL array text, which `$1::text[]` casts.
  if (Array.isArray(value)) return { name, value: { stringValue: arrayLiteral(value) } };
  if (typeof value === 'object') return { name, value: { stringValue: JSON.stringify(value) }, typeHint: 'JSON' };
  throw new TypeError(`cannot send a ${typeof value} as a Data API parameter`);
}

/**
 * A JS array as PostgreSQL array input text: `{"a","b c",NULL}`, every
 * element double-quoted with `\` and `"` escaped, nested arrays nested.
 * A string parameter reaches the server as varchar, and an explicit cast from
 * a string type to an array type (`$1::text[]`) parses this text.
 */
export function arrayLiteral(values: readonly unknown[]): string {
  const element = (v: unknown): string => {
    if (v === null || v === undefined) return 'NULL';
    if (Array.isArray(v)) return arrayLiteral(v);
    if (typeof v === 'string' || typeof v === 'number' || typeof v === 'bigint' || typeof v === 'boolean') {
      return `"${String(v).replace(/[\\"]/g, (c) => `\\${c}`)}"`;
    }
    throw new TypeError(`cannot send an array holding a ${typeof v} as a Data API parameter`);
  };
  return `{${values.map(element).join(',')}}`;
}

/** `$1…` SQL and positional values → Data API SQL and parameters. */
export function translateStatement(sql: string, params: readonly unknown[] = []): { sql: string; parameters: SqlParameter[] } {
  const named = params.length ? toNamedPlaceholders(sql) : { sql, count: 0 };
  if (named.count > params.length) {
    throw new TypeError(`the statement uses $${named.count} but only ${params.length} parameter(s) were given`);
  }
  return { sql: named.sql, parameters: params.map((v, i) => toSqlParameter(i + 1, v)) };
}

// --- results ---------------------------------------------------------------

type FieldShape = {
  isNull?: boolean;
  stringValue?: string;
  longValue?: number;
  doubleValue?: number;
  booleanValue?: boolean;
  blobValue?: Uint8Array;
  arrayValue?: ArrayShape;
};
type ArrayShape = {
  stringValues?: (string | null)[];
  longValues?: (number | null)[];
  doubleValues?: (number | null)[];
  booleanValues?: (boolean | null)[];
  arrayValues?: ArrayShape[];
};

/** `YYYY-MM-DD HH:MM:SS[.ffffff][±hh[:mm]]` — without an offset the service means UTC. */
export function parseTimestamp(text: string): Date | string {
  const m = /^(\d{4,})-(\d\d)-(\d\d)[ T](\d\d):(\d\d):(\d\d)(\.\d+)?(?:([+-])(\d\d)(?::?(\d\d))?|Z)?$/.exec(text.trim());
  if (!m) return text; // infinity, BC dates: keep the text rather than invent a Date
  const ms = m[7] ? Math.floor(Number(m[7]) * 1000) : 0;
  let t = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6]), ms);
  if (m[8]) t -= (m[8] === '-' ? -1 : 1) * (Number(m[9]) * 60 + Number(m[10] ?? 0)) * 60_000;
  return new Date(t);
}

const SMALL_INT = new Set(['int2', 'int4', 'oid', 'xid', 'cid', 'smallint', 'integer', 'int', 'serial', 'smallserial']);
const BIG_INT = new Set(['int8', 'bigint', 'bigserial']);
const FLOAT = new Set(['float4', 'float8', 'real', 'double precision']);
const TIMESTAMP = new Set(['timestamptz', 'timestamp', 'timestamp with time zone', 'timestamp without time zone']);

/** Decode one scalar the way node-postgres would for `typeName`. */
function scalar(v: string | number | boolean | Uint8Array, typeName: string): unknown {
  if (SMALL_INT.has(typeName)) return Number(v);
  if (BIG_INT.has(typeName) || typeName === 'numeric' || typeName === 'decimal' || typeName === 'money') {
    return typeof v === 'string' ? v : String(v);
  }
  if (FLOAT.has(typeName)) return Number(v);
  if (typeName === 'bool' || typeName === 'boolean') return typeof v === 'boolean' ? v : v === 't' || v === 'true';
  if (TIMESTAMP.has(typeName)) return typeof v === 'string' ? parseTimestamp(v) : v;
  if (typeName === 'json' || typeName === 'jsonb') {
    if (typeof v !== 'string') return v;
    try {
      return JSON.parse(v);
    } catch {
      return v;
    }
  }
  if (v instanceof Uint8Array) return Buffer.from(v);
  return v;
}

function decodeArray(a: ArrayShape, elem: string): unknown[] {
  if (a.arrayValues) return a.arrayValues.map((x) => decodeArray(x, elem));
  const list = (a.stringValues ?? a.longValues ?? a.doubleValues ?? a.booleanValues ?? []) as (string | number | boolean | null)[];
  return list.map((x) => (x === null ? null : scalar(x, elem)));
}

/** Decode one Field given its column's PostgreSQL type name (`int8`, `_text`, …). */
export function decodeField(field: Field, typeName = ''): unknown {
  const f = field as unknown as FieldShape;
  const t = typeName.toLowerCase();
  if (f.isNull) return null;
  if (f.arrayValue) return decodeArray(f.arrayValue, t.startsWith('_') ? t.slice(1) : t.replace(/\[\]$/, ''));
  const v = f.stringValue ?? f.longValue ?? f.doubleValue ?? f.booleanValue ?? f.blobValue;
  if (v === undefined) return null;
  if (t.startsWith('_') && typeof v === 'string') return v; // an array the service sent as text
  return scalar(v, t);
}

/** Records + column metadata → row objects keyed by column label. */
export function decodeRecords<R>(records: Field[][] | undefined, columns: ColumnMetadata[] | undefined): R[] {
  if (!records) return [];
  const cols = columns ?? [];
  return records.map((rec) => {
    const row: Record<string, unknown> = {};
    rec.forEach((field, i) => {
      const c = cols[i];
      row[c?.label ?? c?.name ?? `column${i + 1}`] = decodeField(field, c?.typeName ?? '');
    });
    return row as R;
  });
}

// --- errors ----------------------------------------------------------------

/** A SQL error the service reported; shaped like pg's DatabaseError so the engine's one boundary reads it. */
export class DataApiSqlError extends Error {
  code?: string;
  detail?: string;
  hint?: string;
  position?: string;
  where?: string;
  /** What to do, where the driver knows better than the SQLSTATE (a statement that outlived its call). */
  fix?: string;
  /** Who blocked a statement the driver cancelled while it waited for a lock. */
  blockers?: Blocker[];
  /** The service's exception name (DatabaseErrorException, BadRequestException). */
  readonly exception: string;

  constructor(
    message: string,
    exception: string,
    fields: { code?: string; detail?: string; hint?: string; position?: string; where?: string; fix?: string; blockers?: Blocker[] },
    cause?: unknown,
  ) {
    super(message, cause === undefined ? undefined : { cause });
    this.name = 'DataApiSqlError';
    this.exception = exception;
    Object.assign(this, fields);
  }
}

/**
 * Parse the service's SQL error message. Aurora Serverless v2 and provisioned
 * clusters raise DatabaseErrorException (v1: BadRequestException) whose message
 * is PostgreSQL's error as pgjdbc prints it, with the SQLSTATE appended:
 *
 *   ERROR: relation "x" does not exist\n  Position: 15; SQLState: 42P01
 *   ERROR: duplicate key value violates unique constraint "k"\n  Detail: Key (id)=(1) already exists.; SQLState: 23505
 *
 * Messages without `SQLState:` (service-side failures such as "Database
 * response exceeded size limit") keep their text and get no SQLSTATE.
 */
export function parseSqlErrorMessage(raw: string): { message: string; code?: string; detail?: string; hint?: string; position?: string; where?: string } {
  let text = raw;
  let code: string | undefined;
  const state = /;\s*SQLState:\s*([0-9A-Z]{5})\s*$/.exec(text);
  if (state) {
    code = state[1];
    text = text.slice(0, state.index);
  }
  const parts = text.split(/\n\s+(?=(?:Detail|Hint|Position|Where|Internal Query|Internal Position|Routine|File|Line|Server SQLState): )/);
  const head = present(parts.shift()).replace(/^(?:ERROR|FATAL|PANIC):\s+/, '');
  const out: { message: string; code?: string; detail?: string; hint?: string; position?: string; where?: string } = { message: head };
  if (code) out.code = code;
  for (const p of parts) {
    const m = /^([A-Za-z ]+): ([\s\S]*)$/.exec(p);
    if (!m) continue;
    const value = m[2].trim();
    if (m[1] === 'Detail') out.detail = value;
    else if (m[1] === 'Hint') out.hint = value;
    else if (m[1] === 'Position') out.position = value;
    else if (m[1] === 'Where') out.where = value;
  }
  return out;
}
