/**
 * SQL identifiers that come from configuration (the state schema's name) are
 * validated once and always quoted; nothing is interpolated unquoted.
 */
import { InputError } from '../errors/errors';

export function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/** `"schema"."name"`, or `"name"` alone when no schema is given (the search path finds it). */
export function qualifiedIdent(schema: string | undefined, name: string): string {
  return schema ? `${quoteIdent(schema)}.${quoteIdent(name)}` : quoteIdent(name);
}

/**
 * A schema name from configuration: non-empty, at most 63 bytes, no NUL.
 * `setting` names where the value came from, as its caller knows it (the
 * CLI's flag, the Lambda's environment variable); by default the engine's own
 * option.
 */
export function validateSchemaName(name: string, setting = 'stateSchema'): string {
  if (name.length === 0 || Buffer.byteLength(name, 'utf8') > 63 || name.includes('\u0000')) {
    throw new InputError(`${setting}: "${name.replace(/\u0000/g, '\\0')}" is not a usable schema name`, {
      value: name,
      fix: 'use 1 to 63 bytes without NUL, e.g. schemaguard',
    });
  }
  // PostgreSQL reserves the prefix for its own schemas (CREATE SCHEMA refuses it: 42939).
  if (name.startsWith('pg_')) {
    throw new InputError(`${setting}: "${name}" begins with pg_, which PostgreSQL reserves for system schemas`, {
      value: name,
      fix: 'use a name without the pg_ prefix, e.g. schemaguard',
    });
  }
  return name;
}
