import { describe, expect, it } from 'vitest';
import { InputError } from '../../../lambda/engine/errors/errors';
import { readConfig } from '../../../lambda/handler/config';
import { DEFAULTS, ENV } from '../../../lambda/handler/constants';

describe('Function: readConfig', () => {
  it('applies the defaults, with directories relative to LAMBDA_TASK_ROOT', () => {
    // Act
    const c = readConfig({ [ENV.secretArn]: 'arn:s', LAMBDA_TASK_ROOT: '/var/task', AWS_LAMBDA_LOG_GROUP_NAME: '/aws/lambda/x' });

    // Assess
    expect(c).toMatchObject({
      migrationsDir: '/var/task/migrations',
      contractsDir: '/var/task/contracts',
      run: { stateSchema: 'schemaguard', reserveMs: DEFAULTS.reserveMs, lockTimeoutMs: DEFAULTS.lockTimeoutMs, lockWaitMs: DEFAULTS.lockWaitMs },
      logGroups: { handlerLogGroup: '/aws/lambda/x', databaseLogGroup: undefined },
    });
    expect(c.database).toEqual({
      kind: 'connection',
      auth: { kind: 'secret', secretArn: 'arn:s' },
      pooler: false,
      databaseName: undefined,
      host: undefined,
      port: undefined,
      connectAttempts: DEFAULTS.connectAttempts,
      tls: { mode: 'verify-full', caBundle: '/var/runtime/ca-cert.pem' },
    });
    expect(c.verify).toEqual({
      contractsDir: '/var/task/contracts',
      stateSchema: 'schemaguard',
      failOnDrift: false,
      snapshotFile: '/var/task/schema.snapshot.json',
    });
  });

  it('reads every variable the construct sets', () => {
    const c = readConfig({
      [ENV.secretArn]: 'arn:s',
      [ENV.databaseName]: 'app',
      [ENV.host]: 'proxy.example',
      [ENV.port]: '6432',
      [ENV.migrationsDir]: '/m',
      [ENV.migrationsLayout]: 'prisma',
      [ENV.contractsDir]: 'c',
      [ENV.stateSchema]: 'ops',
      [ENV.reserveMs]: '20000',
      [ENV.connectAttempts]: '3',
      [ENV.lockTimeoutMs]: '100',
      [ENV.lockWaitMs]: '200',
      [ENV.caBundle]: '/ca.pem',
      [ENV.databaseLogGroup]: '/aws/rds/instance/db/postgresql',
      [ENV.snapshotFile]: 'snap.json',
      [ENV.failOnDrift]: 'TRUE',
      [ENV.backfill]: '{"batchTimeMs":100,"autovacuum":"wraparound"}',
      LAMBDA_TASK_ROOT: '/var/task',
    });

    expect(c).toEqual({
      database: {
        kind: 'connection',
        auth: { kind: 'secret', secretArn: 'arn:s' },
        pooler: false,
        databaseName: 'app',
        host: 'proxy.example',
        port: 6432,
        connectAttempts: 3,
        tls: { mode: 'verify-full', caBundle: '/ca.pem' },
      },
      migrationsDir: '/m',
      migrationsLayout: 'prisma',
      contractsDir: '/var/task/c',
      run: {
        stateSchema: 'ops',
        reserveMs: 20_000,
        lockTimeoutMs: 100,
        lockWaitMs: 200,
        standbyWaitMs: 60_000,
        standbyStrict: false,
        backfill: { batchTimeMs: 100, autovacuum: 'wraparound' },
      },
      verify: { contractsDir: '/var/task/c', stateSchema: 'ops', failOnDrift: true, snapshotFile: '/var/task/snap.json' },
      logGroups: { handlerLogGroup: undefined, databaseLogGroup: '/aws/rds/instance/db/postgresql' },
      serves: [{ type: 'Custom::SchemaMigrations', fixed: {} }],
      operatorWrites: false,
    });
  });

  it('IAM authentication: the user to sign tokens for, no secret, the endpoint the construct set; a declared pooler', () => {
    const c = readConfig({
      [ENV.iamUser]: 'migrator',
      [ENV.endpointHost]: 'db.abc.eu-west-1.rds.amazonaws.com',
      [ENV.endpointPort]: '5432',
      [ENV.pooler]: 'true',
    });

    expect(c.database).toMatchObject({
      kind: 'connection',
      auth: { kind: 'iam', username: 'migrator' },
      pooler: true,
      endpoint: { host: 'db.abc.eu-west-1.rds.amazonaws.com', port: 5432 },
      tls: { mode: 'verify-full' },
    });
  });

  it.each([
    [{ [ENV.iamUser]: 'migrator', [ENV.secretArn]: 'arn:s', [ENV.host]: 'h' }, /SCHEMAGUARD_SECRET_ARN and SCHEMAGUARD_IAM_USER are both set/],
    [{ [ENV.iamUser]: 'migrator' }, /SCHEMAGUARD_IAM_USER is set without SCHEMAGUARD_DB_HOST or SCHEMAGUARD_DB_ENDPOINT_HOST/],
    [{ [ENV.iamUser]: 'migrator', [ENV.host]: 'h', [ENV.tls]: 'disable', AWS_LAMBDA_FUNCTION_NAME: 'f' }, /SCHEMAGUARD_TLS=disable with SCHEMAGUARD_IAM_USER/],
    [{ [ENV.iamUser]: 'migrator', [ENV.clusterArn]: 'arn:c', [ENV.secretArn]: 'arn:s' }, /SCHEMAGUARD_IAM_USER is set with SCHEMAGUARD_CLUSTER_ARN/],
  ])('IAM authentication refused: %o', (env, message) => {
    expect(() => readConfig(env)).toThrow(message);
  });

  it('targets the Data API when a cluster ARN is set (no host, port or TLS: the service connects)', () => {
    const c = readConfig({ [ENV.secretArn]: 'arn:s', [ENV.clusterArn]: 'arn:aws:rds:eu-west-1:1:cluster:c', [ENV.databaseName]: 'app' });

    expect(c.database).toEqual({ kind: 'data-api', clusterArn: 'arn:aws:rds:eu-west-1:1:cluster:c', secretArn: 'arn:s', databaseName: 'app' });
  });

  it('turns TLS off only when asked (local servers without TLS)', () => {
    const c = readConfig({ [ENV.secretArn]: 'arn:s', [ENV.tls]: 'disable' });

    expect(c.database).toMatchObject({ kind: 'connection', tls: { mode: 'disable' } });
  });

  it('checks no drift when the snapshot variable is set but empty', () => {
    expect(readConfig({ [ENV.secretArn]: 'arn:s', [ENV.snapshotFile]: '' }).verify.snapshotFile).toBeUndefined();
  });

  it.each([
    [{}, /SCHEMAGUARD_SECRET_ARN is not set/],
    [{ [ENV.secretArn]: 'a', [ENV.tls]: 'off' }, /SCHEMAGUARD_TLS="off" is not one of verify-full, disable/],
    [{ [ENV.secretArn]: 'a', [ENV.reserveMs]: '1s' }, /SCHEMAGUARD_RESERVE_MS="1s" is not an integer between 0 and 600000/],
    [{ [ENV.secretArn]: 'a', [ENV.port]: '70000' }, /SCHEMAGUARD_DB_PORT="70000" is not an integer between 1 and 65535/],
    [{ [ENV.secretArn]: 'a', [ENV.connectAttempts]: '0' }, /SCHEMAGUARD_CONNECT_ATTEMPTS="0" is not an integer between 1 and 50/],
    [{ [ENV.secretArn]: 'a', [ENV.failOnDrift]: 'yes' }, /SCHEMAGUARD_FAIL_ON_DRIFT="yes" is not true or false/],
    [{ [ENV.secretArn]: 'a', [ENV.migrationsLayout]: 'rails' }, /SCHEMAGUARD_MIGRATIONS_LAYOUT: unknown layout "rails"/],
    // Regression (review): 0 was taken (no lock timeout: a migration waits forever behind any lock), as the CLI's --lock-timeout 0 was.
    [
      { [ENV.secretArn]: 'a', [ENV.lockTimeoutMs]: '0' },
      /SCHEMAGUARD_LOCK_TIMEOUT_MS="0" turns the lock timeout off \(lock_timeout 0 in PostgreSQL: a migration waits forever/,
    ],
    [{ [ENV.secretArn]: 'a', [ENV.lockTimeoutMs]: '-1' }, /SCHEMAGUARD_LOCK_TIMEOUT_MS="-1" is not an integer between 1 and 600000/],
    [{ [ENV.secretArn]: 'a', [ENV.backfill]: '{"batchTimeMs":"200ms"}' }, /SCHEMAGUARD_BACKFILL: "batchTimeMs" is not one of its settings, or not of its type/],
    [{ [ENV.secretArn]: 'a', [ENV.backfill]: '[1]' }, /SCHEMAGUARD_BACKFILL: is not a JSON object/],
    // A bad value is refused whichever way the database is reached.
    [{ [ENV.secretArn]: 'a', [ENV.clusterArn]: 'arn:c', [ENV.port]: 'x' }, /SCHEMAGUARD_DB_PORT="x" is not an integer/],
  ])('refuses %j', (env, message) => {
    expect(() => readConfig(env)).toThrow(InputError);
    expect(() => readConfig(env)).toThrow(message);
  });

  it('names the variable, the value and the fix', () => {
    const e = (() => {
      try {
        readConfig({ [ENV.secretArn]: 'a', [ENV.lockWaitMs]: '-5' });
      } catch (x) {
        return x as InputError;
      }
      return undefined;
    })();

    expect(e).toBeInstanceOf(InputError);
    expect(e?.message).toBe('SCHEMAGUARD_LOCK_WAIT_MS="-5" is not an integer between 0 and 900000');
    expect(e?.fix).toBe('set SCHEMAGUARD_LOCK_WAIT_MS to an integer in 0..900000, or unset it for the default, 60000');
  });

  it('refuses a state schema name PostgreSQL cannot hold, naming the variable (not a CLI flag)', () => {
    const long = 's'.repeat(64);

    expect(() => readConfig({ [ENV.secretArn]: 'a', [ENV.stateSchema]: long })).toThrow(`${ENV.stateSchema}: "${long}" is not a usable schema name`);
  });
});
