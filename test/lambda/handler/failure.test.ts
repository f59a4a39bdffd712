import { describe, expect, it } from 'vitest';
import { CheckFailedError, InputError, InputProblemsError, StatementError } from '../../../lambda/engine/errors/errors';
import { Redactor } from '../../../lambda/engine/errors/redact';
import { RESPONSE_LIMIT_BYTES } from '../../../lambda/handler/constants';
import { cut, jsonBytes, PROBLEMS_FIX, reasonBudgetBytes, toFailure } from '../../../lambda/handler/failure';

/** No lone surrogate: UTF-8 round-trips it unchanged (a lone half becomes U+FFFD). */
const wellFormed = (s: string) => Buffer.from(s, 'utf8').toString('utf8') === s;

const groups = { handlerLogGroup: '/aws/lambda/Stack-Handler', databaseLogGroup: '/aws/rds/instance/schemaguard-dev/postgresql' };

describe('Function: toFailure', () => {
  // Regression (security review): PostgreSQL's DETAIL (row data) reached CloudFormation's Reason.
  it('names the migration, the line, the SQLSTATE, the log stream that has the detail (not the detail), the fix and both log groups', () => {
    const e = new StatementError('3_x.sql:4: null value in column "id" of relation "lead_purchases" violates not-null constraint', {
      file: '3_x.sql',
      line: 4,
      sqlstate: '23502',
      detail: 'Failing row contains (null, ann@example.com).',
      fix: 'add a default first',
    });
    const f = toFailure(e, new Redactor(), { ...groups, logStream: '2026/11/27/[$LATEST]0123abcd' });
    expect(f.message).toBe(
      '[migration 3_x.sql, line 4, SQLSTATE 23502] | StatementError: 3_x.sql:4: null value in column "id" of relation "lead_purchases" violates not-null constraint | detail: PostgreSQL\'s detail (row data) is not shown here: it is in the log stream 2026/11/27/[$LATEST]0123abcd of /aws/lambda/Stack-Handler | fix: add a default first | see handler log group /aws/lambda/Stack-Handler; database log group /aws/rds/instance/schemaguard-dev/postgresql',
    );
    expect(f.message).not.toContain('ann@example.com');
    expect(f.name).toBe('SchemaMigrationFailedError');
    expect(f.stack).toBe(`SchemaMigrationFailedError: ${f.message}`);
    expect(f.cause).toBe(e);
  });

  it('leaves out the value a data exception (class 22) quotes, and says where it is', () => {
    const e = new StatementError('4_b.sql:2: invalid input syntax for type uuid: "ann@example.com"', { file: '4_b.sql', line: 2, sqlstate: '22P02' });
    const f = toFailure(e, new Redactor(), groups);
    expect(f.message).toContain(
      'StatementError: 4_b.sql:2: invalid input syntax for type uuid: "…" | detail: PostgreSQL\'s detail (row data) is not shown here: it is in the log stream of this invocation of /aws/lambda/Stack-Handler',
    );
    expect(f.message).not.toContain('ann@example.com');
  });

  it("gives a permission error (42501) its GRANT, for the secret's user, and names the state schema's variable", () => {
    const denied = (message: string) => new StatementError(message, { file: '2_y.sql', line: 1, sqlstate: '42501' });
    const schema = toFailure(denied('2_y.sql:1: permission denied for schema public'), new Redactor(), groups);
    const state = toFailure(new StatementError('permission denied for database app', { sqlstate: '42501' }), new Redactor(), { ...groups, stateSchema: 'ops' });

    expect(schema.message).toContain(
      '| fix: as the schema\'s owner (or a superuser): GRANT USAGE, CREATE ON SCHEMA "public" TO <the database secret\'s user>;',
    );
    expect(state.message).toContain('migrate creates its state schema "ops" (SCHEMAGUARD_STATE_SCHEMA) there');
    expect(state.message).toContain("; or run migrate as the database's owner |"); // whole, not cut
  });

  it('cuts a huge message to its budget but keeps the location, the fix and the log groups', () => {
    const e = new CheckFailedError(`9_big.sql:2: check failed: ${'x'.repeat(20_000)}`, {
      file: '9_big.sql',
      line: 2,
      check: 'c',
      rowCount: 1,
      rows: [],
      detail: 'd'.repeat(5000),
      hint: 'h'.repeat(5000),
      fix: 'repair the rows',
    });
    const f = toFailure(e, new Redactor(), groups);
    expect(jsonBytes(f.message)).toBeLessThanOrEqual(reasonBudgetBytes(undefined));
    expect(f.message.startsWith('[migration 9_big.sql, line 2] | CheckFailedError: 9_big.sql:2: check failed: xxx')).toBe(true);
    expect(f.message).toContain('| fix: repair the rows |');
    expect(f.message).toMatch(/ \| see handler log group \/aws\/lambda\/Stack-Handler; database log group \/aws\/rds\/instance\/schemaguard-dev\/postgresql$/);
  });

  it('lists the problems of an input refused for several, whole, as many as fit, and counts the others', () => {
    const problem = (k: number) =>
      new InputError(`2_dump.sql:${k}: psql meta-command "\\connect" is not SQL ${'x'.repeat(150)}`, { file: '2_dump.sql', line: k, fix: 'remove it' });
    const few = toFailure(new InputProblemsError([problem(1), problem(9)]), new Redactor(), groups);
    const many = toFailure(
      new InputProblemsError(
        Array.from({ length: 30 }, (_, k) => problem(k + 1)),
        60,
      ),
      new Redactor(),
      groups,
    );

    expect(few.message).toMatch(
      /^\[migration 2_dump\.sql, line 1\] \| InputError: 2 problems in the migration files: \(1\) 2_dump\.sql:1: psql meta-command "\\connect" is not SQL x+ \(2\) 2_dump\.sql:9: /,
    );
    expect(few.message).toContain(`| fix: ${PROBLEMS_FIX} |`);
    expect(jsonBytes(many.message)).toBeLessThanOrEqual(reasonBudgetBytes(undefined));
    const shown = [...many.message.matchAll(/\((\d+)\) 2_dump\.sql:\d+: psql meta-command "\\connect" is not SQL x{150}/g)].length;
    expect(shown).toBeGreaterThan(5);
    expect(many.message).toContain(`x … and ${60 - shown} more | fix: ${PROBLEMS_FIX} | see handler log group`);
  });

  it('masks a registered password wherever it appears', () => {
    const r = new Redactor().add('s3cr3t-Pa55');
    const f = toFailure(new Error('auth failed for postgres://u:s3cr3t-Pa55@h/db and s3cr3t-Pa55'), r, {});
    expect(f.message).not.toContain('s3cr3t-Pa55');
    expect(f.message).toContain('****');
  });

  it('cut leaves short text alone', () => {
    expect(cut('short', 10)).toBe('short');
    expect(cut('a'.repeat(100), 40).length).toBeLessThanOrEqual(40);
  });

  it('cut counts UTF-8 bytes of JSON text and never splits a surrogate pair', () => {
    // 3 bytes a CJK character, 4 an emoji (two UTF-16 units), 2 an escaped quote.
    for (const text of ['漢字'.repeat(500), '😀'.repeat(500), `a${'😀'.repeat(500)}`, '"\\'.repeat(500)]) {
      for (const max of [40, 41, 42, 43, 300]) {
        const out = cut(text, max);
        expect(jsonBytes(out)).toBeLessThanOrEqual(max);
        expect(out).toMatch(/ …\[cut \d+ bytes\]$/);
        expect(wellFormed(out)).toBe(true);
      }
    }
    expect(cut('漢字漢字', 12)).toBe('漢字漢字');
  });

  it('keeps a failure in CJK and emoji within the response limit, naming the file, line and SQLSTATE', () => {
    const e = new StatementError(`2_x.sql:1: ${'漢字'.repeat(3000)}`, {
      file: '2_x.sql',
      line: 1,
      sqlstate: 'P0001',
      detail: '😀'.repeat(2000),
      hint: '東京'.repeat(1000),
      fix: 'fix the data',
    });
    const event = {
      StackId: 'arn:aws:cloudformation:eu-west-1:111111111111:stack/S/x',
      RequestId: 'r',
      LogicalResourceId: 'L'.repeat(255),
      PhysicalResourceId: 'p',
    };
    const f = toFailure(e, new Redactor(), { ...groups, budgetBytes: reasonBudgetBytes(event) });
    const response = {
      Status: 'FAILED',
      Reason: `${f.message}\n\nLogs: /aws/lambda/${'f'.repeat(64)}\n`,
      ...event,
      PhysicalResourceId: `schemaguard-migrations-${event.LogicalResourceId}`,
    };
    expect(Buffer.byteLength(JSON.stringify(response))).toBeLessThanOrEqual(RESPONSE_LIMIT_BYTES);
    expect(f.message.startsWith('[migration 2_x.sql, line 1, SQLSTATE P0001] | StatementError: 2_x.sql:1: 漢字')).toBe(true);
    expect(f.message).toContain('| fix: fix the data |');
    expect(wellFormed(f.message)).toBe(true);
  });

  it('redacts before it cuts: no part of a password is left at a cut', () => {
    const password = 'Zq9-very-long-secret-password-Zq9';
    const e = new StatementError(`${'x'.repeat(1380)}${password}`, { fix: 'f' });
    const f = toFailure(e, new Redactor().add(password), { budgetBytes: 3000 });
    expect(f.message).not.toContain('Zq9-very');
  });
});
