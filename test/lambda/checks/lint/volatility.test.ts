/** Where a called function's volatility comes from: migrations, then the database, then the built-in table. */
import { describe, expect, it } from 'vitest';
import { acceptsArity, callVolatility, type FunctionSignature } from '../../../../lambda/checks/lint/volatility';

const sig = (
  schema: string,
  name: string,
  volatility: FunctionSignature['volatility'],
  nargs = 0,
  more: Partial<FunctionSignature> = {},
): FunctionSignature => ({ schema, name, nargs, ndefaults: 0, variadic: false, volatility, ...more });

describe('Function: acceptsArity', () => {
  it('counts arguments with defaults and VARIADIC', () => {
    expect(acceptsArity(sig('public', 'f', 'stable', 2, { ndefaults: 1 }), 1)).toBe(true);
    expect(acceptsArity(sig('public', 'f', 'stable', 2, { ndefaults: 1 }), 0)).toBe(false);
    expect(acceptsArity(sig('public', 'f', 'stable', 1, { variadic: true }), 5)).toBe(true);
    expect(acceptsArity(sig('public', 'f', 'stable', 1), 2)).toBe(false);
  });
});

describe('Function: callVolatility', () => {
  const path = ['public'];
  it('takes a function created by the migrations before the database, and the database before the built-in table', () => {
    const migrations = [sig('public', 'now', 'volatile')];
    const database = [sig('public', 'now', 'immutable'), sig('pg_catalog', 'now', 'stable')];
    expect(callVolatility({ name: 'now', nargs: 0 }, { migrations, database, searchPath: path }).volatility).toBe('volatile');
    expect(callVolatility({ name: 'now', nargs: 0 }, { migrations: [], database, searchPath: path }).volatility).toBe('stable');
    expect(callVolatility({ name: 'now', nargs: 0 }, { migrations: [], searchPath: path }).volatility).toBe('stable');
  });
  it('of overloads that accept the call, counts the most volatile', () => {
    const database = [sig('public', 'code', 'immutable', 1), sig('public', 'code', 'volatile', 1), sig('public', 'code', 'immutable', 0)];
    expect(callVolatility({ name: 'code', nargs: 1 }, { migrations: [], database, searchPath: path }).volatility).toBe('volatile');
    expect(callVolatility({ name: 'code', nargs: 0 }, { migrations: [], database, searchPath: path }).volatility).toBe('immutable');
  });
  it('matches a qualified call in its schema only, an unqualified one in pg_catalog and the search path', () => {
    const database = [sig('util', 'slug', 'immutable', 1)];
    expect(callVolatility({ schema: 'util', name: 'slug', nargs: 1 }, { migrations: [], database, searchPath: path }).volatility).toBe('immutable');
    expect(callVolatility({ name: 'slug', nargs: 1 }, { migrations: [], database, searchPath: path }).volatility).toBe('unknown');
    expect(callVolatility({ name: 'slug', nargs: 1 }, { migrations: [], database, searchPath: ['util'] }).volatility).toBe('immutable');
  });
  it('knows well-known built-ins and extension functions without a database; anything else is unknown', () => {
    const none = { migrations: [], searchPath: path };
    expect(callVolatility({ name: 'clock_timestamp', nargs: 0 }, none).volatility).toBe('volatile');
    expect(callVolatility({ name: 'txid_current', nargs: 0 }, none).volatility).toBe('stable');
    expect(callVolatility({ schema: 'extensions', name: 'uuid_generate_v4', nargs: 0 }, none).volatility).toBe('volatile');
    expect(callVolatility({ schema: 'app', name: 'now', nargs: 0 }, none).volatility).toBe('unknown');
    expect(callVolatility({ name: 'now', nargs: 1 }, none).volatility).toBe('unknown');
  });
});
