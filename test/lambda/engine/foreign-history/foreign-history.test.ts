/**
 * Which tool a history table is (`toolOfTable`): by its name, then by its
 * columns as format_type gives them. Three tools write a `schema_migrations`:
 * golang-migrate's (version bigint, dirty boolean), dbmate's and Rails'
 * (both one column, version character varying, as dbmate 2.36 creates it
 * here), told apart by the `ar_internal_metadata` table Rails (5.0 and
 * later) keeps beside its own.
 */
import { describe, expect, it } from 'vitest';
import { toolOfTable } from '../../../../lambda/engine/foreign-history/foreign-history';

describe('Function: toolOfTable', () => {
  it.each([
    ["golang-migrate's", { version: 'bigint', dirty: 'boolean' }, false, 'golang-migrate'],
    ["dbmate's", { version: 'character varying' }, false, 'dbmate'],
    ["Rails' (ar_internal_metadata beside it)", { version: 'character varying' }, true, undefined],
    ['one with another column too', { version: 'character varying', note: 'text' }, false, undefined],
    ['one whose version is a number without dirty', { version: 'bigint' }, false, undefined],
  ] as const)('schema_migrations: %s is %s', (_what, columns, rails, tool) => {
    expect(toolOfTable('schema_migrations', { columns, rails })).toBe(tool);
  });

  it('takes each tool\'s table with its own columns, and another table of that name (TypeORM\'s generic "migrations") only with them', () => {
    expect(toolOfTable('migrations', { columns: { id: 'integer', timestamp: 'bigint', name: 'character varying' }, rails: false })).toBe('typeorm');
    expect(toolOfTable('migrations', { columns: { id: 'integer', name: 'text' }, rails: false })).toBeUndefined();
    expect(toolOfTable('__drizzle_migrations', { columns: { id: 'integer', hash: 'text', created_at: 'bigint' }, rails: false })).toBe('drizzle');
    expect(toolOfTable('flyway_schema_history', { columns: {}, rails: false })).toBe('flyway');
  });
});
