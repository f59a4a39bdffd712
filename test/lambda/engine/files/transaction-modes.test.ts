import { describe, expect, it } from 'vitest';
import { parseMigration } from '../../../../lambda/engine/files/source';
import { splitSql } from '../../../../lambda/engine/sql/splitter';
import { InputError, InputProblemsError } from '../../../../lambda/engine/errors/errors';
import { isSetTransaction, transactionModes, transactionModesAdvice } from '../../../../lambda/engine/files/transaction-modes';

const words = (sql: string) => splitSql(sql)[0]!.words;

describe('Function: transactionModes', () => {
  it.each([
    ['BEGIN ISOLATION LEVEL SERIALIZABLE', { level: 'serializable', readOnly: false, deferrable: false }],
    ['START TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY', { level: 'repeatable read', readOnly: true, deferrable: false }],
    ['begin transaction read only, isolation level serializable, deferrable', { level: 'serializable', readOnly: true, deferrable: true }],
    ['BEGIN WORK /* isolation level serializable */ READ WRITE', undefined],
    ['BEGIN NOT DEFERRABLE', undefined],
    ['SET TRANSACTION ISOLATION LEVEL SERIALIZABLE', { level: 'serializable', readOnly: false, deferrable: false }],
    ['set transaction read only', { level: undefined, readOnly: true, deferrable: false }],
    ['SET TRANSACTION READ WRITE', undefined],
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
    expect(advice).toContain("Its READ ONLY cannot be kept: the migration's transaction writes the migration's state row");
    expect(advice).toContain('Its DEFERRABLE matters only to a SERIALIZABLE READ ONLY transaction');
    expect(transactionModesAdvice(words('BEGIN'))).toBeUndefined();
  });

  it("is added to the refusal's fix; the message stays as it was", () => {
    let e: unknown;
    try {
      parseMigration('1_x.sql', 'START TRANSACTION ISOLATION LEVEL SERIALIZABLE;\nSELECT 1;\nCOMMIT;');
    } catch (caught) {
      e = caught;
    }
    // The COMMIT is refused too, with its own line (each refusal of the file in one run).
    const [start, commit] = (e as InputProblemsError).problems;
    expect(commit).toMatchObject({ message: '1_x.sql:3: COMMIT inside a transactional migration', line: 3 });
    e = start;
    expect(e).toMatchObject({ message: '1_x.sql:1: START TRANSACTION inside a transactional migration', line: 1 });
    expect((e as { fix: string }).fix).toMatch(
      /^remove it: schemaguard wraps each migration in its own transaction together with its state row and checks\. Its ISOLATION LEVEL SERIALIZABLE/,
    );
  });
});

/** The problems a file is refused with (one InputError, or each of an InputProblemsError's). */
function problems(file: string, sql: string): InputError[] {
  try {
    parseMigration(file, sql);
  } catch (e) {
    if (e instanceof InputProblemsError) return e.problems;
    if (e instanceof InputError) return [e];
    throw e;
  }
  return [];
}

describe('Function: isSetTransaction', () => {
  it.each([
    ['SET TRANSACTION ISOLATION LEVEL SERIALIZABLE', true],
    ["SET TRANSACTION SNAPSHOT '00000003-0000001B-1'", true],
    ['SET SESSION CHARACTERISTICS AS TRANSACTION ISOLATION LEVEL SERIALIZABLE', false],
    ['SET transaction_isolation = serializable', false],
    ['SET LOCAL lock_timeout = 0', false],
  ])('%j: %j', (sql, expected) => {
    expect(isSetTransaction(words(sql))).toBe(expected);
  });
});

describe('Function: parseMigration: SET TRANSACTION', () => {
  it('refuses SET TRANSACTION ISOLATION LEVEL in a transactional file with its line, value and the advice of BEGIN ISOLATION LEVEL', () => {
    const [e, ...more] = problems('1_x.sql', '-- at serializable\nSET TRANSACTION ISOLATION LEVEL SERIALIZABLE;\nCREATE TABLE t (id int);\n');

    expect(more).toEqual([]);
    expect(e).toMatchObject({
      message: '1_x.sql:2: SET TRANSACTION inside a transactional migration',
      line: 2,
      value: 'SET TRANSACTION ISOLATION LEVEL SERIALIZABLE',
      exitCode: 2,
    });
    expect(e!.fix).toMatch(/^remove it: schemaguard runs the file in its own transaction, .* fails \(25001, "must be called before any query"\)/);
    expect(e!.fix).toContain("ALTER ROLE <role> IN DATABASE <database> SET default_transaction_isolation = 'serializable'");
    expect(e!.fix).toContain('options=-c%20default_transaction_isolation%3Dserializable');
  });

  it("refuses every SET TRANSACTION, among the file's other problems, in order of line", () => {
    const sql = 'SET TRANSACTION READ ONLY;\nCREATE TABLE t (id int);\nVACUUM t;\nset transaction isolation level repeatable read, deferrable;\n\\set x 1\n';

    const found = problems('1_x.sql', sql);

    expect(found.map((p) => p.message)).toEqual([
      '1_x.sql:1: SET TRANSACTION inside a transactional migration',
      '1_x.sql:3: VACUUM cannot run inside a transaction block',
      '1_x.sql:4: SET TRANSACTION inside a transactional migration',
      expect.stringMatching(/^1_x\.sql:5: /),
    ]);
    expect(found[0]!.fix).toContain('Its READ ONLY cannot be kept');
    expect(found[2]!.fix).toContain("SET default_transaction_isolation = 'repeatable read'");
    expect(found[2]!.fix).toContain('Its DEFERRABLE matters only to a SERIALIZABLE READ ONLY transaction');
  });

  it('refuses SET TRANSACTION in a no-transaction file: it sets nothing there', () => {
    const [e, ...more] = problems(
      '1_x.sql',
      '-- schemaguard:no-transaction\nSET TRANSACTION ISOLATION LEVEL SERIALIZABLE;\nCREATE INDEX CONCURRENTLY i ON t (id);\n',
    );

    expect(more).toEqual([]);
    expect(e).toMatchObject({ message: '1_x.sql:2: SET TRANSACTION in a no-transaction file', line: 2 });
    expect(e!.fix).toMatch(
      /^remove it: a no-transaction file runs each statement in a transaction of its own, so a SET TRANSACTION there sets nothing \(PostgreSQL only warns, 25P01/,
    );
    expect(e!.fix).not.toContain("schemaguard's transaction");
  });

  it('leaves SET SESSION CHARACTERISTICS and other SETs alone', () => {
    expect(
      problems('1_x.sql', 'SET SESSION CHARACTERISTICS AS TRANSACTION ISOLATION LEVEL SERIALIZABLE;\nSET LOCAL lock_timeout = 0;\nCREATE TABLE t (id int);\n'),
    ).toEqual([]);
  });
});

describe('Function: parseMigration: a transaction-mode setting', () => {
  // Regression: these got past the refusal of SET TRANSACTION, and failed at run time (25001) after earlier files had run.
  it.each([
    ["SET transaction_isolation = 'serializable';", 'transaction_isolation'],
    ["SET LOCAL transaction_isolation TO 'repeatable read';", 'transaction_isolation'],
    ['SET SESSION "Transaction_Isolation" = serializable;', 'transaction_isolation'],
    ['SET transaction_isolation TO DEFAULT;', 'transaction_isolation'],
    ["SELECT set_config('transaction_isolation', 'serializable', true);", 'transaction_isolation'],
    ["SELECT pg_catalog.set_config('transaction_isolation'::text, /* x */ 'serializable', false);", 'transaction_isolation'],
    ["UPDATE pg_settings SET setting = 'serializable' WHERE name = 'transaction_isolation';", 'transaction_isolation'],
    ["DO $$ BEGIN EXECUTE 'SET transaction_isolation = ''serializable'''; END $$;", 'transaction_isolation'],
    ['SET transaction_deferrable = off;', 'transaction_deferrable'],
    ['SET transaction_read_only = on;', 'transaction_read_only'],
    ["SELECT set_config('transaction_read_only', 'true', false);", 'transaction_read_only'],
  ])('refuses %j in a transactional file and in a no-transaction file, with its line and value', (sql, name) => {
    const [e, ...more] = problems('1_x.sql', `CREATE TABLE t (id int);\n${sql}\n`);
    expect(more).toEqual([]);
    expect(e).toMatchObject({ message: `1_x.sql:2: ${name} set inside a transactional migration`, line: 2, value: sql.slice(0, -1).slice(0, 80), exitCode: 2 });
    expect(e!.fix).toMatch(
      /^remove it: schemaguard runs the file in its own transaction, which has run queries of its own before the file's first statement[,;] .*\((25001|25006), /,
    );

    const [outside] = problems('1_x.sql', `-- schemaguard:no-transaction\n${sql}\n`);
    expect(outside).toMatchObject({ message: `1_x.sql:2: ${name} set in a no-transaction file`, line: 2 });
    expect(outside!.fix).toContain(
      `remove it: a no-transaction file runs each statement in a transaction of its own, so ${name} set there lasts only for that statement's own transaction`,
    );
  });

  it("gives the fix of SET TRANSACTION ISOLATION LEVEL: the role's default_transaction_isolation, or the connection's options", () => {
    const [e] = problems('1_x.sql', "SET transaction_isolation TO 'repeatable read';\n");
    expect(e!.fix).toContain("ALTER ROLE <role> IN DATABASE <database> SET default_transaction_isolation = 'repeatable read'");
    expect(e!.fix).toContain('options=-c%20default_transaction_isolation%3Drepeatable%5C%20read');
    const [outside] = problems('1_x.sql', "-- schemaguard:no-transaction\nSET transaction_isolation TO 'repeatable read';\n");
    expect(outside!.fix).toContain("ALTER ROLE <role> IN DATABASE <database> SET default_transaction_isolation = 'repeatable read'");
  });

  it.each([
    "SET default_transaction_isolation = 'serializable';",
    'SET transaction_read_only = off;',
    "SELECT 'SET transaction_isolation = serializable' AS note;",
    "UPDATE t SET transaction_isolation = 'serializable';",
    "ALTER ROLE app SET default_transaction_isolation = 'serializable';",
  ])('leaves %j alone: it works, or sets no transaction mode', (sql) => {
    expect(problems('1_x.sql', `${sql}\n`)).toEqual([]);
    expect(problems('1_x.sql', `-- schemaguard:no-transaction\n${sql}\n`)).toEqual([]);
  });
});
