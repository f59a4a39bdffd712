/**
 * schemaguard's own state: schema `schemaguard` (configurable), one row per
 * applied migration. Created on the first `migrate`, never by `plan`/`status`.
 */
import type { Queryable } from './ports';
import { quoteIdent } from './identifiers';

export const DEFAULT_STATE_SCHEMA = 'schemaguard';
export const STATE_TABLE = 'applied_migrations';

export interface AppliedMigration {
  version: number;
  name: string;
  checksum: string;
  appliedAt: Date;
  executionMs: number;
  appliedBy: string;
}

export function stateTable(schema: string): string {
  return `${quoteIdent(schema)}.${quoteIdent(STATE_TABLE)}`;
}

export function stateDdl(schema: string): string {
  return [
    `CREATE SCHEMA IF NOT EXISTS ${quoteIdent(schema)}`,
    `CREATE TABLE IF NOT EXISTS ${stateTable(schema)} (
  version      bigint      PRIMARY KEY,
  name         text        NOT NULL,
  checksum     text        NOT NULL CHECK (checksum ~ '^[0-9a-f]{64}$'),
  applied_at   timestamptz NOT NULL DEFAULT clock_timestamp(),
  execution_ms integer     NOT NULL CHECK (execution_ms >= 0),
  applied_by   text        NOT NULL
)`,
    `COMMENT ON TABLE ${stateTable(schema)} IS 'schemaguard: one row per applied migration (sha-256 of the LF-normalised file)'`,
  ].join(';\n');
}

/** Whether the state table exists (read-only). */
export async function stateExists(q: Queryable, schema: string): Promise<boolean> {
  const r = await q.query<{ t: string | null }>(`SELECT to_regclass(format('%I.%I', $1::text, $2::text))::text AS t`, [schema, STATE_TABLE]);
  return r.rows[0]?.t != null;
}

/** Create the state schema and table; call while holding the runner lock. */
export async function ensureState(q: Queryable, schema: string): Promise<void> {
  if (await stateExists(q, schema)) return;
  for (const stmt of stateDdl(schema).split(';\n')) await q.query(stmt);
}

/** Applied migrations in version order; [] when the state table does not exist. Writes nothing. */
export async function readApplied(q: Queryable, schema: string): Promise<AppliedMigration[]> {
  if (!(await stateExists(q, schema))) return [];
  const r = await q.query<{ version: string | number; name: string; checksum: string; applied_at: Date | string; execution_ms: number; applied_by: string }>(
    `SELECT version, name, checksum, applied_at, execution_ms, applied_by FROM ${stateTable(schema)} ORDER BY version`,
  );
  return r.rows.map((x) => ({
    version: Number(x.version),
    name: x.name,
    checksum: x.checksum,
    appliedAt: x.applied_at instanceof Date ? x.applied_at : new Date(x.applied_at),
    executionMs: Number(x.execution_ms),
    appliedBy: x.applied_by,
  }));
}

export function insertAppliedSql(schema: string): string {
  return `INSERT INTO ${stateTable(schema)} (version, name, checksum, execution_ms, applied_by) VALUES ($1, $2, $3, $4, $5)`;
}

/** A string as an SQL literal, safe whatever standard_conforming_strings says (the E'' form when it holds a backslash). */
export function quoteLiteral(value: string): string {
  const body = value.replace(/'/g, "''");
  return value.includes('\\') ? `E'${body.replace(/\\/g, '\\\\')}'` : `'${body}'`;
}

/**
 * The state row's INSERT with its values inlined, for drivers that send it
 * together with COMMIT in one round trip (no parameters there).
 */
export function insertAppliedLiteralSql(schema: string, row: { version: number; name: string; checksum: string; executionMs: number; appliedBy: string }): string {
  if (!Number.isSafeInteger(row.version) || !Number.isSafeInteger(row.executionMs)) {
    throw new TypeError(`state row: version ${row.version} and execution time ${row.executionMs} must be integers`);
  }
  return `INSERT INTO ${stateTable(schema)} (version, name, checksum, execution_ms, applied_by) VALUES (${row.version}, ${quoteLiteral(row.name)}, ${quoteLiteral(row.checksum)}, ${row.executionMs}, ${quoteLiteral(row.appliedBy)})`;
}
