import { describe, expect, it } from 'vitest';
import {
  DatabaseErrorException,
  StatementTimeoutException,
  TransactionNotFoundException,
  AccessDeniedException,
  HttpEndpointNotEnabledException,
} from '@aws-sdk/client-rds-data';
import { DataApiSqlError } from '../../../../lambda/driver/data-api/data-api-codec';
import { DataApiDriver, isWrite, needsOwnCall, translateError } from '../../../../lambda/driver/data-api/data-api-driver';
import { ConnectionError, InputError, databaseFields } from '../../../../lambda/engine/errors/errors';

const meta = { $metadata: {} };

describe('Function: translateError', () => {
  const target = 'data-api://cluster/db';

  it('turns DatabaseErrorException into a pg-shaped error the engine reads', () => {
    const e = translateError(
      new DatabaseErrorException({
        ...meta,
        message: 'ERROR: null value in column "id" of relation "t" violates not-null constraint\n  Detail: Failing row contains (null).; SQLState: 23502',
      }),
      target,
    );
    expect(e).toBeInstanceOf(DataApiSqlError);
    expect(databaseFields(e)).toMatchObject({ sqlstate: '23502', detail: 'Failing row contains (null).' });
  });

  it('maps the service limits to SQLSTATEs', () => {
    expect(translateError(new StatementTimeoutException({ ...meta, message: 'timed out' }), target)).toMatchObject({ code: '57014' });
    expect(translateError(new TransactionNotFoundException({ ...meta, message: 'Transaction abc is not found' }), target)).toMatchObject({
      code: '25P03',
      message: expect.stringContaining('3 minutes'),
    });
    expect(translateError(new DatabaseErrorException({ ...meta, message: 'Database response exceeded size limit' }), target)).toMatchObject({ code: '54000' });
  });

  it('turns permission and configuration errors into ConnectionError with a fix', () => {
    const denied = translateError(new AccessDeniedException({ ...meta, message: 'not authorized' }), target);
    expect(denied).toBeInstanceOf(ConnectionError);
    expect((denied as ConnectionError).fix).toMatch(/rds-data:ExecuteStatement/);
    expect(translateError(new HttpEndpointNotEnabledException({ ...meta, message: 'x' }), target)).toMatchObject({
      fix: expect.stringContaining('enableDataApi'),
    });
  });
});

describe('Class: DataApiDriver', () => {
  const ok = {
    resourceArn: 'arn:aws:rds:eu-west-1:123456789012:cluster:db',
    secretArn: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:db-AbCdEf',
    database: 'app',
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
    ['ALTER TABLE p DETACH PARTITION p1 CONCURRENTLY', true],
    ['CLUSTER', true],
    ['CALL refresh_totals()', true],
    ['REFRESH MATERIALIZED VIEW CONCURRENTLY mv', false],
    ["SELECT 'VACUUM t'", false],
    ["/* VACUUM */ SELECT E'it\\'s CONCURRENTLY'", false],
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
    ['DECLARE c NO SCROLL CURSOR FOR SELECT 1', false],
    ['FETCH FORWARD 10 FROM c', false],
    ['CLOSE c', false],
  ])('%s is continued past the call limit: %s', (sql, expected) => {
    expect(isWrite(sql)).toBe(expected);
  });
});
