import { describe, expect, it } from 'vitest';
import { DatabaseErrorException, StatementTimeoutException, TransactionNotFoundException, AccessDeniedException, HttpEndpointNotEnabledException } from '@aws-sdk/client-rds-data';
import {
  DataApiSqlError, decodeField, decodeRecords, parseSqlErrorMessage, parseTimestamp, toNamedPlaceholders, toSqlParameter,
  translateStatement, typed,
} from '../../../lambda/driver/data-api-codec';
import { DataApiDriver, isWrite, needsOwnCall, translateError } from '../../../lambda/driver/data-api-driver';
import { ConnectionError, InputError, databaseFields } from '../../../lambda/engine/errors';

const meta = { $metadata: {} };

describe('Function: toNamedPlaceholders', () => {
  it('rewrites $n outside literals, identifiers, comments and dollar quotes', () => {
    const sql = `SELECT $1::bigint, '$2', E'it\\'s $3', "col$4", $$ $5 $$, $fn$ $6 $fn$, x$7 -- $8\n/* $9 /* nested $10 */ */ , $11`;
    expect(toNamedPlaceholders(sql)).toEqual({
      sql: `SELECT :p1::bigint, '$2', E'it\\'s $3', "col$4", $$ $5 $$, $fn$ $6 $fn$, x$7 -- $8\n/* $9 /* nested $10 */ */ , :p11`,
      count: 11,
    });
  });

  it('keeps doubled quotes inside a literal', () => {
    expect(toNamedPlaceholders(`SELECT 'a''$1', $2`).sql).toBe(`SELECT 'a''$1', :p2`);
  });
});

describe('Function: toSqlParameter', () => {
  it.each([
    [null, { isNull: true }, undefined],
    [undefined, { isNull: true }, undefined],
    [true, { booleanValue: true }, undefined],
    [42, { longValue: 42 }, undefined],
    [0.5, { doubleValue: 0.5 }, undefined],
    ['text', { stringValue: 'text' }, undefined],
    [12345678901234567890n, { stringValue: '12345678901234567890' }, 'DECIMAL'],
    [new Date('2026-01-02T03:04:05.006Z'), { stringValue: '2026-01-02 03:04:05.006' }, 'TIMESTAMP'],
    [{ a: [1] }, { stringValue: '{"a":[1]}' }, 'JSON'],
    [[1, 2], { stringValue: '[1,2]' }, 'JSON'],
  ])('infers the field and hint for %o', (value, field, hint) => {
    const p = toSqlParameter(1, value);
    expect(p.name).toBe('p1');
    expect(p.value).toEqual(field);
    expect(p.typeHint).toBe(hint);
  });

  it('uses an explicit hint: UUID, DECIMAL, DATE, TIME', () => {
    expect(toSqlParameter(2, typed('3f1c9a52-3c3e-4d9a-9d55-0c8a1e1e2b77', 'UUID'))).toEqual({
      name: 'p2', value: { stringValue: '3f1c9a52-3c3e-4d9a-9d55-0c8a1e1e2b77' }, typeHint: 'UUID',
    });
    expect(toSqlParameter(3, typed(12.5, 'DECIMAL')).value).toEqual({ stringValue: '12.5' });
    expect(toSqlParameter(4, typed(new Date('2026-05-06T00:00:00Z'), 'DATE')).value).toEqual({ stringValue: '2026-05-06' });
    expect(toSqlParameter(5, typed('10:11:12', 'TIME')).typeHint).toBe('TIME');
    expect(toSqlParameter(6, typed(null, 'UUID')).value).toEqual({ isNull: true });
  });

  it('sends bytes as a blob', () => {
    expect(toSqlParameter(1, Buffer.from([1, 2])).value).toEqual({ blobValue: Buffer.from([1, 2]) });
  });
});

describe('Function: translateStatement', () => {
  it('throws when the statement uses more parameters than given', () => {
    expect(() => translateStatement('SELECT $1, $2', [1])).toThrow(/uses \$2 but only 1/);
  });

  it('leaves a statement without parameters untouched', () => {
    expect(translateStatement('SELECT 1')).toEqual({ sql: 'SELECT 1', parameters: [] });
  });
});

describe('Function: decodeField', () => {
  it.each([
    [{ isNull: true }, 'text', null],
    [{ stringValue: '9007199254740993' }, 'int8', '9007199254740993'],
    [{ longValue: 7 }, 'int8', '7'],
    [{ stringValue: '42' }, 'int4', 42],
    [{ longValue: 42 }, 'int4', 42],
    [{ stringValue: '1.50' }, 'numeric', '1.50'],
    [{ doubleValue: 2.5 }, 'float8', 2.5],
    [{ booleanValue: true }, 'bool', true],
    [{ stringValue: 'x' }, 'text', 'x'],
    [{ stringValue: '{"a":1}' }, 'jsonb', { a: 1 }],
    [{ stringValue: 'not json' }, 'json', 'not json'],
    [{ arrayValue: { longValues: [1, 2] } }, '_int4', [1, 2]],
    [{ arrayValue: { stringValues: ['a', null] } }, '_text', ['a', null]],
    [{ arrayValue: { stringValues: ['5'] } }, '_int8', ['5']],
    [{ arrayValue: { arrayValues: [{ longValues: [1] }, { longValues: [2] }] } }, '_int4', [[1], [2]]],
    [{ arrayValue: { booleanValues: [false] } }, '_bool', [false]],
  ])('decodes %o of type %s', (field, type, expected) => {
    expect(decodeField(field as never, type)).toEqual(expected);
  });

  it('decodes timestamps as UTC Dates', () => {
    expect(decodeField({ stringValue: '2026-01-02 03:04:05.678901' }, 'timestamptz')).toEqual(new Date('2026-01-02T03:04:05.678Z'));
    expect(parseTimestamp('2026-01-02 03:04:05+02')).toEqual(new Date('2026-01-02T01:04:05Z'));
    expect(parseTimestamp('2026-01-02 03:04:05-03:30')).toEqual(new Date('2026-01-02T06:34:05Z'));
    expect(parseTimestamp('infinity')).toBe('infinity');
  });

  it('decodes bytes to a Buffer', () => {
    expect(decodeField({ blobValue: new Uint8Array([1]) }, 'bytea')).toEqual(Buffer.from([1]));
  });
});

describe('Function: decodeRecords', () => {
  it('keys rows by column label', () => {
    const rows = decodeRecords(
      [[{ longValue: 1 }, { stringValue: 'a' }], [{ longValue: 2 }, { isNull: true }]],
      [{ label: 'id', typeName: 'int4' }, { name: 'name', typeName: 'text' }],
    );
    expect(rows).toEqual([{ id: 1, name: 'a' }, { id: 2, name: null }]);
  });

  it('returns no rows when the service returned no records (DML)', () => {
    expect(decodeRecords(undefined, undefined)).toEqual([]);
  });
});

describe('Function: parseSqlErrorMessage', () => {
  it('reads message, position and SQLSTATE', () => {
    expect(parseSqlErrorMessage('ERROR: relation "x" does not exist\n  Position: 15; SQLState: 42P01')).toEqual({
      message: 'relation "x" does not exist', position: '15', code: '42P01',
    });
  });

  it('reads detail and hint', () => {
    expect(parseSqlErrorMessage('ERROR: duplicate key value violates unique constraint "k"\n  Detail: Key (id)=(1) already exists.; SQLState: 23505')).toEqual({
      message: 'duplicate key value violates unique constraint "k"', detail: 'Key (id)=(1) already exists.', code: '23505',
    });
    expect(parseSqlErrorMessage('ERROR: function f() does not exist\n  Hint: No function matches.\n  Position: 8; SQLState: 42883')).toMatchObject({
      hint: 'No function matches.', position: '8', code: '42883',
    });
  });

  it('keeps a message without SQLSTATE as it is', () => {
    expect(parseSqlErrorMessage('Database response exceeded size limit')).toEqual({ message: 'Database response exceeded size limit' });
  });
});

describe('Function: translateError', () => {
  const target = 'data-api://cluster/db';

  it('turns DatabaseErrorException into a pg-shaped error the engine reads', () => {
    const e = translateError(new DatabaseErrorException({ ...meta, message: 'ERROR: null value in column "id" of relation "t" violates not-null constraint\n  Detail: Failing row contains (null).; SQLState: 23502' }), target);
    expect(e).toBeInstanceOf(DataApiSqlError);
    expect(databaseFields(e)).toMatchObject({ sqlstate: '23502', detail: 'Failing row contains (null).' });
  });

  it('maps the service limits to SQLSTATEs', () => {
    expect(translateError(new StatementTimeoutException({ ...meta, message: 'timed out' }), target)).toMatchObject({ code: '57014' });
    expect(translateError(new TransactionNotFoundException({ ...meta, message: 'Transaction abc is not found' }), target)).toMatchObject({
      code: '25P03', message: expect.stringContaining('3 minutes'),
    });
    expect(translateError(new DatabaseErrorException({ ...meta, message: 'Database response exceeded size limit' }), target)).toMatchObject({ code: '54000' });
  });

  it('turns permission and configuration errors into ConnectionError with a fix', () => {
    const denied = translateError(new AccessDeniedException({ ...meta, message: 'not authorized' }), target);
    expect(denied).toBeInstanceOf(ConnectionError);
    expect((denied as ConnectionError).fix).toMatch(/rds-data:ExecuteStatement/);
    expect(translateError(new HttpEndpointNotEnabledException({ ...meta, message: 'x' }), target)).toMatchObject({ fix: expect.stringContaining('enableDataApi') });
  });
});

describe('Class: DataApiDriver', () => {
  const ok = {
    resourceArn: 'arn:aws:rds:eu-west-1:123456789012:cluster:db', secretArn: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:db-AbCdEf', database: 'app',
  };

  it('throws when resourceArn is not a cluster ARN', () => {
    expect(() => new DataApiDriver({ ...ok, resourceArn: 'arn:aws:rds:eu-west-1:123456789012:db:instance-1' })).toThrow(InputError);
  });

  it('throws without echoing a bad secret ARN', () => {
    const bad = 'not-an-arn-but-maybe-a-password';
    expect(() => new DataApiDriver({ ...ok, secretArn: bad })).toThrow(/secretArn is not a Secrets Manager ARN/);
    try {
      new DataApiDriver({ ...ok, secretArn: bad });
    } catch (e) {
      expect(JSON.stringify((e as InputError).toJSON())).not.toContain(bad);
    }
  });

  it('names its target without the secret', () => {
    const d = new DataApiDriver({ ...ok, client: { send: async () => ({}) } as never });
    expect(d.target).toBe('data-api://arn:aws:rds:eu-west-1:123456789012:cluster:db/app');
    expect(d.kind).toBe('data-api');
  });
});

describe('Function: needsOwnCall / isWrite', () => {
  it.each([
    ['CREATE INDEX CONCURRENTLY i ON t (a)', true],
    ['create unique index concurrently if not exists i on t (a)', true],
    ['-- note\nDROP INDEX CONCURRENTLY i', true],
    ['REINDEX INDEX CONCURRENTLY i', true],
    ['VACUUM t', true],
    ['CREATE INDEX i ON t (a)', false],
    ['INSERT INTO t VALUES (1)', false],
    ['DO $$ BEGIN FOR k IN 1..3 LOOP UPDATE t SET a = k; COMMIT; END LOOP; END $$', true],
    ['-- batches\ndo $b$ BEGIN ROLLBACK; END $b$', true],
    ["DO $$ BEGIN RAISE NOTICE 'commit'; END $$", false],
  ])('%s runs outside a transaction block: %s', (sql, expected) => {
    expect(needsOwnCall(sql)).toBe(expected);
  });

  it.each([
    ['SELECT 1', false],
    ['/* x */ select 1', false],
    ['WITH a AS (SELECT 1) SELECT * FROM a', false],
    ['ALTER TABLE t ADD COLUMN c int', true],
    ['UPDATE t SET a = 1', true],
  ])('%s is continued past the call limit: %s', (sql, expected) => {
    expect(isWrite(sql)).toBe(expected);
  });
});
