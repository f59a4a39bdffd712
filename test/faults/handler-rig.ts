/**
 * A custom-resource handler wired to a fresh database: its own login role
 * with a password full of URL-special characters (served by a stand-in for
 * Secrets Manager), a migrations directory, and the real Provider framework
 * runtime in front. Everything it logs or answers goes to the transcript.
 */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import type { GetSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { expect } from 'vitest';
import { ENV, PROP } from '../../lambda/handler/constants';
import { summariseFiles } from '../../lambda/handler/files-hash';
import type { Handlers, OnEventRequest } from '../../lambda/handler/handler';
import { asDeployed } from '../support/as-deployed';
import { freshDatabase, rows, withClient } from '../support/db';
import { tempDir } from '../support/files';
import { ProviderHarness, STACK_ID, type LambdaLikeContext } from '../support/provider-framework';
import type { Target } from '../support/targets';
import type { Transcript } from './support';

export const SECRET_ARN = 'arn:aws:secretsmanager:eu-west-1:111111111111:secret:schemaguard-faults-AbCdEf';

export interface HandlerRig {
  url: string;
  dir: string;
  password: string;
  handlers: Handlers;
  harness: ProviderHarness;
  lines: string[];
  props(): Record<string, unknown>;
  /** A raw event as the framework passes it to the user handler. */
  event(requestType: 'Create' | 'Update' | 'Delete', extra?: Partial<OnEventRequest>): OnEventRequest;
  done(): Promise<void>;
}

export async function handlerRig(
  transcript: Transcript,
  target: Target,
  label: string,
  files: Record<string, string>,
  options: {
    env?: Record<string, string>;
    remainingTimeMs?: (fn: 'onEvent' | 'isComplete', n: number) => number;
    maxIsCompleteAttempts?: number;
  } = {},
): Promise<HandlerRig> {
  const url = await freshDatabase(target, label);
  const database = new URL(url).pathname.slice(1);
  const role = `sg_fault_${randomBytes(3).toString('hex')}`;
  const password = `Fault@:/%#?${randomBytes(10).toString('hex')}`;
  transcript.secrets.push(password);
  await withClient(target.adminUrl, async (c) => {
    await c.query(`CREATE ROLE ${role} LOGIN PASSWORD '${password.replace(/'/g, "''")}'`);
    await c.query(`ALTER DATABASE ${c.escapeIdentifier(database)} OWNER TO ${role}`);
  });
  await withClient(url, (c) => c.query(`ALTER SCHEMA public OWNER TO ${role}`));
  const dir = tempDir(files);
  const secrets = {
    send: async (command: GetSecretValueCommand) => {
      expect(command.input.SecretId).toBe(SECRET_ARN);
      return { SecretString: JSON.stringify({ engine: 'postgres', username: role, password, host: '127.0.0.1', port: target.port, dbname: database }) };
    },
  };
  const lines: string[] = [];
  const env = {
    [ENV.secretArn]: SECRET_ARN,
    [ENV.migrationsDir]: dir,
    [ENV.contractsDir]: join(dir, 'no-contracts'),
    [ENV.tls]: 'disable',
    [ENV.reserveMs]: '1000',
    [ENV.connectAttempts]: '2',
    [ENV.lockWaitMs]: '20000',
    AWS_LAMBDA_LOG_GROUP_NAME: '/aws/lambda/SchemaguardFaults-Handler',
    ...options.env,
  };
  // Configured as a deploy configures the function for each event it gets: these tests are about what a deploy's events do.
  const handlers = asDeployed({ secrets, env, write: (line) => lines.push(line) });
  const harness = new ProviderHarness({
    onEvent: handlers.onEvent as never,
    isComplete: handlers.isComplete as never,
    remainingTimeMs: options.remainingTimeMs,
    maxIsCompleteAttempts: options.maxIsCompleteAttempts,
  });
  await harness.start();
  const props = () => {
    const s = summariseFiles(dir);
    return { [PROP.filesHash]: s.hash, [PROP.latestVersion]: String(s.latestVersion), [PROP.migrationCount]: String(s.migrationCount) };
  };
  return {
    url,
    dir,
    password,
    handlers,
    harness,
    lines,
    props,
    event: (requestType, extra = {}) => ({
      RequestType: requestType,
      StackId: STACK_ID,
      RequestId: `req-${randomBytes(4).toString('hex')}`,
      LogicalResourceId: 'SchemaMigrationsResource',
      ResourceType: 'Custom::SchemaMigrations',
      ResourceProperties: props(),
      ...(requestType === 'Create' ? {} : { PhysicalResourceId: 'schemaguard-migrations-SchemaMigrationsResource' }),
      ...extra,
    }),
    done: async () => {
      transcript.add(...harness.logs, ...lines, ...harness.rawResponses);
      await harness.stop();
    },
  };
}

export const context = (ms: number): LambdaLikeContext => {
  const started = Date.now();
  return { getRemainingTimeInMillis: () => ms - (Date.now() - started), awsRequestId: randomBytes(8).toString('hex') };
};

// The rig keeps its secret and environment inside the handler; the rollback
// handler (old code) is built from the same values.
export async function secretOf(r: HandlerRig): Promise<Record<string, unknown>> {
  const u = new URL(r.url);
  const owner = (await rows<{ o: string }>(r.url, 'SELECT pg_get_userbyid(datdba) AS o FROM pg_database WHERE datname = current_database()'))[0]!.o;
  return { username: owner, password: r.password, host: '127.0.0.1', port: Number(u.port), dbname: u.pathname.slice(1) };
}
export function envOf(r: HandlerRig): Record<string, string> {
  return {
    [ENV.secretArn]: SECRET_ARN,
    [ENV.migrationsDir]: r.dir,
    [ENV.contractsDir]: join(r.dir, 'no-contracts'),
    [ENV.tls]: 'disable',
    [ENV.reserveMs]: '1000',
    [ENV.connectAttempts]: '2',
    [ENV.lockWaitMs]: '20000',
  };
}
