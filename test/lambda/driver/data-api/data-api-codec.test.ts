import { describe, expect, it } from 'vitest';
import {
  arrayLiteral,
  decodeField,
  decodeRecords,
  parseSqlErrorMessage,
  parseTimestamp,
  toNamedPlaceholders,
  toSqlParameter,
  translateStatement,
  typed,
} from '../../../../lambda/driver/data-api/data-api-codec';
import { splitSql } from '../../../../lambda/engine/sql/splitter';

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

  // Regression: the rewrite had a scanner of its own that decided E'' strings by
  // looking back from the quote, while the splitter decided at the E. Both now
  // read the one lexer; these pin where an escape string ends, for both: the
  // splitter sees the literal closed (the `;` after it ends the statement).
  it.each([
    [`SELECT E'it\\'s $1', $2`, `SELECT E'it\\'s $1', :p2`],
    [`SELECT e'\\\\', $1`, `SELECT e'\\\\', :p1`],
    [`SELECT 'a\\', $1`, `SELECT 'a\\', :p1`],
    [`SELECT xE'\\', $1`, `SELECT xE'\\', :p1`],
    [`SELECT 9E'\\', $1`, `SELECT 9E'\\', :p1`],
  ])("reads E'' strings as the splitter does: %s", (sql, rewritten) => {
    expect(toNamedPlaceholders(sql).sql).toBe(rewritten);
    expect(splitSql(`${sql}; SELECT 2`).map((st) => st.text)).toEqual([sql, 'SELECT 2']);
  });

  it('leaves the rest alone after a literal left open, where the splitter refuses the text', () => {
    expect(toNamedPlaceholders(`SELECT $1, 'open $2`)).toEqual({ sql: `SELECT :p1, 'open $2`, count: 1 });
    expect(() => splitSql(`SELECT $1, 'open $2`)).toThrow(/unterminated quoted string/);
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
    // The service has no array parameters: an array is PostgreSQL array text, for `$1::text[]` (a JSON hint cannot be cast to an array).
    [[1, 2], { stringValue: '{"1","2"}' }, undefined],
    [['public', 'a "b"', 'c\\d', null], { stringValue: '{"public","a \\"b\\"","c\\\\d",NULL}' }, undefined],
  ])('infers the field and hint for %o', (value, field, hint) => {
    const p = toSqlParameter(1, value);
    expect(p.name).toBe('p1');
    expect(p.value).toEqual(field);
    expect(p.typeHint).toBe(hint);
  });

  it('uses an explicit hint: UUID, DECIMAL, DATE, TIME', () => {
    expect(toSqlParameter(2, typed('3f1c9a52-3c3e-4d9a-9d55-0c8a1e1e2b77', 'UUID'))).toEqual({
      name: 'p2',
      value: { stringValue: '3f1c9a52-3c3e-4d9a-9d55-0c8a1e1e2b77' },
      typeHint: 'UUID',
    });
    expect(toSqlParameter(3, typed(12.5, 'DECIMAL')).value).toEqual({ stringValue: '12.5' });
    expect(toSqlParameter(4, typed(new Date('2026-05-06T00:00:00Z'), 'DATE')).value).toEqual({ stringValue: '2026-05-06' });
    expect(toSqlParameter(5, typed('10:11:12', 'TIME')).typeHint).toBe('TIME');
    expect(toSqlParameter(6, typed(null, 'UUID')).value).toEqual({ isNull: true });
  });

  it('nests arrays and refuses an array of objects, naming what it holds', () => {
    expect(
      arrayLiteral([
        [1, 2],
        [3, null],
      ]),
    ).toBe('{{"1","2"},{"3",NULL}}');
    expect(arrayLiteral([])).toBe('{}');
    expect(() => toSqlParameter(1, [{ a: 1 }])).toThrow(/cannot send an array holding a object as a Data API parameter/);
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
      [
        [{ longValue: 1 }, { stringValue: 'a' }],
        [{ longValue: 2 }, { isNull: true }],
      ],
      [
        { label: 'id', typeName: 'int4' },
        { name: 'name', typeName: 'text' },
      ],
    );
    expect(rows).toEqual([
      { id: 1, name: 'a' },
      { id: 2, name: null },
    ]);
  });

  it('returns no rows when the service returned no records (DML)', () => {
    expect(decodeRecords(undefined, undefined)).toEqual([]);
  });
});

describe('Function: parseSqlErrorMessage', () => {
  it('reads message, position and SQLSTATE', () => {
    expect(parseSqlErrorMessage('ERROR: relation "x" does not exist\n  Position: 15; SQLState: 42P01')).toEqual({
      message: 'relation "x" does not exist',
      position: '15',
      code: '42P01',
    });
  });

  it('reads detail and hint', () => {
    expect(parseSqlErrorMessage('ERROR: duplicate key value violates unique constraint "k"\n  Detail: Key (id)=(1) already exists.; SQLState: 23505')).toEqual({
      message: 'duplicate key value violates unique constraint "k"',
      detail: 'Key (id)=(1) already exists.',
      code: '23505',
    });
    expect(parseSqlErrorMessage('ERROR: function f() does not exist\n  Hint: No function matches.\n  Position: 8; SQLState: 42883')).toMatchObject({
      hint: 'No function matches.',
      position: '8',
      code: '42883',
    });
  });

  it('keeps a message without SQLSTATE as it is', () => {
    expect(parseSqlErrorMessage('Database response exceeded size limit')).toEqual({ message: 'Database response exceeded size limit' });
  });
});
