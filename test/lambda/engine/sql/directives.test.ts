import { describe, expect, it } from 'vitest';
import { allowArgument, checksumArgument, readDirectives } from '../../../../lambda/engine/sql/directives';
import { scanSql } from '../../../../lambda/engine/sql/splitter';

const directives = (sql: string) => readDirectives(scanSql(sql).comments);

describe('Function: readDirectives', () => {
  it('reads name, argument and line of each directive on a line of its own', () => {
    expect(directives([
      '-- a plain comment',
      '-- schemaguard:no-transaction',
      '  --schemaguard:Lock-Timeout = 2s',
      'CREATE INDEX CONCURRENTLY i ON t (a);',
      '-- schemaguard:check every row has an id',
      'SELECT 1 FROM t WHERE id IS NULL;',
    ].join('\n'))).toEqual([
      { name: 'no-transaction', argument: '', line: 2, text: '-- schemaguard:no-transaction' },
      { name: 'lock-timeout', argument: ' = 2s', line: 3, text: '--schemaguard:Lock-Timeout = 2s' },
      { name: 'check', argument: ' every row has an id', line: 5, text: '-- schemaguard:check every row has an id' },
    ]);
  });

  it('ignores a directive after code on the same line, and one inside a string, a body or a block comment', () => {
    expect(directives([
      'SELECT 1; -- schemaguard:no-transaction',
      "SELECT '\n-- schemaguard:check in a string\n';",
      'DO $$\n-- schemaguard:check in a body\nBEGIN END $$;',
      '/*\n-- schemaguard:check in a comment\n*/',
    ].join('\n'))).toEqual([]);
  });
});

describe('Function: allowArgument', () => {
  it('splits the rule from the reason', () => {
    expect(allowArgument(' index-not-concurrent  the table is new  ')).toEqual({ rule: 'index-not-concurrent', reason: 'the table is new' });
  });

  it.each(['', ' index-not-concurrent', 'index-not-concurrent reason'])('is undefined without a rule and a reason: %j', (argument) => {
    expect(allowArgument(argument)).toBeUndefined();
  });
});

describe('Function: checksumArgument', () => {
  it('reads one sha-256 in lower-case hex', () => {
    expect(checksumArgument(` ${'0a'.repeat(32)}  `)).toBe('0a'.repeat(32));
  });

  it.each(['', ' abc', ` ${'A'.repeat(64)}`, ` ${'a'.repeat(63)}`, ` ${'a'.repeat(64)} ${'b'.repeat(64)}`, `=${'a'.repeat(64)}`])(
    'is undefined for anything but one lower-case sha-256: %j', (argument) => {
      expect(checksumArgument(argument)).toBeUndefined();
    },
  );
});
