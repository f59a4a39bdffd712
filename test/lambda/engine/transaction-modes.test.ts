import { describe, expect, it } from 'vitest';
import { parseMigration } from '../../../lambda/engine/source';
import { splitSql } from '../../../lambda/engine/sql/splitter';
import { transactionModes, transactionModesAdvice } from '../../../lambda/engine/transaction-modes';

const words = (sql: string) => splitSql(sql)[0]!.words;

describe('Function: transactionModes', () => {
  it.each([
    ['BEGIN ISOLATION LEVEL SERIALIZABLE', { level: 'serializable', readOnly: false, deferrable: false }],
    ['START TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY', { level: 'repeatable read', readOnly: true, deferrable: false }],
    ['begin transaction read only, isolation level serializable, deferrable', { level: 'serializable', readOnly: true, deferrable: true }],
    ['BEGIN WORK /* isolation level serializable */ READ WRITE', undefined],
    ['BEGIN NOT DEFERRABLE', undefined],
    ['BEGIN', undefined],
    ['COMMIT', undefined],
  ])('reads %j', (sql, modes) => {
    expect(transactionModes(words(sql))).toEqual(modes);
  });
});

describe('Function: transactionModesAdvice', () => {
  it('says how to keep a level, why READ ONLY and DEFERRABLE go, and nothing for a BEGIN without modes', () => {
    const advice = transactionModesAdvice(words('START TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY, DEFERRABLE'))!;
    expect(advice).toMatch(/^Its ISOLATION LEVEL REPEATABLE READ cannot be kept in the file: .* fails \(25001, "must be called before any query"\)/);
    expect(advice).toContain("SET default_transaction_isolation = 'repeatable read'");
    expect(advice).toContain('options=-c%20default_transaction_isolation%3Drepeatable%5C%20read');
    expect(advice).toContain('Its READ ONLY cannot be kept: the migration\'s transaction writes the migration\'s state row');
    expect(advice).toContain('Its DEFERRABLE matters only to a SERIALIZABLE READ ONLY transaction');
    expect(transactionModesAdvice(words('BEGIN'))).toBeUndefined();
  });

  it('is added to the refusal\'s fix; the message stays as it was', () => {
    let e: unknown;
    try { parseMigration('1_x.sql', 'START TRANSACTION ISOLATION LEVEL SERIALIZABLE;\nSELECT 1;\nCOMMIT;'); } catch (caught) { e = caught; }
    expect(e).toMatchObject({ message: '1_x.sql:1: START TRANSACTION inside a transactional migration', line: 1 });
    expect((e as { fix: string }).fix).toMatch(/^remove it: schemaguard wraps each migration in its own transaction together with its state row and checks\. Its ISOLATION LEVEL SERIALIZABLE/);
  });
});
