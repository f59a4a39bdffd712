import { describe, expect, it } from 'vitest';
import { CheckFailedError, StatementError } from '../../../lambda/engine/errors';
import { Redactor } from '../../../lambda/engine/redact';
import { FAILURE_MESSAGE_MAX_CHARS } from '../../../lambda/handler/constants';
import { cut, toFailure } from '../../../lambda/handler/failure';

const groups = { handlerLogGroup: '/aws/lambda/Stack-Handler', databaseLogGroup: '/aws/rds/instance/schemaguard-dev/postgresql' };

describe('Function: toFailure', () => {
  it('names the migration, the line, the SQLSTATE, the detail, the fix and both log groups', () => {
    const e = new StatementError('3_x.sql:4: null value in column "id" of relation "lead_purchases" violates not-null constraint', {
      file: '3_x.sql', line: 4, sqlstate: '23502', detail: 'Failing row contains (null, 5).', fix: 'add a default first',
    });
    const f = toFailure(e, new Redactor(), groups);
    expect(f.message).toBe('[migration 3_x.sql, line 4, SQLSTATE 23502] | StatementError: 3_x.sql:4: null value in column "id" of relation "lead_purchases" violates not-null constraint | detail: Failing row contains (null, 5). | fix: add a default first | see handler log group /aws/lambda/Stack-Handler; database log group /aws/rds/instance/schemaguard-dev/postgresql');
    expect(f.name).toBe('SchemaMigrationFailedError');
    expect(f.stack).toBe(`SchemaMigrationFailedError: ${f.message}`);
    expect(f.cause).toBe(e);
  });

  it('gives a permission error (42501) its GRANT, for the secret\'s user, and names the state schema\'s variable', () => {
    const denied = (message: string) => new StatementError(message, { file: '2_y.sql', line: 1, sqlstate: '42501' });
    const schema = toFailure(denied('2_y.sql:1: permission denied for schema public'), new Redactor(), groups);
    const state = toFailure(new StatementError('permission denied for database app', { sqlstate: '42501' }), new Redactor(), { ...groups, stateSchema: 'ops' });

    expect(schema.message).toContain('| fix: as the schema\'s owner (or a superuser): GRANT USAGE, CREATE ON SCHEMA "public" TO <the database secret\'s user>;');
    expect(state.message).toContain('migrate creates its state schema "ops" (SCHEMAGUARD_STATE_SCHEMA) there');
    expect(state.message).toContain('; or run migrate as the database\'s owner |'); // whole, not cut
  });

  it('cuts a huge message to its budget but keeps the location, the fix and the log groups', () => {
    const e = new CheckFailedError(`9_big.sql:2: check failed: ${'x'.repeat(20_000)}`, {
      file: '9_big.sql', line: 2, check: 'c', rowCount: 1, rows: [], detail: 'd'.repeat(5000), hint: 'h'.repeat(5000), fix: 'repair the rows',
    });
    const f = toFailure(e, new Redactor(), groups);
    expect(f.message.length).toBeLessThanOrEqual(FAILURE_MESSAGE_MAX_CHARS);
    expect(f.message.startsWith('[migration 9_big.sql, line 2] | CheckFailedError: 9_big.sql:2: check failed: xxx')).toBe(true);
    expect(f.message).toContain('| fix: repair the rows |');
    expect(f.message).toMatch(/ \| see handler log group \/aws\/lambda\/Stack-Handler; database log group \/aws\/rds\/instance\/schemaguard-dev\/postgresql$/);
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
});
